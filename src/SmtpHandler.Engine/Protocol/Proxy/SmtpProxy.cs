using System;
using System.Linq;
using System.Net;
using System.Security;

namespace SmtpHandler
{
    /// <summary>
    /// The proxy a connection goes through: its kind, host and port, and an optional login. The password is kept
    /// internal as a <see cref="SecureString"/>, like the SMTP password, and <see cref="ToString"/> never shows it.
    /// </summary>
    public sealed record SmtpProxy
    {
        public const string ParameterName = "Proxy";
        public const string CredentialParameterName = "ProxyCredential";

        private SmtpProxy(SmtpProxyKind kind, string host, int port)
        {
            Kind = kind;
            Host = host;
            Port = port;
        }

        public SmtpProxyKind Kind { get; }

        public string Host { get; }

        public int Port { get; }

        /// <summary>The user name the proxy is logged in to with (-ProxyCredential), or null.</summary>
        public string? UserName { get; init; }

        /// <summary>The proxy password; never shown, never logged, never serialized.</summary>
        internal SecureString? Password { get; init; }

        /// <summary>The proxy as an address, without any login: socks5://host:port.</summary>
        public string Address => $"{Scheme(Kind)}://{(Host.IndexOf(':') >= 0 ? $"[{Host}]" : Host)}:{Port}";

        /// <summary>
        /// Reads a proxy address: socks5://, socks4://, socks4a:// or http:// with a host and a port. An address with a
        /// login in it is refused without being echoed: the login goes in <paramref name="userName"/> and
        /// <paramref name="password"/> (-ProxyCredential). Throws <see cref="SmtpHandlerException"/> (InvalidConfiguration).
        /// </summary>
        public static SmtpProxy Parse(string address, string? userName = null, SecureString? password = null)
        {
            var text = (address ?? string.Empty).Trim();
            var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd <= 0)
            {
                throw Invalid(Redacted(text), "give the proxy as socks5://host:port, socks4://host:port, socks4a://host:port or http://host:port.");
            }

            var scheme = text.Substring(0, schemeEnd).ToLowerInvariant();
            var rest = text.Substring(schemeEnd + 3);
            if (rest.IndexOf('@') >= 0)
            {
                // The part before '@' may be a password: it is never repeated, in the message or the error's target.
                throw Invalid(Redacted(text), "the address holds a login (user:password@). Give the login with -ProxyCredential instead, so that it is never shown.");
            }

            SmtpProxyKind kind;
            switch (scheme)
            {
                case "socks5":
                case "socks5h":
                    kind = SmtpProxyKind.Socks5;
                    break;
                case "socks4":
                    kind = SmtpProxyKind.Socks4;
                    break;
                case "socks4a":
                    kind = SmtpProxyKind.Socks4a;
                    break;
                case "http":
                    kind = SmtpProxyKind.Http;
                    break;
                case "https":
                    throw Invalid(text, "a proxy reached over TLS (https://) is not supported; give the proxy's http:// address (the mail itself is still protected by -UseTls or -UseStartTls through the tunnel).");
                default:
                    throw Invalid(text, $"'{scheme}://' is not a proxy kind this module speaks: use socks5://, socks4://, socks4a:// or http://.");
            }

            rest = rest.TrimEnd('/');
            if (rest.IndexOfAny(new[] { '/', '?', '#' }) >= 0 || rest.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw Invalid(text, "give only the proxy's host and port, as in socks5://proxy.example.com:1080.");
            }

            var colon = rest.LastIndexOf(':');
            var closing = rest.LastIndexOf(']');
            if (colon < 0 || colon < closing || colon == rest.Length - 1)
            {
                throw Invalid(text, "the proxy's port is missing, as in http://proxy.example.com:3128.");
            }

            var host = TcpConnect.Unbracket(rest.Substring(0, colon));
            if (host.Length == 0 || host.Length > 255 || (rest[0] != '[' && host.IndexOf(':') >= 0))
            {
                throw Invalid(text, "the proxy's host is missing or not a host name or address.");
            }

            if (!int.TryParse(rest.Substring(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
            {
                throw Invalid(text, "the proxy's port must be a number between 1 and 65535.");
            }

            if (kind == SmtpProxyKind.Socks4 && password != null && password.Length > 0)
            {
                throw new SmtpHandlerException(
                    "InvalidConfiguration",
                    SmtpFailureKind.InvalidConfiguration,
                    $"{CredentialParameterName}: SOCKS 4 carries a user name only, never a password; use socks5:// for a proxy that wants a password.",
                    userName) { ParameterName = CredentialParameterName };
            }

            if (userName != null && (userName.Length == 0 || userName.Any(char.IsControl) || (kind == SmtpProxyKind.Http && userName.IndexOf(':') >= 0)))
            {
                throw new SmtpHandlerException(
                    "InvalidConfiguration",
                    SmtpFailureKind.InvalidConfiguration,
                    $"{CredentialParameterName}: the user name is empty or has a character a proxy login can't carry.",
                    userName) { ParameterName = CredentialParameterName };
            }

            var secret = password?.Copy();
            secret?.MakeReadOnly();
            return new SmtpProxy(kind, host, port) { UserName = userName, Password = secret };
        }

        /// <summary>The same proxy with another login (or none).</summary>
        public SmtpProxy WithCredential(string? userName, SecureString? password) => Parse(Address, userName, password);

        /// <summary>The password as text for the moment a handshake sends it; null without a login.</summary>
        internal string? PasswordText() => Password == null ? null : new NetworkCredential(string.Empty, Password).Password;

        /// <summary>Never shows the password: socks5://host:port, with "as USER" when there is a login.</summary>
        public override string ToString() => UserName == null ? Address : $"{Address} (as {UserName})";

        internal static string Scheme(SmtpProxyKind kind) => kind switch
        {
            SmtpProxyKind.Socks5 => "socks5",
            SmtpProxyKind.Socks4 => "socks4",
            SmtpProxyKind.Socks4a => "socks4a",
            _ => "http",
        };

        /// <summary>The address with anything between "://" and the last '@' masked: a login typed into it is never repeated.</summary>
        internal static string Redacted(string address)
        {
            var at = address.LastIndexOf('@');
            if (at < 0)
            {
                return address;
            }

            var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
            var start = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 3 : 0;
            return address.Substring(0, start) + "***" + address.Substring(at);
        }

        private static SmtpHandlerException Invalid(string shown, string message) =>
            new("InvalidConfiguration", SmtpFailureKind.InvalidConfiguration, $"{ParameterName}: '{shown}' is not a usable proxy address: {message}", shown) { ParameterName = ParameterName };
    }
}
