using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// RFC 5545 3.1: a content line longer than 75 octets is folded (CRLF and one space) before the 76th octet,
    /// never inside a UTF-8 sequence (nor between the halves of a surrogate pair).
    /// </summary>
    internal static class ContentLineFolder
    {
        public const int MaxOctets = 75;

        /// <summary>Appends <paramref name="line"/>, folded, and its CRLF.</summary>
        public static void AppendFolded(StringBuilder output, string line)
        {
            var octets = 0;
            for (var i = 0; i < line.Length; i++)
            {
                var isPair = char.IsHighSurrogate(line[i]) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]);
                var size = isPair ? 4 : Utf8Length(line[i]);
                if (octets + size > MaxOctets)
                {
                    output.Append("\r\n ");
                    octets = 1;
                }

                output.Append(line[i]);
                if (isPair)
                {
                    output.Append(line[++i]);
                }

                octets += size;
            }

            output.Append("\r\n");
        }

        private static int Utf8Length(char c) => c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
}
