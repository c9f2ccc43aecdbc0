using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler
{
    /// <summary>
    /// The one way to reach a server over TCP, for sending and diagnostics alike: the name lookup and the connect
    /// are each bounded by the timeout and by the cancellation token.
    /// The socket stays a plain blocking one. MailKit's own connect is asynchronous underneath, and on .NET
    /// (Linux, macOS) a socket once used asynchronously stays registered with the runtime's event loop for good:
    /// every later synchronous read then goes through that loop and the thread pool, which costs CPU on every reply
    /// of every message. Here the connect waits with Select instead, in short slices, so a timeout and cancellation
    /// still end it at once.
    /// </summary>
    internal static class TcpConnect
    {
        private const int SliceMicroseconds = 100_000;

        /// <summary>
        /// A connected blocking socket to <paramref name="host"/>:<paramref name="port"/>, trying each address the name
        /// resolves to in turn. Throws <see cref="SocketException"/> (refused, unreachable, no such host),
        /// <see cref="TimeoutException"/>, or <see cref="OperationCanceledException"/>.
        /// </summary>
        public static Socket Connect(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
        {
            // One budget for both steps: a slow lookup leaves the connect only what is left of the timeout.
            var clock = Stopwatch.StartNew();
            var addresses = Resolve(host, timeout, cancellationToken);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Resolving '{Unbracket(host)}' used up the {timeout.TotalSeconds:0.###} s timeout.");
            }

            return Connect(addresses, port, left, cancellationToken);
        }

        /// <summary>
        /// The addresses <paramref name="host"/> names: an address literal (IPv6 with or without its [brackets]) as it
        /// is, otherwise a DNS lookup that may return none. Throws <see cref="SocketException"/> when the lookup fails,
        /// <see cref="TimeoutException"/> when it takes longer than <paramref name="timeout"/>, or
        /// <see cref="OperationCanceledException"/>. <paramref name="lookupOf"/> stands in for DNS (a resolver that never
        /// answers, in tests).
        /// </summary>
        public static IPAddress[] Resolve(string host, TimeSpan timeout, CancellationToken cancellationToken, Func<string, Task<IPAddress[]>>? lookupOf = null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Unbracket(host);
            if (IPAddress.TryParse(name, out var literal))
            {
                return new[] { literal };
            }

            var lookup = (lookupOf ?? Dns.GetHostAddressesAsync)(name);
            try
            {
                if (!lookup.Wait(Milliseconds(timeout), cancellationToken))
                {
                    Observe(lookup);
                    throw new TimeoutException($"Resolving '{name}' took longer than {timeout.TotalSeconds:0.###} s.");
                }
            }
            catch (AggregateException ex)
            {
                ExceptionDispatchInfo.Capture(ex.InnerException ?? ex).Throw();
                throw;
            }
            catch (OperationCanceledException)
            {
                Observe(lookup);
                throw;
            }

            return lookup.Result;
        }

        /// <summary>
        /// A connected blocking socket to the first of <paramref name="addresses"/> that accepts within what is left of
        /// <paramref name="timeout"/>. <paramref name="trying"/> hears of each attempt and <paramref name="failures"/>
        /// collects each refusal, for diagnostics. Throws the last <see cref="SocketException"/> when every address
        /// refused, <see cref="TimeoutException"/> when the time ran out first, or <see cref="OperationCanceledException"/>.
        /// </summary>
        public static Socket Connect(
            IReadOnlyList<IPAddress> addresses,
            int port,
            TimeSpan timeout,
            CancellationToken cancellationToken,
            Action<IPAddress>? trying = null,
            ICollection<KeyValuePair<IPAddress, SocketException>>? failures = null)
        {
            var clock = Stopwatch.StartNew();
            SocketException? last = null;
            foreach (var address in addresses)
            {
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                trying?.Invoke(address);
                try
                {
                    return ConnectOne(new IPEndPoint(address, port), left, cancellationToken);
                }
                catch (SocketException ex)
                {
                    failures?.Add(new KeyValuePair<IPAddress, SocketException>(address, ex));
                    last = ex;
                }
            }

            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }

        /// <summary>"[::1]" is the address ::1; a name keeps its spelling.</summary>
        internal static string Unbracket(string host) =>
            host.Length > 2 && host[0] == '[' && host[host.Length - 1] == ']' ? host.Substring(1, host.Length - 2) : host;

        private static Socket ConnectOne(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Blocking = false;
                try
                {
                    socket.Connect(endpoint);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock || ex.SocketErrorCode == SocketError.InProgress)
                {
                    Wait(socket, timeout, cancellationToken);
                }

                socket.Blocking = true;
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private static void Wait(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                var writable = new List<Socket> { socket };
                var failed = new List<Socket> { socket };
                var slice = (int)Math.Min(SliceMicroseconds, Math.Max(1, left.TotalMilliseconds * 1000));
                Socket.Select(null, writable, failed, slice);
                if (writable.Count == 0 && failed.Count == 0)
                {
                    continue;
                }

                // Writable, or an error: the connect ended one way or the other; SO_ERROR says which.
                var error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != 0)
                {
                    throw new SocketException(error);
                }

                return;
            }
        }

        private static int Milliseconds(TimeSpan span) => (int)Math.Min(int.MaxValue, Math.Ceiling(span.TotalMilliseconds));

        private static void Observe(Task task) => task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }
}
