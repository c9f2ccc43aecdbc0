using System;
using System.IO;
using System.Text;

namespace SmtpHandler
{
    /// <summary>Passes everything through and keeps the first bytes read from the server.</summary>
    internal sealed class FirstBytesStream : Stream
    {
        private const int Keep = 80;
        private readonly Stream inner;
        private readonly byte[] first = new byte[Keep];
        private int kept;

        public FirstBytesStream(Stream inner) => this.inner = inner;

        public string FirstBytesText => SmtpWire.Printable(Encoding.ASCII.GetString(first, 0, kept));

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            var copy = Math.Min(read, Keep - kept);
            if (copy > 0)
            {
                Buffer.BlockCopy(buffer, offset, first, kept, copy);
                kept += copy;
            }

            return read;
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
