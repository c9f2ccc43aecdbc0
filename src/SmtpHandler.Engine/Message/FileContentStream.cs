using System;
using System.IO;

namespace SmtpHandler
{
    /// <summary>
    /// A read-only view of a file that opens it only while it is being read and closes it at the end,
    /// so many prepared messages hold no file handles, and a large attachment is streamed, never buffered.
    /// Seeking back to the start reopens it (each batch of a message writes it again).
    /// </summary>
    internal sealed class FileContentStream : Stream
    {
        private const int BufferSize = 81920;
        private readonly string path;
        private FileStream? file;
        private long position;

        public FileContentStream(string path)
        {
            this.path = path;
        }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => Guard(() => file?.Length ?? new FileInfo(path).Length);

        public override long Position
        {
            get => position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override int Read(byte[] buffer, int offset, int count) => Guard(() =>
        {
            file ??= new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, FileOptions.SequentialScan);
            if (file.Position != position)
            {
                file.Position = position;
            }

            var read = file.Read(buffer, offset, count);
            position += read;
            if (read == 0)
            {
                CloseFile();
            }

            return read;
        });

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                _ => Length + offset,
            };
            if (target < 0)
            {
                throw new IOException("Cannot seek before the start of the file.");
            }

            position = target;
            return position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                CloseFile();
            }

            base.Dispose(disposing);
        }

        private void CloseFile()
        {
            file?.Dispose();
            file = null;
        }

        /// <summary>
        /// A file that fails while the message is being written is the message's fault, not the connection's: it
        /// must not look like an IOException of the network, which would be retried as a broken line.
        /// </summary>
        private T Guard<T>(Func<T> read)
        {
            try
            {
                return read();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                CloseFile();
                throw new AttachmentReadException(path, ex);
            }
        }
    }
}
