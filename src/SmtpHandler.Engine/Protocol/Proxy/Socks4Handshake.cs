using System;
using System.Linq;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// SOCKS 4 CONNECT (IPv4 only, the server's name resolved here with the one bounded lookup) and SOCKS 4a (the proxy
    /// resolves it). SOCKS 4 carries a user id, never a password.
    /// </summary>
    internal static class Socks4Handshake
    {
        private const byte Granted = 90;

        public static string Run(ProxyWire wire, SmtpProxy proxy, string host, int port, TimeSpan timeout, CancellationToken cancellation)
        {
            var name = TcpConnect.Unbracket(host);
            var user = Encoding.UTF8.GetBytes(proxy.UserName ?? string.Empty);
            byte[] address;
            byte[] hostName = Array.Empty<byte>();
            if (IPAddress.TryParse(name, out var literal) && literal.AddressFamily == AddressFamily.InterNetwork)
            {
                address = literal.GetAddressBytes();
            }
            else if (proxy.Kind == SmtpProxyKind.Socks4a && literal == null)
            {
                // 0.0.0.x with x non-zero tells a SOCKS 4a proxy that the name follows.
                address = new byte[] { 0, 0, 0, 1 };
                hostName = Encoding.ASCII.GetBytes(new IdnMapping().GetAscii(name));
            }
            else
            {
                address = (literal != null ? new[] { literal } : TcpConnect.Resolve(host, timeout, cancellation))
                    .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)?.GetAddressBytes()
                    ?? throw new ProxyProtocolViolation($"SOCKS 4 reaches IPv4 addresses only, and {host} has none: use socks5:// (or socks4a://)");
            }

            var request = new byte[8 + user.Length + 1 + (hostName.Length > 0 ? hostName.Length + 1 : 0)];
            request[0] = 4;
            request[1] = 1;
            request[2] = (byte)(port >> 8);
            request[3] = (byte)port;
            Buffer.BlockCopy(address, 0, request, 4, 4);
            Buffer.BlockCopy(user, 0, request, 8, user.Length);
            if (hostName.Length > 0)
            {
                Buffer.BlockCopy(hostName, 0, request, 8 + user.Length + 1, hostName.Length);
            }

            wire.Write(request);
            var reply = wire.Read(8);
            if (reply[0] != 0 && reply[0] != 4)
            {
                throw new ProxyProtocolViolation($"it answered with version {reply[0]}: it is not a SOCKS 4 proxy");
            }

            return reply[1] switch
            {
                Granted => "SOCKS 4 reply 90 (granted)",
                92 or 93 => throw new ProxyRefusal($"SOCKS 4 reply {reply[1]} (the proxy could not confirm the user id '{proxy.UserName}' with identd)", login: true),
                _ => throw new ProxyRefusal($"SOCKS 4 reply {reply[1]} (rejected or failed)", login: false),
            };
        }
    }
}
