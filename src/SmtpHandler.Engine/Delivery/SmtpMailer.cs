using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// The SMTP handler: sends prepared messages over one connection, batching recipients, splitting on
    /// "452 too many recipients", retrying transient failures, and accounting for every recipient.
    /// </summary>
    public sealed class SmtpMailer
    {
        private static readonly FormatOptions WireFormat = CreateWireFormat();
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public SmtpMailer(SmtpHandlerConfig config, ISmtpLog? log = null)
        {
            this.config = config ?? throw new ArgumentNullException(nameof(config));
            this.log = log ?? NullSmtpLog.Instance;
        }

        /// <summary>
        /// Checks and builds one message; throws <see cref="SmtpHandlerException"/> for bad input. With
        /// <paramref name="skipInvalidRecipients"/>, an invalid recipient address is recorded as not
        /// attempted instead of failing the message.
        /// </summary>
        public PreparedMessage Prepare(SmtpMessage message, bool skipInvalidRecipients = false) =>
            MessageBuilder.Prepare(message ?? throw new ArgumentNullException(nameof(message)), config, skipInvalidRecipients);

        /// <summary>
        /// Checks a message whose recipients are not known yet (a template for many messages): sender, headers,
        /// subject, body and files. Throws <see cref="SmtpHandlerException"/> for bad input; sends nothing.
        /// </summary>
        public void Validate(SmtpMessage message) =>
            MessageBuilder.Prepare(message ?? throw new ArgumentNullException(nameof(message)), config, skipInvalidRecipients: true, requireRecipients: false);

        /// <summary>
        /// Sends each message and yields its result as soon as it is known. No connection is opened for an
        /// empty sequence; one connection serves all of them (see MaxMessagesPerConnection). With a
        /// ConnectionCount above 1, several messages share out over that many connections at once (see
        /// <see cref="SendOverSeveralConnections"/>); the results still come in the order of the messages.
        /// </summary>
        public IEnumerable<SmtpSendResult> Send(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken = default)
        {
            if (messages == null)
            {
                throw new ArgumentNullException(nameof(messages));
            }

            if (config.IsPickup)
            {
                return WriteToPickup(messages, cancellationToken);
            }

            if (config.ConnectionCount > 1)
            {
                var list = messages as IReadOnlyList<PreparedMessage> ?? messages.ToList();
                if (list.Count > 1)
                {
                    return SendOverSeveralConnections(list, Math.Min(config.ConnectionCount, list.Count), cancellationToken);
                }

                messages = list;
            }

            return SendOverOneConnection(messages, cancellationToken);
        }

        private IEnumerable<SmtpSendResult> WriteToPickup(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken)
        {
            var pickup = new PickupWriter(config, log);
            foreach (var message in messages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return pickup.Write(message);
            }
        }

        private IEnumerable<SmtpSendResult> SendOverOneConnection(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken)
        {
            using var session = new SmtpSession(new SmtpConnector(config, log), config, log);
            SmtpHandlerException? fatal = null;
            using var source = messages.GetEnumerator();
            var next = source.MoveNext() ? source.Current : null;
            while (next != null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Each message is built here, when its turn comes: handing the build to the thread pool to overlap
                // the server's replies cost more than it saved (a wake-up per message, and idle workers spinning for
                // the next item on the cores the server needs), and building takes tens of microseconds.
                var message = next;
                next = source.MoveNext() ? source.Current : null;
                var transaction = new MessageDelivery(this, message, session);
                if (fatal == null)
                {
                    fatal = transaction.Run(cancellationToken);
                }
                else
                {
                    transaction.GiveUp(fatal);
                }

                message.Release();
                yield return transaction.ToResult(fatal);
            }
        }

        /// <summary>
        /// <paramref name="connections"/> sessions on threads of their own, each with its own connection, take the
        /// next unsent message in turn until none is left. Each session keeps the single-connection rules
        /// (MaxMessagesPerConnection, retries, the learned recipient limit, every recipient accounted for); a failure
        /// that dooms the rest of a send (login, TLS, a server that can't be reached) dooms the messages no session
        /// has started yet. Everything that must happen on the caller's thread happens there, inside this
        /// enumeration: the log (narration is queued by the sessions and written here, each line headed by its
        /// connection's number) and OAuth token requests (a token script may only run there). Results are yielded
        /// in the order of <paramref name="messages"/>, each as soon as it and those before it are known.
        /// </summary>
        private IEnumerable<SmtpSendResult> SendOverSeveralConnections(IReadOnlyList<PreparedMessage> messages, int connections, CancellationToken cancellationToken)
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var callerThread = new CallerThreadQueue();
            var shared = new SharedWork(messages, callerThread, connections);
            var culture = CultureInfo.CurrentCulture;
            var uiCulture = CultureInfo.CurrentUICulture;
            log.Step($"Sending {messages.Count} messages over {connections} connections at once");
            var workers = new Task[connections];
            for (var i = 0; i < connections; i++)
            {
                var workerLog = new CallerThreadLog(log, callerThread, $"Connection {i + 1}: ");
                var workerConfig = config.TokenSource == null ? config : config with { TokenSource = new CallerThreadTokenSource(config.TokenSource, callerThread) };
                var worker = new SmtpMailer(workerConfig, workerLog);
                workers[i] = Task.Factory.StartNew(
                    () =>
                    {
                        // The caller's culture, so that numbers and dates in the narration read the same as from one connection.
                        CultureInfo.CurrentCulture = culture;
                        CultureInfo.CurrentUICulture = uiCulture;
                        try
                        {
                            worker.SendShare(shared, stopping.Token);
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

        /// <summary>One session's part of <see cref="SendOverSeveralConnections"/>, on its own thread and connection.</summary>
        private void SendShare(SharedWork shared, CancellationToken cancellationToken)
        {
            using var session = new SmtpSession(new SmtpConnector(config, log), config, log);
            while (shared.TryTake(out var index))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var transaction = new MessageDelivery(this, shared.Messages[index], session);
                var fatal = shared.Fatal;
                if (fatal == null)
                {
                    fatal = transaction.Run(cancellationToken);
                    if (fatal != null)
                    {
                        shared.Fail(fatal);
                    }
                }
                else
                {
                    transaction.GiveUp(fatal);
                }

                shared.Messages[index].Release();
                shared.Complete(index, transaction.ToResult(fatal));
            }
        }

        private static FormatOptions CreateWireFormat()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }

        /// <summary>
        /// How long to wait before retry number <paramref name="attempt"/> (1 for the first): RetryDelay, then
        /// twice as long each time, growing up to a minute; a RetryDelay of more than a minute is kept as it is.
        /// </summary>
        internal static TimeSpan BackoffDelay(TimeSpan retryDelay, int attempt)
        {
            if (retryDelay <= TimeSpan.Zero || attempt < 1)
            {
                return TimeSpan.Zero;
            }

            var ceiling = Math.Max(retryDelay.TotalMilliseconds, 60_000);
            var grown = retryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            return TimeSpan.FromMilliseconds(Math.Min(grown, ceiling));
        }

        /// <summary>The messages of a send over several connections, which session takes which, and their results.</summary>
        private sealed class SharedWork
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

        /// <summary>How a server's reply to one RCPT is to be taken.</summary>
        private enum ReplyKind
        {
            Accepted,
            Transient,
            Permanent,
        }

        /// <summary>Recipients to offer in one transaction, and when.</summary>
        private sealed class Batch
        {
            public Batch(List<MailboxAddress> recipients, int attempt = 0, DateTime notBeforeUtc = default)
            {
                Recipients = recipients;
                Attempt = attempt;
                NotBeforeUtc = notBeforeUtc;
            }

            public List<MailboxAddress> Recipients { get; set; }

            /// <summary>0 for a first try, else the retry number.</summary>
            public int Attempt { get; }

            public DateTime NotBeforeUtc { get; }
        }

        /// <summary>The delivery of one message: its batches, retries and every recipient's state.</summary>
        private sealed class MessageDelivery
        {
            private readonly SmtpMailer owner;
            private readonly PreparedMessage message;
            private readonly SmtpSession session;
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private readonly Dictionary<string, SmtpRecipientResult> outcome = new(StringComparer.OrdinalIgnoreCase);
            private readonly Dictionary<string, int> retries = new(StringComparer.OrdinalIgnoreCase);
            private readonly LinkedList<Batch> pending = new();
            private readonly HashSet<int> connectionsUsed = new();
            private int transactions;

            // Why this message alone could not be sent (its attachment became unreadable); the others go on.
            private SmtpHandlerException? failure;

            public MessageDelivery(SmtpMailer owner, PreparedMessage message, SmtpSession session)
            {
                this.owner = owner;
                this.message = message;
                this.session = session;
                foreach (var batch in Split(message.RecipientMailboxes, BatchSize()))
                {
                    pending.AddLast(new Batch(batch));
                }
            }

            private SmtpHandlerConfig Config => owner.config;

            private ISmtpLog Log => owner.log;

            /// <summary>Sends every batch; returns a failure that also dooms the messages after this one.</summary>
            public SmtpHandlerException? Run(CancellationToken cancellationToken)
            {
                try
                {
                    _ = message.Mime;
                }
                catch (SmtpHandlerException ex)
                {
                    // Its content can't be built any more (a file went away since it was checked): this message
                    // fails, the ones after it are sent.
                    FailMessage(ex);
                    return null;
                }

                var connectFailures = 0;
                while (pending.Count > 0)
                {
                    var batch = pending.First!.Value;
                    pending.RemoveFirst();

                    // Never offer a recipient twice once its fate is known (accepted, refused or unknown).
                    batch.Recipients = batch.Recipients.Where(m => !outcome.ContainsKey(m.Address)).ToList();
                    if (batch.Recipients.Count == 0)
                    {
                        continue;
                    }

                    WaitUntil(batch.NotBeforeUtc, cancellationToken);
                    if (MessageBuilder.FindUnreadableFile(message.Source) is SmtpHandlerException unreadable)
                    {
                        // Prepare read every file, but they are read again only now: one gone or locked since then
                        // fails this message before its transaction starts, and not the connection or the others.
                        pending.AddFirst(batch);
                        FailMessage(unreadable);
                        return null;
                    }

                    RecordingSmtpClient client;
                    try
                    {
                        client = session.Ensure(cancellationToken);
                    }
                    catch (SmtpHandlerException ex) when (ex.Transient && connectFailures < Config.RetryCount)
                    {
                        connectFailures++;
                        var delay = BackoffDelay(Config.RetryDelay, connectFailures);
                        Log.Step($"{ex.Message} Retrying in {delay.TotalSeconds:0.###} s ({connectFailures} of {Config.RetryCount}).");
                        pending.AddFirst(new Batch(batch.Recipients, batch.Attempt, DateTime.UtcNow + delay));
                        continue;
                    }
                    catch (SmtpHandlerException ex)
                    {
                        pending.AddFirst(batch);
                        GiveUp(ex);
                        return ex;
                    }

                    connectFailures = 0;
                    connectionsUsed.Add(session.ConnectionNumber);
                    batch.Recipients = WithoutSmtpUtf8Needs(client, batch.Recipients);
                    if (batch.Recipients.Count == 0)
                    {
                        continue;
                    }

                    var fatal = SendBatch(client, batch.Recipients, cancellationToken);
                    if (fatal != null)
                    {
                        return fatal;
                    }
                }

                return null;
            }

            /// <summary>This message can't be sent: its recipients not yet settled end as not attempted, with why.</summary>
            private void FailMessage(SmtpHandlerException why)
            {
                failure = why;
                Log.Step(why.Message);
                GiveUp(why);
            }

            /// <summary>Every recipient not yet settled ends as not attempted, with why.</summary>
            public void GiveUp(SmtpHandlerException why)
            {
                foreach (var mailbox in pending.SelectMany(b => b.Recipients))
                {
                    if (!outcome.ContainsKey(mailbox.Address))
                    {
                        Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: why.Message));
                    }
                }

                pending.Clear();
            }

            public SmtpSendResult ToResult(SmtpHandlerException? fatal)
            {
                fatal = failure ?? fatal;
                var recipients = message.RecipientMailboxes
                    .Select(m => outcome.TryGetValue(m.Address, out var r) ? r : new SmtpRecipientResult(m.Address, SmtpRecipientStatus.NotAttempted, reason: "Not offered to the server."))
                    .Concat(message.RefusedBeforeSending)
                    .ToArray();
                var failedWhole = fatal != null && recipients.Any(r => r.Status == SmtpRecipientStatus.NotAttempted && r.Reason == fatal.Message);
                return new SmtpSendResult(
                    message.MessageId,
                    message.Subject,
                    message.EnvelopeSender,
                    recipients,
                    transactions,
                    connectionsUsed.Count,
                    clock.Elapsed,
                    $"{Config.SmtpServer}:{Config.Port}",
                    errorId: failedWhole ? fatal!.ErrorId : null,
                    error: failedWhole ? fatal!.Message : null,
                    failureKind: failedWhole ? fatal!.Kind : null);
            }

            /// <summary>At most RecipientsPerMessage, and at most what the server said it takes; 0 for no limit.</summary>
            private int BatchSize()
            {
                var configured = Config.RecipientsPerMessage;
                var learned = session.LearnedRecipientLimit;
                return configured > 0 && learned > 0 ? Math.Min(configured, learned) : Math.Max(configured, learned);
            }

            /// <summary>One transaction. Returns a failure that ends this message and dooms the ones after it.</summary>
            private SmtpHandlerException? SendBatch(RecordingSmtpClient client, List<MailboxAddress> batch, CancellationToken cancellationToken)
            {
                client.BeginTransaction(message.Notify);
                var logger = session.Logger;
                logger.BeginTransaction();
                Log.Step($"Transaction {transactions + 1}: MAIL FROM <{message.EnvelopeSender}>, {batch.Count} recipient(s)");
                try
                {
                    IdleWatchdog.Run(session.Watchdog, cancellationToken, token => client.Send(WireFormat, message.Mime, message.EnvelopeSenderMailbox, batch, token));
                    transactions++;
                    SettleReplies(client.Replies, batch, dataAccepted: true);
                }
                catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted && (int)ex.StatusCode != 421)
                {
                    var code = (int)ex.StatusCode;
                    if (IsTransient(code))
                    {
                        RetryLater(batch, code, ex.Message);
                    }
                    else
                    {
                        // The sender is the same for every batch: the rest would be refused alike.
                        var reply = $"Sender <{message.EnvelopeSender}> refused: {ex.Message}";
                        RejectAll(batch, code, reply);
                    }
                }
                catch (ServiceNotAuthenticatedException ex)
                {
                    // 530: the server wants a login this configuration does not give; no message can go.
                    RejectAll(batch, 530, ex.Message);
                    return new SmtpHandlerException(
                        "AuthenticationRequired",
                        SmtpFailureKind.AuthenticationFailed,
                        $"{Config.SmtpServer}:{Config.Port} requires authentication: give -Credential. The server said: {ex.Message}",
                        Config.SmtpServer,
                        ex);
                }
                catch (AttachmentReadException ex)
                {
                    // A file failed while the data was being written: the connection is left mid-message and goes
                    // (the server discards data without its final "."); this message fails, the others go on.
                    session.Drop();
                    foreach (var refused in client.Replies.Where(r => r.Code >= 500))
                    {
                        Settle(new SmtpRecipientResult(refused.Mailbox.Address, SmtpRecipientStatus.Rejected, refused.Code, refused.Text));
                    }

                    pending.AddFirst(new Batch(batch));
                    FailMessage(new SmtpHandlerException("AttachmentUnreadable", SmtpFailureKind.InvalidArgument, ex.Message, ex.Path, ex) { ParameterName = "Attachments" });
                }
                catch (Exception ex) when (IsConnectionLoss(ex, cancellationToken))
                {
                    session.Drop();
                    if (session.Watchdog.Fired)
                    {
                        ex = new TimeoutException($"the server stopped answering: nothing for {Config.Timeout.TotalSeconds:0.#} s", ex);
                    }

                    Log.Step($"The connection was lost ({Describe(ex)}).");
                    var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                    if (logger.DataReplyCode is int dataCode && dataCode >= 400)
                    {
                        // The server answered the data before the line went: that answer stands.
                        SettleDataFailure(accepted, dataCode, logger.DataReplyText ?? string.Empty);
                    }
                    else if (logger.DataTerminatorSent)
                    {
                        // The server may have queued it: sending again could deliver it twice.
                        foreach (var mailbox in accepted)
                        {
                            Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Unknown, reason: "The connection was lost after the message data was sent, before the server confirmed it: it may or may not have been delivered, so it was not sent again."));
                        }
                    }
                    else
                    {
                        RetryLater(accepted.Concat(Unanswered(client, batch)).ToList(), null, $"Connection lost: {Describe(ex)}");
                    }
                }
                catch (SmtpCommandException ex)
                {
                    // No recipient taken, or the data refused (at DATA or after the final "."): the recipients
                    // accepted at RCPT share the content's fate.
                    var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                    SettleDataFailure(accepted, (int)ex.StatusCode, ex.Message);
                    RetryLater(Unanswered(client, batch), null, $"The server answered {(int)ex.StatusCode} {ex.Message} before this recipient was offered.");
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    // Anything else is a bug or a surprise: account for every recipient, then stop.
                    session.Drop();
                    var failure = new SmtpHandlerException("SendFailed", SmtpFailureKind.ProtocolError, $"Sending to {Config.SmtpServer}:{Config.Port} failed: {ex.Message}", Config.SmtpServer, ex);
                    foreach (var mailbox in batch.Where(m => !outcome.ContainsKey(m.Address)))
                    {
                        Settle(logger.DataTerminatorSent
                            ? new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Unknown, reason: failure.Message)
                            : new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: failure.Message));
                    }

                    GiveUp(failure);
                    return failure;
                }
                finally
                {
                    if (logger.DataStarted)
                    {
                        session.CountData();
                    }
                }

                if (client.Replies.Any(r => r.Code == 421))
                {
                    // The server is closing the connection: don't wait to find out on the next command.
                    session.Drop();
                }

                return null;
            }

            /// <summary>Recipients the server accepted at RCPT whose data then failed with <paramref name="code"/>.</summary>
            private void SettleDataFailure(List<MailboxAddress> accepted, int code, string reply)
            {
                if (IsTransient(code))
                {
                    RetryLater(accepted, code, reply);
                    return;
                }

                foreach (var mailbox in accepted)
                {
                    Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, code, reply));
                }
            }

            /// <summary>Every recipient of this batch and of the batches still to come is refused with this reply.</summary>
            private void RejectAll(List<MailboxAddress> batch, int code, string reply)
            {
                foreach (var mailbox in batch.Concat(pending.SelectMany(b => b.Recipients)).Where(m => !outcome.ContainsKey(m.Address)))
                {
                    Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, code, reply));
                }

                pending.Clear();
            }

            /// <summary>The recipients of <paramref name="batch"/> the server did not answer (in linear time: a batch may hold 100,000).</summary>
            private static List<MailboxAddress> Unanswered(RecordingSmtpClient client, List<MailboxAddress> batch)
            {
                var answered = new HashSet<MailboxAddress>(client.Replies.Select(r => r.Mailbox), SameInstance.Comparer);
                return batch.Where(m => !answered.Contains(m)).ToList();
            }

            /// <summary>
            /// RFC 6531: an address whose local part is not ASCII can only travel with SMTPUTF8. When the server does
            /// not offer it, such recipients (or, for such a sender, all of them) are not attempted, with why.
            /// </summary>
            private List<MailboxAddress> WithoutSmtpUtf8Needs(RecordingSmtpClient client, List<MailboxAddress> batch)
            {
                if (client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
                {
                    return batch;
                }

                var senderNeedsIt = NeedsSmtpUtf8(message.EnvelopeSenderMailbox);
                var sendable = new List<MailboxAddress>();
                foreach (var mailbox in senderNeedsIt ? batch.Concat(pending.SelectMany(b => b.Recipients)).ToList() : batch)
                {
                    if (senderNeedsIt || NeedsSmtpUtf8(mailbox))
                    {
                        var who = senderNeedsIt ? $"the sender <{message.EnvelopeSender}>" : $"<{mailbox.Address}>";
                        Settle(new SmtpRecipientResult(
                            mailbox.Address,
                            SmtpRecipientStatus.NotAttempted,
                            reason: $"{session.Endpoint} does not offer SMTPUTF8, which {who} needs (its local part is not ASCII).",
                            errorId: "SmtpUtf8NotOffered"));
                    }
                    else
                    {
                        sendable.Add(mailbox);
                    }
                }

                if (senderNeedsIt)
                {
                    pending.Clear();
                }

                return sendable;
            }

            private static bool NeedsSmtpUtf8(MailboxAddress mailbox) => mailbox.LocalPart.Any(c => c > 127);

            /// <summary>
            /// Records each RCPT reply. Returns the recipients the server accepted at RCPT when the data
            /// was not accepted (the caller decides their fate).
            /// Records each RCPT reply. Returns the recipients the server accepted at RCPT when the data was not
            /// accepted (the caller decides their fate). A trailing run of "too many recipients" replies after
            /// some were accepted teaches the server's limit; those recipients go into further transactions.
            /// </summary>
            private List<MailboxAddress> SettleReplies(List<RecipientReply> replies, List<MailboxAddress> batch, bool dataAccepted)
            {
                var acceptedAtRcpt = new List<MailboxAddress>();
                var tooMany = TooManyRecipients(replies);
                var transient = new List<RecipientReply>();
                foreach (var reply in replies.Where(r => !outcome.ContainsKey(r.Mailbox.Address)))
                {
                    if (tooMany.Contains(reply.Mailbox))
                    {
                        continue;
                    }

                    switch (Classify(reply.Code))
                    {
                        case ReplyKind.Accepted when dataAccepted:
                            Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Accepted, reply.Code, reply.Text));
                            break;
                        case ReplyKind.Accepted:
                            acceptedAtRcpt.Add(reply.Mailbox);
                            break;
                        case ReplyKind.Transient:
                            transient.Add(reply);
                            break;
                        default:
                            Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Rejected, reply.Code, reply.Text));
                            break;
                    }
                }

                if (tooMany.Count > 0)
                {
                    var acceptedCount = replies.Count(r => r.Accepted);
                    session.LearnRecipientLimit(acceptedCount);
                    var size = BatchSize();
                    Log.Step($"The server took {acceptedCount} recipients in one transaction and refused {tooMany.Count} as too many; the rest go in further transactions of at most {size}.");

                    // Not a failure of these recipients: they are offered again, first, without using a retry;
                    // waiting retries keep their place and time.
                    var fresh = pending.Where(b => b.Attempt == 0).ToList();
                    var rest = tooMany.Concat(fresh.SelectMany(b => b.Recipients)).ToList();
                    foreach (var old in fresh)
                    {
                        pending.Remove(old);
                    }

                    foreach (var chunk in Split(rest, size).Reverse())
                    {
                        pending.AddFirst(new Batch(chunk));
                    }
                }

                if (transient.Count > 0)
                {
                    RetryLater(transient.Select(r => (r.Mailbox, (int?)r.Code, r.Text)).ToList());
                }

                return acceptedAtRcpt;
            }

            /// <summary>
            /// The recipients refused as "too many" (452, or 552 naming the limit, RFC 5321 4.5.3.1.10): a run of
            /// such replies at the end, after at least one accepted recipient. A 452 followed by an accepted
            /// recipient is about that mailbox (e.g. full), not the limit.
            /// </summary>
            private static HashSet<MailboxAddress> TooManyRecipients(List<RecipientReply> replies)
            {
                var run = new HashSet<MailboxAddress>();
                for (var i = replies.Count - 1; i >= 0; i--)
                {
                    var reply = replies[i];
                    var limitReply = reply.Code == 452 || (reply.Code == 552 && SaysTooMany(reply.Text));
                    if (!limitReply)
                    {
                        break;
                    }

                    run.Add(reply.Mailbox);
                }

                return run.Count > 0 && replies.Take(replies.Count - run.Count).Any(r => r.Accepted) ? run : new HashSet<MailboxAddress>();
            }

            private static bool SaysTooMany(string text) =>
                text.IndexOf("too many", StringComparison.OrdinalIgnoreCase) >= 0 || text.IndexOf(".5.3", StringComparison.Ordinal) >= 0;

            /// <summary>Queues recipients again after a transient failure, or settles them when retries are used up.</summary>
            private void RetryLater(List<MailboxAddress> mailboxes, int? code, string reply) =>
                RetryLater(mailboxes.Select(m => (m, code, reply)).ToList());

            /// <summary>
            /// Queues recipients again, together, after one back-off; each keeps its own failure (reply code and
            /// text) for when its retries are used up: then it is Rejected with that reply, or NotAttempted with why.
            /// </summary>
            private void RetryLater(List<(MailboxAddress Mailbox, int? Code, string Reply)> failures)
            {
                var again = new List<MailboxAddress>();
                var attempt = 0;
                foreach (var (mailbox, code, reply) in failures.Where(f => !outcome.ContainsKey(f.Mailbox.Address)))
                {
                    retries.TryGetValue(mailbox.Address, out var used);
                    if (used < Config.RetryCount)
                    {
                        retries[mailbox.Address] = used + 1;
                        attempt = Math.Max(attempt, used + 1);
                        again.Add(mailbox);
                    }
                    else if (code is int replyCode)
                    {
                        Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, replyCode, reply, $"Still refused after {Config.RetryCount} retries."));
                    }
                    else
                    {
                        Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: $"{reply} (gave up after {Config.RetryCount} retries)."));
                    }
                }

                if (again.Count == 0)
                {
                    return;
                }

                var delay = BackoffDelay(Config.RetryDelay, attempt);
                var first = failures.First(f => again.Contains(f.Mailbox));
                Log.Step($"Transient failure ({(first.Code is int c ? c + " " : string.Empty)}{first.Reply}); retry {attempt} of {Config.RetryCount} for {again.Count} recipient(s) in {delay.TotalSeconds:0.###} s.");
                foreach (var chunk in Split(again, BatchSize()))
                {
                    pending.AddLast(new Batch(chunk, attempt, DateTime.UtcNow + delay));
                }
            }

            private static void WaitUntil(DateTime notBeforeUtc, CancellationToken cancellationToken)
            {
                var delay = notBeforeUtc - DateTime.UtcNow;
                if (delay > TimeSpan.Zero)
                {
                    cancellationToken.WaitHandle.WaitOne(delay);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            private void Settle(SmtpRecipientResult result) => outcome[result.Address] = result;

            private static ReplyKind Classify(int code) => code switch
            {
                >= 200 and < 300 => ReplyKind.Accepted,
                >= 400 and < 500 => ReplyKind.Transient,
                _ => ReplyKind.Permanent,
            };

            private static bool IsTransient(int code) => code >= 400 && code < 500;

            private static bool IsConnectionLoss(Exception ex, CancellationToken cancellationToken) =>
                !cancellationToken.IsCancellationRequested &&
                (ex is IOException || ex is SmtpProtocolException || ex is ServiceNotConnectedException || ex is SocketException ||
                 ex is TimeoutException || ex is OperationCanceledException ||
                 (ex is SmtpCommandException cmd && (int)cmd.StatusCode == 421));

            private static string Describe(Exception ex) => ex is SmtpCommandException cmd ? $"{(int)cmd.StatusCode} {cmd.Message}" : ex.Message;

            private static IEnumerable<List<MailboxAddress>> Split(IReadOnlyList<MailboxAddress> all, int size)
            {
                if (size <= 0 || all.Count <= size)
                {
                    if (all.Count > 0)
                    {
                        yield return all.ToList();
                    }

                    yield break;
                }

                for (var i = 0; i < all.Count; i += size)
                {
                    // By index: Skip() walks from the start on .NET Framework, quadratic for large lists.
                    var chunk = new List<MailboxAddress>(Math.Min(size, all.Count - i));
                    for (var j = i; j < i + size && j < all.Count; j++)
                    {
                        chunk.Add(all[j]);
                    }

                    yield return chunk;
                }
            }
        }

        /// <summary>Compares mailboxes by instance: one RCPT reply belongs to one mailbox object.</summary>
        private sealed class SameInstance : IEqualityComparer<MailboxAddress>
        {
            public static readonly SameInstance Comparer = new();

            public bool Equals(MailboxAddress? x, MailboxAddress? y) => ReferenceEquals(x, y);

            public int GetHashCode(MailboxAddress obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
