using System;
using System.Text;
using MailKit;

namespace SmtpHandler
{
    /// <summary>
    /// Forwards the SMTP conversation to an <see cref="ISmtpLog"/>: AUTH secrets are replaced by ********
    /// (MailKit marks them through its secret detector) and message data is summarised, not printed.
    /// It also keeps the server's greeting, which MailKit does not expose.
    /// </summary>
    internal sealed class RedactingProtocolLogger : IProtocolLogger
    {
        private static readonly byte[] Terminator = Encoding.ASCII.GetBytes("\r\n.\r\n");
        private static readonly byte[] Auth = Encoding.ASCII.GetBytes("AUTH ");
        private static readonly byte[] Data = Encoding.ASCII.GetBytes("DATA\r\n");
        private static readonly byte[] LineData = Encoding.ASCII.GetBytes("\r\nDATA\r\n");
        private readonly ISmtpLog log;
        private bool dataRequested;
        private bool inData;
        private long dataBytes;
        private int matched;

        public RedactingProtocolLogger(ISmtpLog log)
        {
            this.log = log;
        }

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        /// <summary>Told of every byte read or written, so that it can tell a live line from a hung one.</summary>
        public IdleWatchdog? Watchdog { get; set; }

        /// <summary>The server's first reply on this connection (the greeting), as text.</summary>
        public string? Greeting { get; private set; }

        /// <summary>The SASL mechanism of the last AUTH command on this connection (PLAIN, LOGIN, XOAUTH2, ...).</summary>
        public string? AuthenticationMechanism { get; private set; }

        /// <summary>
        /// The verb of the last command line sent (outside message data), upper case: which command a failure
        /// answered, e.g. STARTTLS during Connect, where MailKit's exception carries only the server's text.
        /// </summary>
        public string? LastCommand { get; private set; }

        /// <summary>Whether the server answered DATA with 354 in the current transaction: the message content began.</summary>
        public bool DataStarted { get; private set; }

        /// <summary>
        /// Whether the current message's data went out up to its final "." line (handed to the network: MailKit
        /// logs a write only once it succeeded). A connection lost after that, with no reply, leaves delivery
        /// unknown; lost before it, the server discards the message.
        /// </summary>
        public bool DataTerminatorSent { get; private set; }

        /// <summary>
        /// The server's reply to the message data (the first reply after 354, even one sent early, before the
        /// final "."), or null while none came. With it, a connection lost afterwards leaves nothing unknown.
        /// </summary>
        public int? DataReplyCode { get; private set; }

        /// <summary>The text of <see cref="DataReplyCode"/>'s reply.</summary>
        public string? DataReplyText { get; private set; }

        public void LogConnect(Uri uri)
        {
            Watchdog?.Touch();
            Greeting = null;
            AuthenticationMechanism = null;
            LastCommand = null;
            dataRequested = false;
            BeginTransaction();
            if (log.IsProtocolEnabled)
            {
                log.Protocol($"Connected to {uri}");
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            Watchdog?.Touch();
            if (inData)
            {
                var consumed = TrackData(buffer, offset, count);
                if (inData || consumed == count)
                {
                    return;
                }

                // Anything written after the final "." in the same buffer is a command again.
                offset += consumed;
                count -= consumed;
            }

            if (StartsWith(buffer, offset, count, Auth))
            {
                var end = offset + Auth.Length;
                while (end < offset + count && buffer[end] != ' ' && buffer[end] != '\r' && buffer[end] != '\n')
                {
                    end++;
                }

                AuthenticationMechanism = Encoding.ASCII.GetString(buffer, offset + Auth.Length, end - offset - Auth.Length).ToUpperInvariant();
            }

            LastCommand = LastVerb(buffer, offset, count) ?? LastCommand;
            dataRequested = StartsWith(buffer, offset, count, Data) || IndexOf(buffer, offset, count, LineData) >= 0;
            if (!log.IsProtocolEnabled)
            {
                // Nothing is shown: no copy, no secret masking, no text (a large send writes many commands).
                return;
            }

            var copy = new byte[count];
            Buffer.BlockCopy(buffer, offset, copy, 0, count);
            var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count);
            if (secrets != null)
            {
                foreach (var secret in secrets)
                {
                    for (var i = 0; i < secret.Length; i++)
                    {
                        var at = secret.StartIndex - offset + i;
                        if (at >= 0 && at < copy.Length)
                        {
                            copy[at] = (byte)'*';
                        }
                    }
                }
            }

            WriteLines("C: ", Encoding.UTF8.GetString(copy));
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            Watchdog?.Touch();
            var wantsReply = Greeting == null || (DataStarted && DataReplyCode == null) || dataRequested;
            if (!wantsReply && !log.IsProtocolEnabled)
            {
                // An ordinary reply, and nothing is shown: MailKit has parsed it already.
                return;
            }

            var text = Encoding.UTF8.GetString(buffer, offset, count);
            Greeting ??= text.TrimEnd('\r', '\n');
            if (DataStarted && DataReplyCode == null)
            {
                // The reply to the message data; a server may send it before the final "." (e.g. 552 too big).
                if (TryParseCode(text, out var code))
                {
                    DataReplyCode = code;
                    DataReplyText = ReplyText(text);
                }
            }

            if (dataRequested)
            {
                dataRequested = false;
                if (HasLineStartingWith(text, "354"))
                {
                    inData = true;
                    DataStarted = true;
                    dataBytes = 0;
                    matched = 2; // the data starts at the beginning of a line, as if after a CRLF
                    DataTerminatorSent = false;
                    DataReplyCode = null;
                    DataReplyText = null;
                }
            }

            if (log.IsProtocolEnabled)
            {
                WriteLines("S: ", text);
            }
        }

