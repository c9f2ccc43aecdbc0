using System;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>An HTTP proxy's CONNECT tunnel (RFC 9110 section 9.3.6), with Basic authentication when the proxy has a login.</summary>
    internal static class HttpConnectHandshake
    {
        public static string Run(ProxyWire wire, SmtpProxy proxy, string host, int port)
        {
            var name = TcpConnect.Unbracket(host);
            var authority = (name.IndexOf(':') >= 0 ? $"[{name}]" : name) + ":" + port.ToString(CultureInfo.InvariantCulture);
            var request = new StringBuilder()
                .Append("CONNECT ").Append(authority).Append(" HTTP/1.1\r\n")
                .Append("Host: ").Append(authority).Append("\r\n");
            if (proxy.UserName != null)
            {
                var login = Encoding.UTF8.GetBytes(proxy.UserName + ":" + proxy.PasswordText());
                request.Append("Proxy-Authorization: Basic ").Append(Convert.ToBase64String(login)).Append("\r\n");
                Array.Clear(login, 0, login.Length);
            }

            request.Append("\r\n");
            var bytes = Encoding.ASCII.GetBytes(request.ToString());
            request.Clear();
            try
            {
                wire.Write(bytes);
            }
            finally
            {
                Array.Clear(bytes, 0, bytes.Length);
            }

            var head = wire.ReadHttpHead();
            var statusLine = head.Split('\n')[0].TrimEnd('\r');
            var shown = ServerText.Neutralise(statusLine.Length > 200 ? statusLine.Substring(0, 200) + "..." : statusLine);
            var parts = statusLine.Split(new[] { ' ' }, 3);
            if (!statusLine.StartsWith("HTTP/", StringComparison.Ordinal) || parts.Length < 2 ||
                !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw new ProxyProtocolViolation($"it did not answer CONNECT in HTTP (it said '{shown}')");
            }

            if (status >= 200 && status <= 299)
            {
                return shown;
            }

            // 407 is the proxy's own refusal; some proxies (tinyproxy) answer a wrong login with 401.
            if (status == 407 || status == 401)
            {
                throw new ProxyRefusal(proxy.UserName == null ? $"{shown}: it wants a login, give it with -ProxyCredential" : $"{shown}: it refused the login of '{proxy.UserName}'", login: true);
            }

            throw new ProxyRefusal(shown, login: false);
        }
    }
}
