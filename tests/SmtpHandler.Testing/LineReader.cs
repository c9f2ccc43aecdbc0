using System;
using System.IO;
using System.Text;

namespace SmtpHandler.Testing
{
    /// <summary>
    /// Reads lines from one stream through a buffer. A line ends at LF, with or without CR before it (a bare LF ends
    /// a line too, as lenient MTAs read it, so a client that sent "LF . LF" is seen ending its data early).
    /// </summary>
    internal sealed class LineReader
    {
        private readonly Stream stream;
        private readonly int maxLineLength;
        private readonly byte[] buffer = new byte[16 * 1024];
        private byte[] line = new byte[512];
        private int start;
        private int end;

        public LineReader(Stream stream, int maxLineLength)
        {
            this.stream = stream;
            this.maxLineLength = maxLineLength;
        }

        /// <summary>The last line's bytes, its end of line included (<see cref="RawLength"/>).</summary>
        public byte[] Bytes => line;

        /// <summary>The last line's length without CR LF.</summary>
        public int Length { get; private set; }

        /// <summary>The last line's length with its CR LF (or LF).</summary>
        public int RawLength { get; private set; }

        public string Text => Encoding.UTF8.GetString(line, 0, Length);

        /// <summary>Reads the next line; false at the end of the stream. Throws <see cref="InvalidDataException"/> for a line over the cap.</summary>
        public bool ReadLine()
        {
            RawLength = 0;
            while (true)
            {
                if (start == end && !Fill())
                {
                    return false;
                }

                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                var take = (newline < 0 ? end : newline + 1) - start;
                if (RawLength + take > maxLineLength)
                {
                    throw new InvalidDataException($"a line longer than {maxLineLength} bytes");
                }

                if (RawLength + take > line.Length)
                {
                    Array.Resize(ref line, Math.Max(line.Length * 2, RawLength + take));
                }

                Buffer.BlockCopy(buffer, start, line, RawLength, take);
                RawLength += take;
                start += take;
                if (newline >= 0)
                {
                    Length = RawLength - 1 - (RawLength >= 2 && line[RawLength - 2] == '\r' ? 1 : 0);
                    return true;
                }
            }
        }

        /// <summary>Consumes <paramref name="count"/> bytes as they come; false when the stream ends first.</summary>
        public bool Skip(int count)
        {
            while (count > 0)
            {
                if (start == end && !Fill())
                {
                    return false;
                }

                var take = Math.Min(count, end - start);
                start += take;
                count -= take;
            }

            return true;
        }

        private bool Fill()
        {
            start = 0;
            end = stream.Read(buffer, 0, buffer.Length);
            return end > 0;
        }
    }
}
