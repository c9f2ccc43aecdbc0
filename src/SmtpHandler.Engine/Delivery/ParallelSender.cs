using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler
{
    /// <summary>
    /// Sends over several connections at once: that many sessions on threads of their own, each with its own
    /// connection, take the next unsent message in turn until none is left. Each session keeps the
    /// single-connection rules (MaxMessagesPerConnection, retries, the learned recipient limit, every recipient
    /// accounted for); a failure that dooms the rest of a send (login, TLS, a server that can't be reached) dooms
    /// the messages no session has started yet. Everything that must happen on the caller's thread happens there,
    /// inside the enumeration: the log (narration is queued by the sessions and written there, each line headed by
    /// its connection's number) and OAuth token requests (a token script may only run there).
    /// </summary>
    internal static class ParallelSender
    {
        /// <summary>Results in the order of <paramref name="messages"/>, each as soon as it and those before it are known.</summary>
        public static IEnumerable<SmtpSendResult> Send(SmtpHandlerConfig config, ISmtpLog log, SentSecrets secrets, IReadOnlyList<PreparedMessage> messages, int connections, SendGovernor governor, CancellationToken cancellationToken)
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var callerThread = new CallerThreadQueue();
            var shared = new SharedWork(messages, callerThread, connections);

            // Waits are told on the caller's thread, where progress may be written; the pace is shared by every connection.
            governor.ReportThrough(tell => wait => callerThread.Post(() => tell(wait)));
            var culture = CultureInfo.CurrentCulture;
            var uiCulture = CultureInfo.CurrentUICulture;
            log.Step($"Sending {messages.Count} messages over {connections} connections at once");
            var workers = new Task[connections];
            for (var i = 0; i < connections; i++)
            {
                var workerLog = new CallerThreadLog(log, callerThread, $"Connection {i + 1}: ");
                var workerConfig = config.TokenSource == null ? config : config with { TokenSource = new CallerThreadTokenSource(config.TokenSource, callerThread) };
                workers[i] = Task.Factory.StartNew(
                    () =>
                    {
                        // The caller's culture, so that numbers and dates in the narration read the same as from one connection.
                        CultureInfo.CurrentCulture = culture;
                        CultureInfo.CurrentUICulture = uiCulture;
                        try
                        {
                            SendShare(workerConfig, workerLog, secrets, shared, governor, stopping.Token);
                        }
                        catch (Exception ex)
                        {
                            shared.Crash(ex);
                        }
                        finally
                        {
                            // Counted here, before the wake: the task itself is marked complete only a moment later.
                            shared.WorkerFinished();
                            callerThread.Wake();
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);
            }

            try
            {
                var yielded = 0;
                while (yielded < messages.Count)
                {
                    callerThread.RunPending();
                    if (shared.ResultAt(yielded) is { } result)
                    {
                        yielded++;
                        yield return result;
                        continue;
                    }

                    shared.ThrowIfCrashed();
                    callerThread.WaitForWork(cancellationToken);
                }

                // Every message is settled; the sessions say QUIT (and narrate it) before the send ends.
                while (shared.RunningWorkers > 0)
                {
                    callerThread.RunPending();
                    shared.ThrowIfCrashed();
                    callerThread.WaitForWork(cancellationToken);
                }

                callerThread.RunPending();
                shared.ThrowIfCrashed();
            }
            finally
            {
                // Normal end, Ctrl+C, or a consumer that stopped early: no session outlives the enumeration.
                callerThread.Close();
                stopping.Cancel();
                try
                {
                    Task.WaitAll(workers);
                }
                catch (AggregateException)
                {
                    // The sessions catch their own exceptions (SharedWork.Crash); nothing is left to report here.
                }
            }
        }

        /// <summary>One session's part of a send, on its own thread and connection.</summary>
        private static void SendShare(SmtpHandlerConfig config, ISmtpLog log, SentSecrets secrets, SharedWork shared, SendGovernor governor, CancellationToken cancellationToken)
        {
            using var session = new SmtpSession(new SmtpConnector(config, log), config, log);
            session.Logger.Secrets = secrets;
            while (shared.TryTake(out var index))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var delivery = new MessageDelivery(config, log, shared.Messages[index], session, governor, beforeHandBack => shared.Retire(index, beforeHandBack));
                var fatal = shared.Fatal;
                if (fatal == null)
                {
                    fatal = delivery.Run(cancellationToken);
                    if (delivery.Retired)
                    {
                        // The server allows fewer connections: the message went back for another session, and this one ends.
                        return;
                    }

                    if (fatal != null)
                    {
                        shared.Fail(fatal);
                    }
                }
                else
                {
                    delivery.GiveUp(fatal);
                }

                shared.Messages[index].Release();
                shared.Complete(index, delivery.ToResult(fatal));
            }
        }
    }
}
