using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>The messages of a send over several connections, which session takes which, and their results.</summary>
    internal sealed class SharedWork
    {
        private readonly SmtpSendResult?[] results;
        private readonly CallerThreadQueue callerThread;
        private readonly Queue<int> handedBack = new();
        private int next = -1;
        private int running;

        // Sessions still taking messages (not retired, not out of work): the last one never retires.
        private int live;
        private SmtpHandlerException? fatal;
        private Exception? crash;

        public SharedWork(IReadOnlyList<PreparedMessage> messages, CallerThreadQueue callerThread, int workers)
        {
            Messages = messages;
            this.callerThread = callerThread;
            results = new SmtpSendResult?[messages.Count];
            running = workers;
            live = workers;
        }

        /// <summary>Sessions whose thread has not finished yet.</summary>
        public int RunningWorkers => Volatile.Read(ref running);

        public void WorkerFinished() => Interlocked.Decrement(ref running);

        /// <summary>A session's thread ended with an exception: the first is kept.</summary>
        public void Crash(Exception exception) => Interlocked.CompareExchange(ref crash, exception, null);

        /// <summary>Rethrows, on the caller's thread, a session's failure that is not a cancellation.</summary>
        public void ThrowIfCrashed()
        {
            var error = Volatile.Read(ref crash);
            if (error != null && !(error is OperationCanceledException))
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }

        public IReadOnlyList<PreparedMessage> Messages { get; }

        /// <summary>The first failure that dooms the messages not yet started, or null.</summary>
        public SmtpHandlerException? Fatal => Volatile.Read(ref fatal);

        /// <summary>
        /// The next message no session has taken (one handed back first); false when none is left, and the calling
        /// session then counts as ended.
        /// </summary>
        public bool TryTake(out int index)
        {
            lock (handedBack)
            {
                if (handedBack.Count > 0)
                {
                    index = handedBack.Dequeue();
                    return true;
                }

                if (next + 1 < Messages.Count)
                {
                    index = ++next;
                    return true;
                }

                index = -1;
                live--;
                return false;
            }
        }

        /// <summary>
        /// A session whose connection the server refused as one too many hands message <paramref name="index"/> back
        /// and ends, unless it is the last one still sending (then it keeps the message and waits instead). Under the
        /// same lock as <see cref="TryTake"/>, so a message handed back always finds a session to take it, and
        /// <paramref name="beforeHandBack"/> (the retiring session's last records) runs before another can take it.
        /// </summary>
        public bool Retire(int index, Action beforeHandBack)
        {
            lock (handedBack)
            {
                if (live <= 1)
                {
                    return false;
                }

                // What the retiring session still had to write happens before any other session can take the message.
                beforeHandBack();
                handedBack.Enqueue(index);
                live--;
                return true;
            }
        }

        public void Fail(SmtpHandlerException failure) => Interlocked.CompareExchange(ref fatal, failure, null);

        public void Complete(int index, SmtpSendResult result)
        {
            Volatile.Write(ref results[index], result);
            callerThread.Wake();
        }

        public SmtpSendResult? ResultAt(int index) => Volatile.Read(ref results[index]);
    }
}
