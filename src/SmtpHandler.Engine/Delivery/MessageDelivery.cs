using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// The delivery of one message over a session: its batches, retries and every recipient's state. The
    /// transaction itself and how each reply settles a recipient are in MessageDelivery.Transaction.cs.
    /// </summary>
    internal sealed partial class MessageDelivery
    {
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;
        private readonly PreparedMessage message;
        private readonly SmtpSession session;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly Dictionary<string, SmtpRecipientResult> outcome = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, int> retries = new(StringComparer.OrdinalIgnoreCase);
        private readonly LinkedList<RecipientBatch> pending = new();
        private readonly HashSet<int> connectionsUsed = new();
        private readonly SendGovernor? governor;
        private readonly Func<Action, bool>? mayRetire;
        private int transactions;

        // Why this message alone could not be sent (its attachment became unreadable); the others go on.
        private SmtpHandlerException? failure;

        /// <param name="config">The send's configuration.</param>
        /// <param name="log">Where the delivery narrates.</param>
        /// <param name="message">The message to deliver.</param>
        /// <param name="session">The connection it goes over.</param>
        /// <param name="governor">The send's shared limits (pace, day budget, quota); none when null.</param>
        /// <param name="mayRetire">
        /// Asked when the server refuses this connection as one too many before the message began: true when another
        /// connection takes the message over (this one then closes, see <see cref="Retired"/>). The action it is given
        /// runs first, before any other connection can take the message (it settles this one's journal and budget).
        /// </param>
        public MessageDelivery(SmtpHandlerConfig config, ISmtpLog log, PreparedMessage message, SmtpSession session, SendGovernor? governor = null, Func<Action, bool>? mayRetire = null)
        {
            this.config = config;
            this.log = log;
            this.message = message;
            this.session = session;
            this.governor = governor;
            this.mayRetire = mayRetire;
            foreach (var batch in Batching.Split(message.RecipientMailboxes, BatchSize()))
            {
                pending.AddLast(new RecipientBatch(batch));
            }
        }

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

                if (StopForQuota(batch) is { } quota)
                {
                    return quota;
                }

                WaitUntil(batch, cancellationToken);
                if (StopForQuota(batch) is { } metWhileWaiting)
                {
                    return metWhileWaiting;
                }
                if (MessageBuilder.FindUnreadableFile(message.Source) is SmtpHandlerException unreadable)
                {
                    // Prepare read every file, but they are read again only now: one gone or locked since then
                    // fails this message before its transaction starts, and not the connection or the others.
                    pending.AddFirst(batch);
                    FailMessage(unreadable);
                    return null;
                }

                if (!TakeBudget(batch, out var budgetUsedUp))
                {
                    return budgetUsedUp;
                }

                RecordingSmtpClient client;
                try
                {
                    client = session.Ensure(cancellationToken);
                }
                catch (SmtpHandlerException ex) when (ServerLimitReply.Classify(ex) == ServerLimit.TooManyConnections && TryRetire(batch, ex.Message))
                {
                    // Its budget went back with the message (TryRetire).
                    return null;
                }
                catch (SmtpHandlerException ex) when (ex.Transient && RetryPolicy.MayRetryConnect(ex, session.ConnectionNumber) && RetryPolicy.MayRetry(connectFailures, config.RetryCount))
                {
                    governor?.Refund(batch.Recipients.Count);
                    connectFailures++;
                    var delay = RetryPolicy.BackoffDelay(config.RetryDelay, connectFailures);
                    log.Step($"{ex.Message} Retrying in {delay.TotalSeconds:0.###} s ({connectFailures} of {config.RetryCount}).");
                    pending.AddFirst(new RecipientBatch(batch.Recipients, batch.Attempt, DateTime.UtcNow + delay));
                    continue;
                }
                catch (SmtpHandlerException ex)
                {
                    governor?.Refund(batch.Recipients.Count);
                    pending.AddFirst(batch);
                    GiveUp(ex);
                    return ex;
                }

                connectFailures = 0;
                connectionsUsed.Add(session.ConnectionNumber);
                NoteMissingExtensions(client);
                var offered = batch.Recipients.Count;
                batch.Recipients = WithoutSmtpUtf8Needs(client, batch.Recipients);
                if (governor != null && batch.Recipients.Count < offered)
                {
                    // Recipients left out for want of SMTPUTF8 are never offered: their places in the day's budget go back.
                    governor.Refund(offered - batch.Recipients.Count);
                    budgetHeld -= offered - batch.Recipients.Count;
                }

                if (batch.Recipients.Count == 0)
                {
                    continue;
                }

                // The turn is taken once the connection is open (connect, TLS and login can take seconds), so that
                // MAIL commands, not connection attempts, are what the pace spaces out.
                governor?.AwaitTurn(cancellationToken);
                if (governor?.Quota != null && !governor.QuotaIsBudget)
                {
                    // The server's quota was met while this connection waited: what the budget granted goes back.
                    governor.Refund(batch.Recipients.Count);
                    return StopForQuota(batch);
                }

                // With a state file, Ctrl+C gives the transaction in flight a moment to end, so that none is left Unknown.
                var journal = message.Journal;
                journal?.Sending(batch.Recipients);
                journaled = journal == null ? null : batch.Recipients;
                SmtpHandlerException? fatal;
                using (var grace = journal == null ? null : new CancellationGrace(cancellationToken, CancellationGrace.Default))
                {
                    fatal = SendBatch(client, batch.Recipients, grace?.Token ?? cancellationToken);
                }

                if (Retired)
                {
                    // Its journal and budget were settled before another connection could take it (HandOver): a
                    // record written now could land after that connection's Accepted and send it again on a rerun.
                    return null;
                }

                journal?.Settled(batch.Recipients, outcome);
                journaled = null;
                RefundUnaccepted(batch.Recipients);

                if (fatal != null)
                {
                    return fatal;
                }

                if (budgetUsedUp != null)
                {
                    GiveUp(budgetUsedUp);
                    return budgetUsedUp;
                }
            }

            return null;
        }

        /// <summary>Every recipient not yet settled ends as not attempted, with why (and for a quota, the ErrorId QuotaExceeded).</summary>
        public void GiveUp(SmtpHandlerException why)
        {
            var errorId = why.Kind == SmtpFailureKind.QuotaExceeded ? why.ErrorId : null;
            foreach (var mailbox in pending.SelectMany(b => b.Recipients))
            {
                if (!outcome.ContainsKey(mailbox.Address))
                {
                    Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: why.Message, errorId: errorId));
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
            var error = fatal == null ? null : ServerText.Clean(fatal.Message, session.Logger.Secrets);
            var failedWhole = error != null && recipients.Any(r => r.Status == SmtpRecipientStatus.NotAttempted && r.Reason == error);
            return new SmtpSendResult(
                message.MessageId,
                message.Subject,
                message.EnvelopeSender,
                recipients,
                transactions,
                connectionsUsed.Count,
                clock.Elapsed,
                $"{config.SmtpServer}:{config.Port}",
                errorId: failedWhole ? fatal!.ErrorId : null,
                error: failedWhole ? error : null,
                failureKind: failedWhole ? fatal!.Kind : null,
                retryAfterUtc: failedWhole && fatal!.Kind == SmtpFailureKind.QuotaExceeded ? governor?.QuotaUntilUtc : null) { Warnings = warnings.ToArray(), ReplyCode = failedWhole ? fatal!.ReplyCode : null };
        }

        /// <summary>This message can't be sent: its recipients not yet settled end as not attempted, with why.</summary>
        private void FailMessage(SmtpHandlerException why)
        {
            failure = why;
            log.Step(why.Message);
            GiveUp(why);
        }

        private int BatchSize() => RecipientLimit.BatchSize(config.RecipientsPerMessage, session.LearnedRecipientLimit);

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

            if (message.SmtpUtf8Required is { } unchanged)
            {
                // A stored file that needs SMTPUTF8 is never rewritten to 7 bits (see StoredMessage): nobody gets it here.
                pending.AddFirst(new RecipientBatch(batch));
                FailMessage(unchanged);
                return new List<MailboxAddress>();
            }

            var senderNeedsIt = NeedsSmtpUtf8(message.EnvelopeSenderMailbox) || SevenBitHeaders.UnwritableOriginator(message.Mime) != null;
            var sendable = new List<MailboxAddress>();
            foreach (var mailbox in senderNeedsIt ? batch.Concat(pending.SelectMany(b => b.Recipients)).ToList() : batch)
            {
                if (senderNeedsIt || NeedsSmtpUtf8(mailbox))
                {
                    Settle(new SmtpRecipientResult(
                        mailbox.Address,
                        SmtpRecipientStatus.NotAttempted,
                        reason: SmtpUtf8Reason(mailbox, senderNeedsIt),
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

        /// <summary>Waits until a batch's retry is due, telling of the wait first (progress and verbose say when a retry waits).</summary>
        private void WaitUntil(RecipientBatch batch, CancellationToken cancellationToken)
        {
            var delay = batch.NotBeforeUtc - DateTime.UtcNow;
            if (delay > TimeSpan.Zero)
            {
                var text = $"{(batch.Attempt > 0 ? $"Retry {batch.Attempt} of {config.RetryCount}" : "Reconnecting")} for {batch.Recipients.Count} recipient(s): next try in {delay.TotalSeconds:0.0} s";
                log.Step(text);
                governor?.Tell(new SmtpSendWait(SmtpSendWaitReason.Retry, delay, text));
                cancellationToken.WaitHandle.WaitOne(delay);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Records a recipient's fate; the server's words in it pass <see cref="ServerText"/> first.</summary>
        private void Settle(SmtpRecipientResult result)
        {
            var secrets = session.Logger.Secrets;
            var reply = ServerText.CleanOrNull(result.Reply, secrets);
            var reason = ServerText.CleanOrNull(result.Reason, secrets);
            if (!ReferenceEquals(reply, result.Reply) || !ReferenceEquals(reason, result.Reason))
            {
                result = new SmtpRecipientResult(result.Address, result.Status, result.ReplyCode, reply, reason, result.ErrorId);
            }

            outcome[result.Address] = result;
        }
    }
}
