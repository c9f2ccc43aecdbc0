using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// A minimal SMTP conversation over a socket, for diagnostics: it sees what MailKit hides (the
    /// plaintext EHLO before STARTTLS, the raw greeting, the first bytes of a failed handshake). Every
    /// step is bounded by the timeout and by the cancellation token: when either fires, the socket is
    /// closed under the blocked call, so nothing waits longer. Only netstandard2.0 APIs that .NET
    /// Framework 4.7.2 has.
    /// </summary>
    internal sealed class SmtpWire : IDisposable
    {
        private readonly Socket socket;
        private readonly FirstBytesStream network;
        private readonly TimeSpan timeout;
        private readonly CancellationToken cancellation;
        private readonly ISmtpLog log;
        private readonly List<string> transcript;
        private readonly SentSecrets? secrets;
        private Stream stream;
        private byte[] buffer = new byte[4096];
        private int start;
        private int end;

        public SmtpWire(Socket socket, TimeSpan timeout, ISmtpLog log, List<string> transcript, CancellationToken cancellation, SentSecrets? secrets = null)
        {
            this.secrets = secrets;
            this.socket = socket;
            this.timeout = timeout;
            this.log = log;
            this.transcript = transcript;
            this.cancellation = cancellation;
            // A second bound in case closing the socket does not wake a blocked call on some platform.
            socket.ReceiveTimeout = socket.SendTimeout = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds + 2000);
            network = new FirstBytesStream(new NetworkStream(socket, ownsSocket: false));
            stream = network;
        }

        /// <summary>The stream below any TLS layer, for a handshake.</summary>
        public Stream Network => network;

        /// <summary>The first bytes the server sent, as printable text: a failed handshake shows whether it spoke SMTP.</summary>
        public string FirstBytesText => network.FirstBytesText;

        /// <summary>Whether the first bytes from the server look like an SMTP reply ("220 ...").</summary>
        public bool ServerSpokeSmtpFirst => network.FirstBytesText.Length >= 4 && network.FirstBytesText.Take(3).All(char.IsDigit) && (network.FirstBytesText[3] == ' ' || network.FirstBytesText[3] == '-');

        /// <summary>Data received but not yet read as a reply (none may be left before a TLS handshake).</summary>
        public bool HasUnreadData => start < end;

        /// <summary>Whether a step failed in a way that leaves the connection unusable.</summary>
        public bool Broken { get; private set; }

        public TimeSpan Timeout => timeout;

        /// <summary>Reads from now on through <paramref name="tls"/>, whose handshake is done.</summary>
        public void Secure(SslStream tls)
        {
            stream = tls;
            start = end = 0;
        }

        /// <summary>Waits up to <paramref name="limit"/> for the server to send something (or close); true when it did.</summary>
        public bool WaitForData(TimeSpan limit)
        {
            cancellation.ThrowIfCancellationRequested();
            if (HasUnreadData)
            {
                return true;
            }

            try
            {
                return socket.Poll((int)Math.Max(1, limit.TotalMilliseconds * 1000), SelectMode.SelectRead);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Broken = true;
                throw new SmtpWireException(WireFailure.Closed, "greeting", ex.Message, ex);
            }
        }

        /// <summary>Runs one step; when the timeout or the token fires first, the socket is closed under it.</summary>
        public void Guard(string step, Action action, TimeSpan? limit = null) => Guard(step, () =>
        {
            action();
            return true;
        }, limit);

        public T Guard<T>(string step, Func<T> action, TimeSpan? limit = null)
        {
            cancellation.ThrowIfCancellationRequested();
            if (Broken)
            {
                throw new SmtpWireException(WireFailure.Closed, step, "the connection is no longer usable");
            }

            var allowed = limit ?? timeout;
            using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            watchdog.CancelAfter(allowed);
            Exception? failure = null;
            var result = default(T);
            var registration = watchdog.Token.Register(Abort);
            try
            {
                result = action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                // Waits for a running Abort, so the check below sees it.
                registration.Dispose();
            }

            if (watchdog.IsCancellationRequested)
            {
                Broken = true;
                cancellation.ThrowIfCancellationRequested();
                throw new SmtpWireException(WireFailure.TimedOut, step, $"no answer within {Seconds(allowed)} s", failure);
            }

            switch (failure)
            {
                case null:
                    return result!;
                case SmtpWireException wire:
                    Broken = true;
                    throw new SmtpWireException(wire.Failure, step, wire.Message, wire.InnerException);
                case IOException or SocketException or ObjectDisposedException:
                    Broken = true;
                    throw new SmtpWireException(WireFailure.Closed, step, Innermost(failure).Message, failure);
                case AuthenticationException:
                    Broken = true;
                    break;
            }

            ExceptionDispatchInfo.Capture(failure).Throw();
            throw failure;
        }

        /// <summary>Reads one (possibly multi-line) reply.</summary>
        public SmtpReply ReadReply(string step, TimeSpan? limit = null) => Guard(step, ReadReplyUnguarded, limit);

        /// <summary>Sends one command line and reads its reply. <paramref name="shownAs"/> replaces it in the transcript (secrets).</summary>
        public SmtpReply Send(string step, string command, string? shownAs = null, TimeSpan? limit = null)
        {
            if (command.IndexOfAny(new[] { '\r', '\n' }) >= 0)
            {
                throw new ArgumentException("A command must be one line.", nameof(command));
            }

            return Guard(step, () =>
            {
                Record("C: " + (shownAs ?? command));
                var bytes = Encoding.UTF8.GetBytes(command + "\r\n");
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
                return ReadReplyUnguarded();
            }, limit);
        }

        /// <summary>Adds a line of our own to the transcript (TLS events).</summary>
        public void Note(string text) => Record("-- " + text);

        public void Dispose()
        {
            Abort();
        }

        internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

        private static Exception Innermost(Exception ex)
        {
            while (ex.InnerException != null && ex is not SocketException)
            {
                ex = ex.InnerException;
            }

            return ex;
        }

        private SmtpReply ReadReplyUnguarded()
        {
            var lines = new List<string>();
            var code = 0;
            var total = 0;
            while (true)
            {
                var line = ReadLine();
                total += line.Length;
                Record("S: " + line);
                if (line.Length < 3 || !line.Take(3).All(c => c >= '0' && c <= '9') || (line.Length > 3 && line[3] != ' ' && line[3] != '-'))
                {
                    throw new SmtpWireException(WireFailure.NotSmtp, "reply", $"not an SMTP reply: '{Printable(line)}'");
                }

                code = int.Parse(line.Substring(0, 3), System.Globalization.CultureInfo.InvariantCulture);
                lines.Add(line.Length > 4 ? line.Substring(4) : string.Empty);
                if (line.Length == 3 || line[3] == ' ')
                {
                    return new SmtpReply(code, lines);
                }

                if (ReplyScanner.Overflow(0, total) is { } overflow)
                {
                    throw new SmtpWireException(WireFailure.NotSmtp, "reply", overflow);
                }
            }
        }

        private string ReadLine()
        {
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    var length = newline - start;
                    if (length > 0 && buffer[newline - 1] == '\r')
                    {
                        length--;
                    }

                    // Every line the server wrote, as the report, its findings and the log will show it.
                    var line = ServerText.Clean(Encoding.UTF8.GetString(buffer, start, length), secrets);
                    start = newline + 1;
                    return line;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                if (end == buffer.Length)
                {
                    if (ReplyScanner.Overflow(buffer.Length + 1, 0) is { } overflow)
                    {
                        throw new SmtpWireException(WireFailure.NotSmtp, "reply", $"{overflow}: '{Printable(Encoding.UTF8.GetString(buffer, 0, 60))}...'");
                    }

                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    throw new SmtpWireException(WireFailure.Closed, "reply", "the server closed the connection");
                }

                end += read;
            }
        }

        private void Record(string line)
        {
            transcript.Add(line);
            if (log.IsProtocolEnabled)
            {
                log.Protocol(line.Length > 500 ? line.Substring(0, 500) + "..." : line);
            }
        }

        private void Abort()
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }

            socket.Dispose();
        }

        internal static string Printable(string text)
        {
            var builder = new StringBuilder(Math.Min(text.Length, 80));
            foreach (var c in text.Take(80))
            {
                builder.Append(c >= ' ' && c < 0x7F ? c : '.');
            }

            return builder.ToString();
        }
    }
}