        /// <summary>Call when a transaction starts: forgets the previous transaction's data state.</summary>
        public void BeginTransaction()
        {
            inData = false;
            DataStarted = false;
            DataTerminatorSent = false;
            DataReplyCode = null;
            DataReplyText = null;
            dataBytes = 0;
            matched = 0;
        }

        public void Dispose()
        {
        }

        // Counts message bytes and finds CRLF "." CRLF, across buffer boundaries; returns the bytes that were data.
        private int TrackData(byte[] buffer, int offset, int count)
        {
            var end = offset + count;
            for (var i = offset; i < end; i++)
            {
                if (matched == 0)
                {
                    // Nothing under way: skip to the next CR (a vectorised search; most of the data is not a line end).
                    i = Array.IndexOf(buffer, (byte)'\r', i, end - i);
                    if (i < 0)
                    {
                        break;
                    }
                }

                var b = buffer[i];
                matched = b == Terminator[matched] ? matched + 1 : b == '\r' ? 1 : 0;
                if (matched == Terminator.Length)
                {
                    var consumed = i - offset + 1;
                    dataBytes += consumed;
                    inData = false;
                    DataTerminatorSent = true;
                    matched = 0;
                    if (log.IsProtocolEnabled)
                    {
                        log.Protocol($"C: [message data, {dataBytes} bytes]");
                    }

                    return consumed;
                }
            }

            dataBytes += count;
            return count;
        }

        private static bool StartsWith(byte[] buffer, int offset, int count, byte[] prefix)
        {
            if (count < prefix.Length)
            {
                return false;
            }

            for (var i = 0; i < prefix.Length; i++)
            {
                var b = buffer[offset + i];
                if (b >= 'a' && b <= 'z')
                {
                    b -= 32;
                }

                if (b != prefix[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The verb of the last command line in the buffer, upper case (e.g. "RCPT", "STARTTLS"), or null.</summary>
        private static string? LastVerb(byte[] buffer, int offset, int count)
        {
            var end = offset + count;
            while (end > offset && (buffer[end - 1] == '\r' || buffer[end - 1] == '\n'))
            {
                end--;
            }

            if (end == offset)
            {
                return null;
            }

            var start = end;
            while (start > offset && buffer[start - 1] != '\n')
            {
                start--;
            }

            var verbEnd = start;
            while (verbEnd < end && buffer[verbEnd] != ' ' && buffer[verbEnd] != ':' && buffer[verbEnd] != '\r')
            {
                verbEnd++;
            }

            return Encoding.UTF8.GetString(buffer, start, verbEnd - start).ToUpperInvariant();
        }

        private static int IndexOf(byte[] buffer, int offset, int count, byte[] value)
        {
            for (var i = offset; i <= offset + count - value.Length; i++)
            {
                if (StartsWith(buffer, i, value.Length, value))
                {
                    return i;
                }
            }

            return -1;
        }

        private static bool TryParseCode(string text, out int code)
        {
            code = 0;
            return text.Length >= 3 && char.IsDigit(text[0]) && char.IsDigit(text[1]) && char.IsDigit(text[2]) &&
                int.TryParse(text.Substring(0, 3), out code);
        }

        private static string ReplyText(string text)
        {
            var firstLine = text.Split(new[] { "\r\n", "\n" }, StringSplitOptions.RemoveEmptyEntries)[0];
            return firstLine.Length > 4 ? firstLine.Substring(4) : string.Empty;
        }

        private static bool HasLineStartingWith(string text, string code)
        {
            foreach (var line in text.Split(new[] { "\r\n", "\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith(code, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private void WriteLines(string prefix, string text)
        {
            foreach (var line in text.Split(new[] { "\r\n", "\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                log.Protocol(prefix + (line.Length > 500 ? line.Substring(0, 500) + "..." : line));
            }
        }
    }
}
