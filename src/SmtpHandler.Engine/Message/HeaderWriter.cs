using System;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// Writes one header's raw value the way RFC 5322 and RFC 2047 want it: lines folded before whitespace at
    /// <see cref="FoldAt"/> where a break is possible, and non-ASCII text as encoded-words of at most
    /// <see cref="MaxEncodedWord"/> characters, each holding whole characters. The value is ASCII but for an address that only SMTPUTF8 can carry.
    /// </summary>
    internal sealed class HeaderWriter
    {
        /// <summary>Characters in a line without its CRLF that RFC 5322 2.1.1 asks for.</summary>
        public const int FoldAt = 78;

        /// <summary>Characters in one encoded-word, "=?" to "?=" (RFC 2047 2).</summary>
        public const int MaxEncodedWord = 75;

        private const string Prefix = "=?utf-8?";
        private const int Overhead = 12; // "=?utf-8?b?" and "?="

        private static readonly UTF8Encoding Utf8 = new(false);
        private readonly StringBuilder raw = new();
        private int line;
        private bool wordOnLine;

        public HeaderWriter(string field)
        {
            line = field.Length + 1;
        }

        /// <summary>Starts a new line unless the next <paramref name="length"/> characters fit on this one (a mailbox kept whole).</summary>
        public void KeepTogether(int length)
        {
            if (wordOnLine && line + length > FoldAt && length + 1 <= FoldAt)
            {
                NewLine();
            }
        }

        /// <summary>A word that is written as it is, after its whitespace; folded before the whitespace when it would pass the line.</summary>
        public void Plain(string whitespace, string word)
        {
            whitespace = whitespace.Length == 0 ? " " : whitespace;
            if (wordOnLine && line + whitespace.Length + word.Length > FoldAt)
            {
                NewLine();
            }

            raw.Append(whitespace).Append(word);
            line += whitespace.Length + word.Length;
            wordOnLine = true;
        }

        /// <summary>
        /// Text as encoded-words (UTF-8; Q when mostly ASCII, else B), split between whole characters so that each
        /// word has at most 75 characters and, where it can, each line at most 78. Whitespace inside the text is
        /// encoded with it: whitespace between two encoded-words is dropped by a reader.
        /// </summary>
        public void Encoded(string whitespace, string text, bool phrase)
        {
            var bytes = Utf8.GetBytes(text);
            var escaped = 0;
            foreach (var b in bytes)
            {
                if (!QSafe(b, phrase) && b != (byte)' ')
                {
                    escaped++;
                }
            }

            var useQ = escaped * 6 < bytes.Length; // few to escape: Q stays readable and is not longer than B
            var start = 0;
            whitespace = whitespace.Length == 0 ? " " : whitespace;
            while (start < text.Length)
            {
                var room = Math.Min(MaxEncodedWord, FoldAt - line - whitespace.Length);
                var end = Fit(text, start, room, useQ, phrase);
                if (end == start || (wordOnLine && end < text.Length && room < MaxEncodedWord / 2))
                {
                    // Too little room left on this line for a useful word: start a new line and measure again.
                    if (wordOnLine)
                    {
                        NewLine();
                        continue;
                    }

                    end = Fit(text, start, MaxEncodedWord, useQ, phrase);
                }

                raw.Append(whitespace);
                var word = EncodeWord(text.Substring(start, end - start), useQ, phrase);
                raw.Append(word);
                line += whitespace.Length + word.Length;
                wordOnLine = true;
                whitespace = " ";
                start = end;
            }
        }

        /// <summary>The raw value as MimeKit keeps it: a space after the colon, the folded text, a newline.</summary>
        public byte[] ToRawValue()
        {
            // UTF-8: an address whose local part is not ASCII is written as it is, for a server with SMTPUTF8 (RFC 6532);
            // without it SevenBitHeaders leaves such addresses out. Everything else here is ASCII.
            var text = raw.Length > 0 && raw[0] == ' ' ? raw.ToString() : " " + raw;
            return Utf8.GetBytes(text + "\n");
        }

        public override string ToString() => raw.ToString();

        private void NewLine()
        {
            raw.Append('\n');
            line = 0;
            wordOnLine = false;
        }

        /// <summary>Where an encoded-word that starts at <paramref name="start"/> and is at most <paramref name="room"/> long must end.</summary>
        private static int Fit(string text, int start, int room, bool useQ, bool phrase)
        {
            var length = Overhead;
            var bytes = 0;
            var i = start;
            var buffer = new byte[4];
            while (i < text.Length)
            {
                var count = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                var n = Utf8.GetBytes(text, i, count, buffer, 0);
                int next;
                if (useQ)
                {
                    next = length;
                    for (var k = 0; k < n; k++)
                    {
                        next += QSafe(buffer[k], phrase) || buffer[k] == (byte)' ' ? 1 : 3;
                    }
                }
                else
                {
                    next = Overhead + ((bytes + n + 2) / 3 * 4);
                }

                if (next > room)
                {
                    break;
                }

                length = next;
                bytes += n;
                i += count;
            }

            return i;
        }

        private static string EncodeWord(string text, bool useQ, bool phrase)
        {
            var bytes = Utf8.GetBytes(text);
            if (!useQ)
            {
                return Prefix + "b?" + Convert.ToBase64String(bytes) + "?=";
            }

            var word = new StringBuilder(Prefix + "q?", MaxEncodedWord);
            foreach (var b in bytes)
            {
                if (b == (byte)' ')
                {
                    word.Append('_');
                }
                else if (QSafe(b, phrase))
                {
                    word.Append((char)b);
                }
                else
                {
                    word.Append('=').Append(b.ToString("X2"));
                }
            }

            return word.Append("?=").ToString();
        }

        // RFC 2047 5: in a phrase only letters, digits and !*+-/ stand for themselves; "=", "?", "_" and space never do.
        private static bool QSafe(byte b, bool phrase) =>
            (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'0' && b <= (byte)'9')
            || b == (byte)'!' || b == (byte)'*' || b == (byte)'+' || b == (byte)'-' || b == (byte)'/'
            || (!phrase && b > 32 && b < 127 && b != (byte)'=' && b != (byte)'?' && b != (byte)'_' && b != (byte)'(' && b != (byte)')' && b != (byte)'"');
    }
}
