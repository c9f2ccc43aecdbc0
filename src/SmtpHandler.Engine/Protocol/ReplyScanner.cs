namespace SmtpHandler
{
    /// <summary>
    /// Follows the replies in the bytes a server sends, whatever the segmentation: where each reply ends, and whether a
    /// line or a reply grows past <see cref="MaxLineBytes"/> or <see cref="MaxReplyBytes"/>. RFC 5321 allows 512 octets
    /// per reply line; the caps are lenient, but stop a server from making the client buffer without end. Both the
    /// sending path and Test-SmtpConnection hold replies to them.
    /// </summary>
    internal sealed class ReplyScanner
    {
        /// <summary>The longest reply line taken, its CR LF included.</summary>
        public const int MaxLineBytes = 8 * 1024;

        /// <summary>The longest reply taken, all of its lines together.</summary>
        public const int MaxReplyBytes = 64 * 1024;

        private int lineBytes;
        private int replyBytes;

        // The fourth byte of the current line ('-' continues the reply), 0 until the line has one.
        private byte separator;

        /// <summary>The failure message for a reply or a line over its cap, or null.</summary>
        public static string? Overflow(int lineBytes, int replyBytes) =>
            lineBytes > MaxLineBytes ? $"a reply line longer than {MaxLineBytes} bytes" :
            replyBytes > MaxReplyBytes ? $"a reply longer than {MaxReplyBytes} bytes" :
            null;

        /// <summary>Forgets a partial reply: a new connection starts with none.</summary>
        public void Reset()
        {
            lineBytes = 0;
            replyBytes = 0;
            separator = 0;
        }

        /// <summary>
        /// Reads the next bytes from the server; returns how many replies they completed. Throws
        /// <see cref="SmtpHandlerException"/> (ReplyTooLong) once a line or a reply is over its cap.
        /// </summary>
        public int Scan(byte[] buffer, int offset, int count, string endpoint)
        {
            var completed = 0;
            var end = offset + count;
            while (offset < end)
            {
                var newline = System.Array.IndexOf(buffer, (byte)'\n', offset, end - offset);
                var take = (newline < 0 ? end : newline + 1) - offset;
                if (separator == 0 && lineBytes < 4 && lineBytes + take > 3)
                {
                    separator = buffer[offset + 3 - lineBytes];
                }

                lineBytes += take;
                replyBytes += take;
                if (Overflow(lineBytes, replyBytes) is { } overflow)
                {
                    throw TooLong(endpoint, overflow);
                }

                offset += take;
                if (newline < 0)
                {
                    break;
                }

                // "250-" goes on; anything else ("250 ", "250" alone) is the reply's last line, as MailKit reads it.
                if (separator != (byte)'-')
                {
                    completed++;
                    replyBytes = 0;
                }

                lineBytes = 0;
                separator = 0;
            }

            return completed;
        }

        /// <summary>The one error for a reply over a cap: the connection is given up, and another would get the same.</summary>
        public static SmtpHandlerException TooLong(string endpoint, string what) => new(
            "ReplyTooLong",
            SmtpFailureKind.ProtocolError,
            $"{endpoint} sent {what} (RFC 5321 allows 512 octets per reply line); the connection was given up.",
            endpoint);
    }
}
