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
        private int next = -1;
        private int running;
        private SmtpHandlerException? fatal;
        private Exception? crash;

        public SharedWork(IReadOnlyList<PreparedMessage> messages, CallerThreadQueue callerThread, int workers)
        {
            Messages = messages;
            this.callerThread = callerThread;
            results = new SmtpSendResult?[messages.Count];
            running = workers;
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

        /// <summary>The next message no session has taken; false when none is left.</summary>
        public bool TryTake(out int index)
        {
            index = Interlocked.Increment(ref next);
            return index < Messages.Count;
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
