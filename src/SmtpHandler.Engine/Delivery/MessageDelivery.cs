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
        private int transactions;

        // Why this message alone could not be sent (its attachment became unreadable); the others go on.
        private SmtpHandlerException? failure;

        public MessageDelivery(SmtpHandlerConfig config, ISmtpLog log, PreparedMessage message, SmtpSession session)
        {
            this.config = config;
            this.log = log;
            this.message = message;
            this.session = session;
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
                catch (SmtpHandlerException ex) when (ex.Transient && RetryPolicy.MayRetry(connectFailures, config.RetryCount))
                {
                    connectFailures++;
                    var delay = RetryPolicy.BackoffDelay(config.RetryDelay, connectFailures);
                    log.Step($"{ex.Message} Retrying in {delay.TotalSeconds:0.###} s ({connectFailures} of {config.RetryCount}).");
                    pending.AddFirst(new RecipientBatch(batch.Recipients, batch.Attempt, DateTime.UtcNow + delay));
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
                NoteMissingExtensions(client);
                batch.Recipients = WithoutSmtpUtf8Needs(client, batch.Recipients);
                if (batch.Recipients.Count == 0)
                {
                    continue;
                }

                // With a state file, Ctrl+C gives the transaction in flight a moment to end, so that none is left Unknown.
                var journal = message.Journal;
                journal?.Sending(batch.Recipients);
                SmtpHandlerException? fatal;
                using (var grace = journal == null ? null : new CancellationGrace(cancellationToken, CancellationGrace.Default))
                {
                    fatal = SendBatch(client, batch.Recipients, grace?.Token ?? cancellationToken);
                }

                journal?.Settled(batch.Recipients, outcome);
                if (fatal != null)
                {
                    return fatal;
                }
            }

            return null;
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
                failureKind: failedWhole ? fatal!.Kind : null) { Warnings = warnings.ToArray() };
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

        private static void WaitUntil(DateTime notBeforeUtc, CancellationToken cancellationToken)
        {
            var delay = notBeforeUtc - DateTime.UtcNow;
            if (delay > TimeSpan.Zero)
            {
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
