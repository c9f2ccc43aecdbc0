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
        private readonly ISmtpLog log;
        private bool inData;
        private long dataBytes;
        private bool dataRequested;
        private int tail;

        public RedactingProtocolLogger(ISmtpLog log)
        {
            this.log = log;
        }

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        /// <summary>The server's first reply on this connection (the greeting), as text.</summary>
        public string? Greeting { get; private set; }

        /// <summary>The SASL mechanism of the last AUTH command on this connection (PLAIN, LOGIN, XOAUTH2, ...).</summary>
        public string? AuthenticationMechanism { get; private set; }

        /// <summary>
        /// Whether the current message's data went out up to its final "." line. A connection lost after
        /// that leaves delivery unknown; lost before it, the server discards the message.
        /// </summary>
        public bool DataTerminatorSent { get; private set; }

        public void LogConnect(Uri uri)
        {
            Greeting = null;
            AuthenticationMechanism = null;
            inData = false;
            dataRequested = false;
            if (log.IsProtocolEnabled)
            {
                log.Protocol($"Connected to {uri}");
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            if (inData)
            {
                dataBytes += count;
                TrackTerminator(buffer, offset, count);
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
                        copy[secret.StartIndex - offset + i] = (byte)'*';
                    }
                }
            }

            var text = Encoding.UTF8.GetString(copy);
            if (text.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase))
            {
                var end = text.IndexOfAny(new[] { ' ', '\r', '\n' }, 5);
                AuthenticationMechanism = (end < 0 ? text.Substring(5) : text.Substring(5, end - 5)).ToUpperInvariant();
            }

            dataRequested = text.StartsWith("DATA", StringComparison.OrdinalIgnoreCase) || text.IndexOf("\r\nDATA\r\n", StringComparison.OrdinalIgnoreCase) >= 0;
            if (log.IsProtocolEnabled)
            {
                WriteLines("C: ", text);
            }
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            var text = Encoding.UTF8.GetString(buffer, offset, count);
            Greeting ??= text.TrimEnd('\r', '\n');
            if (inData)
            {
                if (log.IsProtocolEnabled)
                {
                    log.Protocol($"C: [message data, {dataBytes} bytes]");
                }

                inData = false;
            }

            if (dataRequested && text.StartsWith("354", StringComparison.Ordinal))
            {
                inData = true;
                dataBytes = 0;
                tail = 0;
                DataTerminatorSent = false;
            }

            dataRequested = false;
            if (log.IsProtocolEnabled)
            {
                WriteLines("S: ", text);
            }
        }

        /// <summary>Call when a transaction starts.</summary>
        public void BeginTransaction()
        {
            DataTerminatorSent = false;
            tail = 0;
        }

        // Matches CRLF "." CRLF across buffer boundaries with a 5-byte state machine.
        private void TrackTerminator(byte[] buffer, int offset, int count)
        {
            var pattern = "\r\n.\r\n";
            for (var i = offset; i < offset + count; i++)
            {
                var b = buffer[i];
                tail = b == pattern[tail] ? tail + 1 : b == '\r' ? 1 : 0;
                if (tail == pattern.Length)
                {
                    DataTerminatorSent = true;
                    tail = 0;
                }
            }
        }

        public void Dispose()
        {
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
