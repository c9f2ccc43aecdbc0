using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmtpHandler
{
    /// <summary>SOCKS 5 (RFC 1928) CONNECT, with RFC 1929 user name and password when the proxy has a login; the proxy resolves a server name.</summary>
    internal static class Socks5Handshake
    {
        private const byte Version = 5;
        private const byte NoLogin = 0;
        private const byte UserPassword = 2;
        private const byte NoAcceptableMethod = 0xFF;

        /// <summary>Opens the tunnel to <paramref name="host"/>:<paramref name="port"/>; returns the proxy's reply in words.</summary>
        public static string Run(ProxyWire wire, SmtpProxy proxy, string host, int port)
        {
            var login = proxy.UserName != null;
            wire.Write(login ? new byte[] { Version, 2, NoLogin, UserPassword } : new byte[] { Version, 1, NoLogin });
            var choice = wire.Read(2);
            if (choice[0] != Version)
            {
                throw new ProxyProtocolViolation($"it answered the SOCKS 5 greeting with version {choice[0]}: it is not a SOCKS 5 proxy");
            }

            switch (choice[1])
            {
                case NoLogin:
                    break;
                case UserPassword when login:
                    LogIn(wire, proxy);
                    break;
                case NoAcceptableMethod:
                    throw new ProxyRefusal(login ? "it accepts none of the login methods offered (none, user name and password)" : "it wants a login: give it with -ProxyCredential", login: true);
                default:
                    throw new ProxyRefusal($"it asks for login method {choice[1]}, which this module does not speak (only a user name and password)", login: true);
            }

            wire.Write(ConnectRequest(host, port));

            // VER REP RSV ATYP, then the bound address (its first byte tells a name's length) and port.
            var head = wire.Read(5);
            if (head[0] != Version)
            {
                throw new ProxyProtocolViolation($"it answered CONNECT with version {head[0]}");
            }

            if (head[1] != 0)
            {
                throw new ProxyRefusal($"SOCKS 5 reply {head[1]} ({Reason(head[1])})", login: false);
            }

            var rest = head[3] switch
            {
                1 => 4 - 1 + 2,
                4 => 16 - 1 + 2,
                3 => head[4] + 2,
                _ => throw new ProxyProtocolViolation($"it answered CONNECT with address type {head[3]}"),
            };
            wire.Read(rest);
            return "SOCKS 5 reply 0 (succeeded)";
        }

        private static void LogIn(ProxyWire wire, SmtpProxy proxy)
        {
            var user = Encoding.UTF8.GetBytes(proxy.UserName!);
            var password = Encoding.UTF8.GetBytes(proxy.PasswordText() ?? string.Empty);
            try
            {
                if (user.Length > 255 || password.Length > 255)
                {
                    throw new ProxyRefusal("SOCKS 5 carries a user name and a password of at most 255 bytes each", login: true);
                }

                var request = new byte[3 + user.Length + password.Length];
                request[0] = 1;
                request[1] = (byte)user.Length;
                Buffer.BlockCopy(user, 0, request, 2, user.Length);
                request[2 + user.Length] = (byte)password.Length;
                Buffer.BlockCopy(password, 0, request, 3 + user.Length, password.Length);
                try
                {
                    wire.Write(request);
                }
                finally
                {
                    Array.Clear(request, 0, request.Length);
                }
            }
            finally
            {
                Array.Clear(password, 0, password.Length);
            }

            var status = wire.Read(2);
            if (status[1] != 0)
            {
                throw new ProxyRefusal($"it refused the user name and password of '{proxy.UserName}' (status {status[1]})", login: true);
            }
        }

        private static byte[] ConnectRequest(string host, int port)
        {
            var name = TcpConnect.Unbracket(host);
            byte[] address;
            byte type;
            if (IPAddress.TryParse(name, out var literal))
            {
                address = literal.GetAddressBytes();
                type = literal.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)4 : (byte)1;
            }
            else
            {
                var bytes = Encoding.ASCII.GetBytes(new IdnMapping().GetAscii(name));
                if (bytes.Length > 255)
                {
                    throw new ProxyProtocolViolation("the server's name is longer than the 255 bytes SOCKS 5 carries");
                }

                address = new byte[bytes.Length + 1];
                address[0] = (byte)bytes.Length;
                Buffer.BlockCopy(bytes, 0, address, 1, bytes.Length);
                type = 3;
            }

            var request = new byte[4 + address.Length + 2];
            request[0] = Version;
            request[1] = 1;
            request[3] = type;
            Buffer.BlockCopy(address, 0, request, 4, address.Length);
            request[request.Length - 2] = (byte)(port >> 8);
            request[request.Length - 1] = (byte)port;
            return request;
        }

        private static string Reason(byte reply) => reply switch
        {
            1 => "general failure",
            2 => "connection not allowed by the proxy's rules",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused by the server",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unknown reply",
        };
    }
}
