using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// The proxy handshake's reads and writes on the blocking socket <see cref="TcpConnect"/> made: each waits in short
    /// Poll slices, so the one deadline and the cancellation token end it at once, and the socket never goes through
    /// the runtime's event loop (see <see cref="TcpConnect"/>). A proxy that accepts and stays silent times out here.
    /// </summary>
    internal sealed class ProxyWire
    {
        private const int SliceMicroseconds = 100_000;

        /// <summary>The most an HTTP proxy's reply to CONNECT may hold (status line and headers).</summary>
        public const int MaxHttpReplyBytes = 16 * 1024;

        private readonly Socket socket;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly TimeSpan timeout;
        private readonly CancellationToken cancellation;

        public ProxyWire(Socket socket, TimeSpan timeout, CancellationToken cancellation)
        {
            this.socket = socket;
            this.timeout = timeout;
            this.cancellation = cancellation;
        }

        public void Write(byte[] bytes)
        {
            var sent = 0;
            while (sent < bytes.Length)
            {
                WaitFor(SelectMode.SelectWrite);
                sent += socket.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
            }
        }

        /// <summary>Exactly <paramref name="count"/> bytes; <see cref="ProxyClosedException"/> when the proxy closes first.</summary>
        public byte[] Read(int count)
        {
            var bytes = new byte[count];
            var read = 0;
            while (read < count)
            {
                WaitFor(SelectMode.SelectRead);
                var n = socket.Receive(bytes, read, count - read, SocketFlags.None);
                if (n == 0)
                {
                    throw new ProxyClosedException();
                }

                read += n;
            }

            return bytes;
        }

        /// <summary>
        /// An HTTP reply's head up to its blank line, read a byte at a time: whatever follows belongs to the tunnel (the
        /// SMTP greeting may come in the same packet) and must stay unread. Capped at <see cref="MaxHttpReplyBytes"/>.
        /// </summary>
        public string ReadHttpHead()
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!EndsWith(head, "\r\n\r\n") && !EndsWith(head, "\n\n"))
            {
                if (head.Length >= MaxHttpReplyBytes)
                {
                    throw new ProxyProtocolViolation($"its reply to CONNECT was longer than {MaxHttpReplyBytes / 1024} KB without ending");
                }

                if (socket.Available == 0)
                {
                    WaitFor(SelectMode.SelectRead);
                }

                if (socket.Receive(one, 0, 1, SocketFlags.None) == 0)
                {
                    if (head.Length == 0)
                    {
                        throw new ProxyClosedException();
                    }

                    break;
                }

                head.Append((char)one[0]);
            }

            return head.ToString();
        }

        private void WaitFor(SelectMode mode)
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                if (socket.Poll((int)Math.Min(SliceMicroseconds, Math.Max(1, left.TotalMilliseconds * 1000)), mode))
                {
                    return;
                }
            }
        }

        private static bool EndsWith(StringBuilder text, string end)
        {
            if (text.Length < end.Length)
            {
                return false;
            }

            for (var i = 0; i < end.Length; i++)
            {
                if (text[text.Length - end.Length + i] != end[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
