using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Work that sending threads hand to the thread that enumerates a send's results (a cmdlet's pipeline thread,
    /// where verbose output may be written and script blocks may run). That thread runs it, in the order it was
    /// posted, whenever it waits for results. Once closed, nothing more runs: what is still queued is dropped and
    /// <see cref="Invoke{T}"/> callers are released by their cancellation token.
    /// </summary>
    internal sealed class CallerThreadQueue : IDisposable
    {
        private readonly object gate = new();
        private readonly Queue<Action> work = new();
        private readonly ManualResetEventSlim wake = new(false);
        private bool closed;

        /// <summary>
        /// Queues <paramref name="action"/> without waiting for it; ignored once closed. Without
        /// <paramref name="wake"/> it runs the next time the caller's thread wakes anyway (for a result), which
        /// spares a thread switch per log line.
        /// </summary>
        public void Post(Action action, bool wake = true)
        {
            lock (gate)
            {
                if (closed)
                {
                    return;
                }

                work.Enqueue(action);
            }

            if (wake)
            {
                this.wake.Set();
            }
        }

        /// <summary>
        /// Runs <paramref name="function"/> on the caller's thread and waits for its value (or its exception).
        /// Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled
        /// first: cancel it when closing the queue.
        /// </summary>
        public T Invoke<T>(Func<T> function, CancellationToken cancellationToken)
        {
            using var done = new ManualResetEventSlim(false);
            var result = default(T)!;
            Exception? error = null;
            Post(() =>
            {
                try
                {
                    result = function();
                }
                catch (Exception ex)
                {
                    error = ex;
                }
                finally
                {
                    done.Set();
                }
            });
            done.Wait(cancellationToken);
            if (error != null)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }

            return result;
        }

        /// <summary>Ends a <see cref="WaitForWork"/>: something was posted, or a result is ready.</summary>
        public void Wake() => wake.Set();

        /// <summary>Blocks the caller's thread until something is posted or <see cref="Wake"/> is called.</summary>
        public void WaitForWork(CancellationToken cancellationToken)
        {
            wake.Wait(cancellationToken);

            // Reset before the caller looks at the queue and the results: a later post or wake sets it again.
            wake.Reset();
        }

        /// <summary>Runs everything posted so far, and what that posts in turn, on the calling thread.</summary>
        public void RunPending()
        {
            while (true)
            {
                Action next;
                lock (gate)
                {
                    if (closed || work.Count == 0)
                    {
                        return;
                    }

                    next = work.Dequeue();
                }

                next();
            }
        }

        /// <summary>Drops what is queued; later posts are ignored.</summary>
        public void Close()
        {
            lock (gate)
            {
                closed = true;
                work.Clear();
            }
        }

        public void Dispose()
        {
            Close();
            wake.Dispose();
        }
    }
}
