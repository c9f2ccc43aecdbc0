using System;
using System.IO;

namespace SmtpHandler
{
    /// <summary>
    /// A write-only stream that compares what is written with expected bytes, line endings normalised to CRLF
    /// on the expected side (as the wire has them): proves MimeKit writes a stored message back unchanged.
    /// </summary>
    internal sealed class SameBytesStream : Stream
    {
        private readonly byte[] expected;
        private readonly int end;
        private int position;
        private bool pendingLf;
        private long written;

        public SameBytesStream(byte[] expected, int offset, int length)
        {
            this.expected = expected;
            position = offset;
            end = offset + length;
        }

        /// <summary>The offset of the first difference in the written bytes, or -1 while they match.</summary>
        public long FirstDifference { get; private set; } = -1;

        /// <summary>Whether everything expected was written and nothing more.</summary>
        public bool Complete => FirstDifference < 0 && position == end && !pendingLf;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => written;

        public override long Position
        {
            get => written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            for (var i = 0; i < count && FirstDifference < 0; i++)
            {
                if (buffer[offset + i] != NextExpected())
                {
                    FirstDifference = written;
                }

                written++;
            }
        }

        // The expected byte stream with a bare LF read as CRLF.
        private int NextExpected()
        {
            if (pendingLf)
            {
                pendingLf = false;
                return '\n';
            }

            if (position >= end)
            {
                return -1;
            }

            var b = expected[position++];
            if (b == '\n' && (position - 2 < 0 || expected[position - 2] != '\r'))
            {
                pendingLf = true;
                return '\r';
            }

            return b;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
