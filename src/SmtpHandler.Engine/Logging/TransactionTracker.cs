using System;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// Follows the bytes of the current transaction to tell delivery how far its message data got: whether the
    /// server answered DATA with 354, whether the final "." went out, and the server's reply to the data. A lost
    /// connection is then judged by it: before the final ".", the server discards the message; after it, with no
    /// reply, delivery is unknown. Fed by <see cref="ProtocolHook"/>; replies are read as complete lines,
    /// however the network splits them.
    /// </summary>
    internal sealed class TransactionTracker
    {
        private static readonly byte[] Terminator = Encoding.ASCII.GetBytes("\r\n.\r\n");
        private static readonly byte[] Data = Encoding.ASCII.GetBytes("DATA\r\n");
        private static readonly byte[] LineData = Encoding.ASCII.GetBytes("\r\nDATA\r\n");
        private bool dataRequested;
        private int matched;
        // Only a reply's code and first words are read from it: a longer line is kept cut, so an endless line costs
        // no memory here (MailKit's own reading bounds the wait and the connection).
        private const int KeptLineBytes = 1024;
        private byte[] partialLine = new byte[128];
        private int partialLength;

        /// <summary>Whether the server answered DATA with 354 in the current transaction: the message content began.</summary>
        public bool DataStarted { get; private set; }

        /// <summary>Whether the bytes the client writes now are message data (after 354, up to the final ".").</summary>
        public bool InData { get; private set; }

        /// <summary>
        /// Whether the current message's data went out up to its final "." line (handed to the network: MailKit
        /// logs a write only once it succeeded).
        /// </summary>
        public bool DataTerminatorSent { get; private set; }

        /// <summary>Bytes of message data written in the current transaction, up to and with the final ".".</summary>
        public long DataBytes { get; private set; }

        /// <summary>
        /// The server's reply to the message data (the first reply line after 354, even one sent early, before the
        /// final "."), or null while none came. With it, a connection lost afterwards leaves nothing unknown.
        /// </summary>
        public int? DataReplyCode { get; private set; }

        /// <summary>The text of <see cref="DataReplyCode"/>'s first line.</summary>
        public string? DataReplyText { get; private set; }

        private bool AwaitingReply => dataRequested || (DataStarted && DataReplyCode == null);

        /// <summary>A new connection: nothing of the last one's commands carries over.</summary>
        public void Reset()
        {
            dataRequested = false;
            Begin();
        }

        /// <summary>Call when a transaction starts: forgets the previous transaction's data state.</summary>
        public void Begin()
        {
            InData = false;
            DataStarted = false;
            DataTerminatorSent = false;
            DataReplyCode = null;
            DataReplyText = null;
            DataBytes = 0;
            matched = 0;
            partialLength = 0;
        }

        /// <summary>
        /// Follows bytes the client wrote. Returns how many of them, from the start, were message data (0 outside
        /// the data); the rest are commands.
        /// </summary>
        public int Client(byte[] buffer, int offset, int count)
        {
            var consumed = 0;
            if (InData)
            {
                consumed = TrackData(buffer, offset, count);
                if (InData || consumed == count)
                {
                    return consumed;
                }

                // Anything written after the final "." in the same buffer is a command again.
                offset += consumed;
                count -= consumed;
            }

            dataRequested = StartsWith(buffer, offset, count, Data) || IndexOf(buffer, offset, count, LineData) >= 0;
            if (dataRequested)
            {
                // Whatever the server sent before DATA answered earlier commands.
                partialLength = 0;
            }

            return consumed;
        }

        /// <summary>Follows bytes the server sent; a reply line split across reads is joined before it is read.</summary>
        public void Server(byte[] buffer, int offset, int count)
        {
            var end = offset + count;
            var start = offset;
            while (start < end && AwaitingReply)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline < 0)
                {
                    Keep(buffer, start, end - start);
                    return;
                }

                if (partialLength > 0)
                {
                    Keep(buffer, start, newline + 1 - start);
                    ReadLine(partialLine, 0, partialLength);
                    partialLength = 0;
                }
                else
                {
                    ReadLine(buffer, start, newline + 1 - start);
                }

                start = newline + 1;
            }
        }

        private void ReadLine(byte[] line, int offset, int length)
        {
            if (!TryParseCode(line, offset, length, out var code))
            {
                return;
            }

            if (DataStarted && DataReplyCode == null)
            {
                // The reply to the message data; a server may send it before the final "." (e.g. 552 too big).
                DataReplyCode = code;
                DataReplyText = ReplyText(line, offset, length);
            }
            else if (dataRequested && code == ReplyCodes.StartMailInput)
            {
                dataRequested = false;
                InData = true;
                DataStarted = true;
                DataBytes = 0;
                matched = 2; // the data starts at the beginning of a line, as if after a CRLF
                DataTerminatorSent = false;
                DataReplyCode = null;
                DataReplyText = null;
            }
        }

        private void Keep(byte[] buffer, int offset, int count)
        {
            count = Math.Min(count, KeptLineBytes - partialLength);
            if (count <= 0)
            {
                return;
            }

            if (partialLength + count > partialLine.Length)
            {
                Array.Resize(ref partialLine, Math.Max(partialLine.Length * 2, partialLength + count));
            }

            Buffer.BlockCopy(buffer, offset, partialLine, partialLength, count);
            partialLength += count;
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
                    DataBytes += consumed;
                    InData = false;
                    DataTerminatorSent = true;
                    matched = 0;
                    return consumed;
                }
            }

            DataBytes += count;
            return count;
        }

        private static bool TryParseCode(byte[] line, int offset, int length, out int code)
        {
            code = 0;
            if (length < 3)
            {
                return false;
            }

            for (var i = offset; i < offset + 3; i++)
            {
                if (line[i] < '0' || line[i] > '9')
                {
                    return false;
                }

                code = (code * 10) + (line[i] - '0');
            }

            return true;
        }

        /// <summary>The line after its code and separator, without the line end.</summary>
        private static string ReplyText(byte[] line, int offset, int length)
        {
            var end = offset + length;
            while (end > offset && (line[end - 1] == '\n' || line[end - 1] == '\r'))
            {
                end--;
            }

            return end - offset > 4 ? Encoding.UTF8.GetString(line, offset + 4, end - offset - 4) : string.Empty;
        }

        internal static bool StartsWith(byte[] buffer, int offset, int count, byte[] prefix)
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
    }
}
