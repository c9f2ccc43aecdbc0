using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Opens the TCP connection that MailKit is then given, so that the socket stays a plain blocking one.
    /// MailKit's own connect is asynchronous underneath, and on .NET (Linux, macOS) a socket once used
    /// asynchronously stays registered with the runtime's event loop for good: every later synchronous read then
    /// goes through that loop and the thread pool, which costs CPU on every reply of every message. Here the connect
    /// waits with Poll/Select instead, in short slices, so a timeout and cancellation still end it at once.
    /// </summary>
    internal static class BlockingSocket
    {
        private const int SliceMicroseconds = 100_000;

        /// <summary>
        /// A connected blocking socket to <paramref name="host"/>:<paramref name="port"/>, trying each address the name
        /// resolves to in turn. Throws <see cref="SocketException"/> (refused, unreachable, no such host),
        /// <see cref="TimeoutException"/>, or <see cref="OperationCanceledException"/>.
        /// </summary>
        public static Socket Connect(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var addresses = IPAddress.TryParse(host, out var literal) ? new[] { literal } : Dns.GetHostAddresses(host);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            var clock = Stopwatch.StartNew();
            Exception? last = null;
            foreach (var address in addresses)
            {
                try
                {
                    return ConnectOne(new IPEndPoint(address, port), timeout - clock.Elapsed, cancellationToken);
                }
                catch (SocketException ex)
                {
                    last = ex;
                }
            }

            throw last!;
        }

        private static Socket ConnectOne(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
        {
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
    }
}
