using System;
using System.Text;
using MailKit;

namespace SmtpHandler
{
    /// <summary>
    /// MailKit's protocol hook: narrates the SMTP conversation to an <see cref="ISmtpLog"/> with AUTH secrets
    /// masked (MailKit marks them through its secret detector) and message data summarised, not printed. It
    /// feeds every byte to the connection's <see cref="TransactionTracker"/>, and notes the facts of the
    /// connection the connector needs (the login mechanism, the last command). It sees every reply in plaintext, before
    /// TLS and after, so it also holds replies to their caps (see <see cref="ReplyScanner"/>) and tells the watchdog
    /// when one came in whole.
    /// </summary>
    internal sealed class ProtocolHook : IProtocolLogger
    {
        private static readonly byte[] Auth = Encoding.ASCII.GetBytes("AUTH ");
        private readonly ISmtpLog log;
        private readonly ReplyScanner replies = new();
        private string endpoint = "the server";

        public ProtocolHook(ISmtpLog log)
        {
            this.log = log;
        }

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        /// <summary>Told of every byte read or written, so that it can tell a live line from a hung one.</summary>
        public IdleWatchdog? Watchdog { get; set; }

        /// <summary>Where each AUTH secret is registered as it goes out, so that a server quoting it back is masked.</summary>
        public SentSecrets Secrets { get; set; } = new();

        /// <summary>How far the current transaction's message data got; delivery decisions read it.</summary>
        public TransactionTracker Transaction { get; } = new();

        /// <summary>The SASL mechanism of the last AUTH command on this connection (PLAIN, LOGIN, XOAUTH2, ...).</summary>
        public string? AuthenticationMechanism { get; private set; }

        /// <summary>
        /// The verb of the last command line sent (outside message data), upper case: which command a failure
        /// answered, e.g. STARTTLS during Connect, where MailKit's exception carries only the server's text.
        /// </summary>
        public string? LastCommand { get; private set; }

        public void LogConnect(Uri uri)
        {
            Watchdog?.Touch();
            AuthenticationMechanism = null;
            LastCommand = null;
            Transaction.Reset();
            replies.Reset();
            endpoint = $"{uri.Host}:{uri.Port}";
            if (log.IsProtocolEnabled)
            {
                log.Protocol($"Connected to {uri}");
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            Watchdog?.Touch();
            var data = Transaction.Client(buffer, offset, count);
            if (data > 0)
            {
                if (!Transaction.InData && log.IsProtocolEnabled)
                {
                    // The final "." went out in this write: the message is summarised, never shown.
                    log.Protocol($"C: [message data, {Transaction.DataBytes} bytes]");
                }

                if (data == count)
                {
                    return;
                }

                offset += data;
                count -= data;
            }

            if (TransactionTracker.StartsWith(buffer, offset, count, Auth))
            {
                var end = offset + Auth.Length;
                while (end < offset + count && buffer[end] != ' ' && buffer[end] != '\r' && buffer[end] != '\n')
                {
                    end++;
                }

                AuthenticationMechanism = Encoding.ASCII.GetString(buffer, offset + Auth.Length, end - offset - Auth.Length).ToUpperInvariant();
            }

            LastCommand = LastVerb(buffer, offset, count) ?? LastCommand;
            var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count);
            for (var i = 0; i < (secrets?.Count ?? 0); i++)
            {
                // Outside AUTH the detector finds nothing at once, and allocates nothing.
                Secrets.AddSent(Encoding.ASCII.GetString(buffer, secrets![i].StartIndex, secrets[i].Length));
            }

            if (!log.IsProtocolEnabled)
            {
                // Nothing is shown: no copy, no masking, no text (a large send writes many commands).
                return;
            }

            WriteLines("C: ", SecretRedactor.Redact(buffer, offset, count, secrets));
        }

        /// <summary>Throws <see cref="SmtpHandlerException"/> (ReplyTooLong) inside MailKit's read once a reply is over its cap.</summary>
        public void LogServer(byte[] buffer, int offset, int count)
        {
            if (replies.Scan(buffer, offset, count, endpoint) > 0)
            {
                Watchdog?.Touch();
            }

            Transaction.Server(buffer, offset, count);
            if (log.IsProtocolEnabled)
            {
                WriteLines("S: ", Encoding.UTF8.GetString(buffer, offset, count));
            }
        }

        public void Dispose()
        {
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

        private void WriteLines(string prefix, string text)
        {
            foreach (var line in text.Split(new[] { "\r\n", "\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                log.Protocol(prefix + (line.Length > 500 ? line.Substring(0, 500) + "..." : line));
            }
        }
    }
}
