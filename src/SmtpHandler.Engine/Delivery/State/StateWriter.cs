using System;
using System.IO;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Appends lines to the open, locked state file for every connection of a send. <see cref="Commit"/> hands the
    /// lines to the operating system at once (a killed process loses nothing written), and a thread of its own
    /// forces them to the disk behind the send (group commit: one fsync covers every line before it), so that the
    /// send does not wait a disk flush per transaction. The last lines are forced to the disk on <see cref="Dispose"/>.
    /// </summary>
    internal sealed class StateWriter : IDisposable
    {
        private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
        private readonly FileStream stream;

        // The same file handle seen by a second FileStream that never writes: its Flush(true) is the fsync of the
        // background thread, which must not share the writing stream's buffer (FileStream is not thread-safe).
        private readonly FileStream syncView;
        private readonly object gate = new();
        private readonly StringBuilder pending = new();
        private readonly AutoResetEvent written = new(false);
        private readonly Thread syncer;
        private volatile bool closing;
        private Exception? failure;

        public StateWriter(FileStream stream)
        {
            this.stream = stream;
            syncView = new FileStream(stream.SafeFileHandle, FileAccess.Write, 1);

            // It must never close the handle the writing stream owns, not even from the finalizer.
            GC.SuppressFinalize(syncView);
            syncer = new Thread(SyncLoop) { IsBackground = true, Name = "SmtpHandler state file" };
            syncer.Start();
        }

        /// <summary>Queues a line (it ends with "\n"); nothing is written until <see cref="Commit"/>.</summary>
        public void Append(string line)
        {
            lock (gate)
            {
                pending.Append(line);
            }
        }

        /// <summary>Queues lines built by <paramref name="build"/> under the lock, in one piece.</summary>
        public void Append(Action<StringBuilder> build)
        {
            lock (gate)
            {
                build(pending);
            }
        }

        /// <summary>Writes every queued line to the file (the operating system holds it from here on) before returning.</summary>
        public void Commit()
        {
            lock (gate)
            {
                ThrowIfFailed();
                if (pending.Length == 0)
                {
                    return;
                }

                var bytes = Utf8.GetBytes(pending.ToString());
                pending.Clear();
                try
                {
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush();
                }
                catch (IOException ex)
                {
                    failure = ex;
                    ThrowIfFailed();
                }
            }

            written.Set();
        }

        /// <summary>Writes what is queued and waits until it is on the disk.</summary>
        public void CommitToDisk()
        {
            Commit();
            lock (gate)
            {
                stream.Flush(true);
            }
        }

        public void Dispose()
        {
            try
            {
                CommitToDisk();
            }
            finally
            {
                closing = true;
                written.Set();
                syncer.Join();
                written.Dispose();
                stream.Dispose();
            }
        }

        private void SyncLoop()
        {
            while (true)
            {
                written.WaitOne();
                if (closing)
                {
                    return;
                }

                try
                {
                    syncView.Flush(true);
                }
                catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException)
                {
                    // A disk that fails here fails the next Commit too, which reports it; the loop just stops.
                    return;
                }
            }
        }

        private void ThrowIfFailed()
        {
            if (failure != null)
            {
                throw new SmtpHandlerException("StateFileWriteFailed", SmtpFailureKind.ResourceUnavailable, $"Could not write the state file '{stream.Name}': {failure.Message} Sending stopped so that no recipient goes unrecorded.", stream.Name, failure);
            }
        }
    }
}
