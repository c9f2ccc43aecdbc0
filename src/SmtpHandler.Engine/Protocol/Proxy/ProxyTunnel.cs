using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// A connection to the server through a proxy, for sending and diagnostics alike: the one DNS + TCP connect
    /// (<see cref="TcpConnect"/>) to the proxy, then its handshake on that blocking socket, each bounded by the
    /// timeout and the token. MailKit's own proxy clients are not used: they resolve the proxy's name with a lookup
    /// no token or timeout ends, and hand back a stream rather than the socket the diagnosis and the watchdog need.
    /// Every failure names the proxy, never the server, with a ProxyFailed kind.
    /// </summary>
    internal static class ProxyTunnel
    {
        /// <summary>
        /// A connected blocking socket whose bytes reach <paramref name="host"/>:<paramref name="port"/>. The TCP connect
        /// to the proxy has <paramref name="timeout"/> (lookup included), its handshake <paramref name="timeout"/> again.
        /// <paramref name="cancellation"/> may fire for a deadline of the caller's (a watchdog), which counts as a
        /// timeout; only <paramref name="user"/> firing is a cancellation (<see cref="OperationCanceledException"/>).
        /// </summary>
        public static Socket Open(
            SmtpProxy proxy,
            string host,
            int port,
            TimeSpan timeout,
            CancellationToken cancellation,
            CancellationToken user,
            ProxyHop? hop = null,
            Action? connected = null)
        {
            var clock = Stopwatch.StartNew();
            Socket socket;
            try
            {
                socket = TcpConnect.Connect(proxy.Host, proxy.Port, timeout, cancellation);
            }
            catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !user.IsCancellationRequested))
            {
                throw Failure("ProxyTimedOut", $"The proxy {proxy.Address} did not accept a TCP connection within {Seconds(timeout)} s, so nothing reached {Server(host, port)}.", proxy, ex, transient: true);
            }
            catch (SocketException ex)
            {
                throw Failure("ProxyConnectionFailed", $"Could not connect to the proxy {proxy.Address}: {ex.Message}. Nothing reached {Server(host, port)}.", proxy, ex, transient: true);
            }

            try
            {
                if (hop != null)
                {
                    hop.RemoteAddress = (socket.RemoteEndPoint as IPEndPoint)?.Address.ToString();
                    hop.ConnectTime = clock.Elapsed;
                }

                connected?.Invoke();
                socket.NoDelay = true;
                var wire = new ProxyWire(socket, timeout, cancellation);
                var reply = proxy.Kind switch
                {
                    SmtpProxyKind.Http => HttpConnectHandshake.Run(wire, proxy, host, port),
                    SmtpProxyKind.Socks5 => Socks5Handshake.Run(wire, proxy, host, port),
                    _ => Socks4Handshake.Run(wire, proxy, host, port, timeout, cancellation),
                };
                if (hop != null)
                {
                    hop.Reply = reply;
                }

                return socket;
            }
            catch (Exception ex)
            {
                socket.Dispose();
                if (ex is OperationCanceledException && user.IsCancellationRequested)
                {
                    throw;
                }

                throw Translate(ex, proxy, host, port, timeout);
            }
        }

        private static Exception Translate(Exception ex, SmtpProxy proxy, string host, int port, TimeSpan timeout)
        {
            var handshake = proxy.Kind == SmtpProxyKind.Http ? "its HTTP CONNECT" : $"its {(proxy.Kind == SmtpProxyKind.Socks5 ? "SOCKS 5" : "SOCKS 4")} handshake";
            return ex switch
            {
                TimeoutException or OperationCanceledException => Failure(
                    "ProxyTimedOut",
                    $"The proxy {proxy.Address} accepted the connection but did not finish {handshake} within {Seconds(timeout)} s, so nothing reached {Server(host, port)}.",
                    proxy, ex, transient: true),
                ProxyRefusal { Login: true } refusal => Failure(
                    "ProxyAuthenticationFailed",
                    $"The proxy {proxy.Address} refused the login: {refusal.Message}. Nothing reached {Server(host, port)}.",
                    proxy, ex, transient: false),
                ProxyRefusal refusal => Failure(
                    "ProxyRefused",
                    $"The proxy {proxy.Address} refused to open a tunnel to {Server(host, port)}: {refusal.Message}. The proxy's rules may not allow that port, or the proxy cannot reach the server.",
                    proxy, ex, transient: false),
                ProxyProtocolViolation or ProxyClosedException => Failure(
                    "ProxyProtocolError",
                    $"The proxy {proxy.Address} did not complete {handshake}: {ex.Message}. Check that the address's scheme ({SmtpProxy.Scheme(proxy.Kind)}://) is what that port speaks.",
                    proxy, ex, transient: ex is ProxyClosedException),
                SmtpHandlerException handled => handled,
                _ => Failure(
                    "ProxyConnectionFailed",
                    $"The connection to the proxy {proxy.Address} failed during {handshake}: {ex.Message}. Nothing reached {Server(host, port)}.",
                    proxy, ex, transient: true),
            };
        }

        private static SmtpHandlerException Failure(string errorId, string message, SmtpProxy proxy, Exception inner, bool transient) =>
            new(errorId, SmtpFailureKind.ProxyFailed, message, proxy.Address, inner) { Transient = transient };

        private static string Server(string host, int port) => $"{host}:{port}";

        private static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
    }
}
