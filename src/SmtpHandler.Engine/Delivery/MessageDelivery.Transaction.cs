using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>One transaction of a message's delivery, and how each reply settles, retries or splits its recipients.</summary>
    internal sealed partial class MessageDelivery
    {
        private static readonly FormatOptions WireFormat = CreateWireFormat();

        /// <summary>One transaction. Returns a failure that ends this message and dooms the ones after it.</summary>
        private SmtpHandlerException? SendBatch(RecordingSmtpClient client, List<MailboxAddress> batch, CancellationToken cancellationToken)
        {
            client.BeginTransaction(message.Notify);
            var tracker = session.Transaction;
            tracker.Begin();
            log.Step($"Transaction {transactions + 1}: MAIL FROM <{message.EnvelopeSender}>, {batch.Count} recipient(s)");
            try
            {
                IdleWatchdog.Run(session.Watchdog, cancellationToken, token => SendMime(client, batch, token));
                transactions++;
                SettleReplies(client.Replies, batch, dataAccepted: true);
            }
            catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted && (int)ex.StatusCode != ReplyCodes.ServiceClosing)
            {
                var code = (int)ex.StatusCode;
                if (OnSenderRefusedForLimit(batch, code, ex.Message))
                {
                    // A quota, or one connection too many: handled as the server's limits say.
                }
                else if (ReplyCodes.IsTransient(code))
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
                RejectAll(batch, ReplyCodes.AuthenticationRequired, ex.Message);
                return new SmtpHandlerException(
                    "AuthenticationRequired",
                    SmtpFailureKind.AuthenticationFailed,
                    $"{config.SmtpServer}:{config.Port} requires authentication: give -Credential. The server said: {ex.Message}",
                    config.SmtpServer,
                    ex);
            }
            catch (AttachmentReadException ex)
            {
                // A file failed while the data was being written: the connection is left mid-message and goes
                // (the server discards data without its final "."); this message fails, the others go on.
                session.Drop();
                foreach (var refused in client.Replies)
                {
                    if (ReplyCodes.IsPermanent(refused.Code))
                    {
                        Settle(new SmtpRecipientResult(refused.Mailbox.Address, SmtpRecipientStatus.Rejected, refused.Code, refused.Text));
                    }
                }

                pending.AddFirst(new RecipientBatch(batch));
                FailMessage(new SmtpHandlerException("AttachmentUnreadable", SmtpFailureKind.InvalidArgument, ex.Message, ex.Path, ex) { ParameterName = "Attachments" });
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ConnectionLoss.Means(ex))
            {
                session.Drop();
                if (session.Watchdog.Fired)
                {
                    ex = new TimeoutException($"the server stopped answering: nothing for {config.Timeout.TotalSeconds:0.#} s", ex);
                }

                if (ex is SmtpCommandException closing && client.Replies.Count == 0 && ServerLimitReply.Classify(closing) == ServerLimit.TooManyConnections &&
                    TryRetire(new RecipientBatch(batch), Describe(ex)))
                {
                    return null;
                }

                if (ex is SmtpCommandException tooMany && ServerLimitReply.Classify(tooMany) == ServerLimit.TooManyConnections)
                {
                    // The last connection cannot hand its message over: it waits like "slow down", the pace widened.
                    SlowDown((int)tooMany.StatusCode, tooMany.Message);
                }

                log.Step($"The connection was lost ({Describe(ex)}).");
                var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                if (tracker.DataReplyCode is int dataCode && ReplyCodes.IsRefusal(dataCode))
                {
                    // The server answered the data before the line went: that answer stands.
                    SettleDataFailure(accepted, dataCode, tracker.DataReplyText ?? string.Empty);
                }
                else if (tracker.DataTerminatorSent)
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
            catch (SmtpCommandException ex) when (ServerLimitReply.Classify(ex) == ServerLimit.TooManyConnections)
            {
                // Exchange Online refuses one connection too many at DATA or after the final "." too (432 4.3.2):
                // as at MAIL, this connection closes and hands the message over, or, the last one, slows down and retries.
                session.Drop();
                if (client.Replies.All(r => r.Accepted) && TryRetire(new RecipientBatch(batch), Describe(ex)))
                {
                    return null;
                }

                var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                SlowDown((int)ex.StatusCode, ex.Message);
                RetryLater(accepted.Concat(Unanswered(client, batch)).ToList(), (int)ex.StatusCode, ex.Message);
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
                var failure = ex as SmtpHandlerException ?? new SmtpHandlerException("SendFailed", SmtpFailureKind.ProtocolError, $"Sending to {config.SmtpServer}:{config.Port} failed: {ex.Message}", config.SmtpServer, ex);
                foreach (var mailbox in batch.Where(m => !outcome.ContainsKey(m.Address)))
                {
                    Settle(tracker.DataTerminatorSent
                        ? new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Unknown, reason: failure.Message)
                        : new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: failure.Message));
                }

                GiveUp(failure);
                return failure;
            }
            finally
            {
                if (tracker.DataStarted)
                {
                    session.CountData();
                }
            }

            if (ServerIsClosing(client.Replies))
            {
                // The server is closing the connection: don't wait to find out on the next command.
                session.Drop();
            }

            if (quotaMet != null)
            {
                // One refused command on this connection, and no more: every recipient not yet settled meets the quota.
                GiveUp(quotaMet);
                return quotaMet;
            }

            return null;
        }

        /// <summary>
        /// Records each RCPT reply. Returns the recipients the server accepted at RCPT when the data was not
        /// accepted (the caller decides their fate). A trailing run of "too many recipients" replies after
        /// some were accepted teaches the server's limit; those recipients go into further transactions.
        /// </summary>
        private List<MailboxAddress> SettleReplies(List<RecipientReply> replies, List<MailboxAddress> batch, bool dataAccepted)
        {
            var acceptedAtRcpt = new List<MailboxAddress>();
            var tooMany = RecipientLimit.RefusedAsTooMany(replies);
            var firstTooMany = replies.Count - tooMany;
            List<RecipientReply>? transient = null;
            for (var i = 0; i < firstTooMany; i++)
            {
                var reply = replies[i];
                if (outcome.ContainsKey(reply.Mailbox.Address))
                {
                    continue;
                }

                switch (ReplyCodes.Classify(reply.Code))
                {
                    case ReplyClass.Accepted when dataAccepted:
                        Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Accepted, reply.Code, reply.Text));
                        break;
                    case ReplyClass.Accepted:
                        acceptedAtRcpt.Add(reply.Mailbox);
                        break;
                    case ReplyClass.Transient:
                        (transient ??= new List<RecipientReply>()).Add(reply);
                        break;
                    case ReplyClass.Permanent when ServerLimitReply.Classify(reply.Code, reply.Text) == ServerLimit.QuotaExceeded:
                        MeetServerQuota(new[] { reply.Mailbox }, reply.Code, reply.Text);
                        break;
                    default:
                        Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Rejected, reply.Code, reply.Text));
                        break;
                }
            }

            if (tooMany > 0)
            {
                SplitAfterTooMany(replies, firstTooMany);
            }

            if (transient != null)
            {
                RetryLater(transient.Select(r => (r.Mailbox, (int?)r.Code, r.Text)).ToList());
            }

            return acceptedAtRcpt;
        }

        /// <summary>
        /// The server refused the replies from <paramref name="firstTooMany"/> on as too many: it learns the limit,
        /// and those recipients, with the batches not yet tried, are offered again first in batches that fit.
        /// </summary>
        private void SplitAfterTooMany(List<RecipientReply> replies, int firstTooMany)
        {
            var acceptedCount = 0;
            foreach (var reply in replies)
            {
                if (reply.Accepted)
                {
                    acceptedCount++;
                }
            }

            session.LearnRecipientLimit(acceptedCount);
            var size = BatchSize();
            log.Step($"The server took {acceptedCount} recipients in one transaction and refused {replies.Count - firstTooMany} as too many; the rest go in further transactions of at most {size}.");

            // Not a failure of these recipients: they are offered again, first, without using a retry;
            // waiting retries keep their place and time.
            var fresh = pending.Where(b => b.Attempt == 0).ToList();
            var rest = new List<MailboxAddress>();
            for (var i = firstTooMany; i < replies.Count; i++)
            {
                rest.Add(replies[i].Mailbox);
            }

            foreach (var old in fresh)
            {
                rest.AddRange(old.Recipients);
                pending.Remove(old);
            }

            foreach (var chunk in Batching.Split(rest, size).Reverse())
            {
                pending.AddFirst(new RecipientBatch(chunk));
            }
        }

        /// <summary>Recipients the server accepted at RCPT whose data then failed with <paramref name="code"/>.</summary>
        private void SettleDataFailure(List<MailboxAddress> accepted, int code, string reply)
        {
            if (ServerLimitReply.Classify(code, reply) == ServerLimit.QuotaExceeded)
            {
                MeetServerQuota(accepted, code, reply);
                return;
            }

            if (ReplyCodes.IsTransient(code))
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

        /// <summary>Queues recipients again after a transient failure, or settles them when retries are used up.</summary>
        private void RetryLater(List<MailboxAddress> mailboxes, int? code, string reply) =>
            RetryLater(mailboxes.Select(m => (m, code, reply)).ToList());

        /// <summary>
        /// Queues recipients again, together, after one back-off; each keeps its own failure (reply code and
        /// text) for when its retries are used up (see <see cref="RetryPolicy.GiveUp"/>).
        /// </summary>
        private void RetryLater(List<(MailboxAddress Mailbox, int? Code, string Reply)> failures)
        {
            SlowDownIfThrottled(failures);
            var again = new List<MailboxAddress>();
            var attempt = 0;
            foreach (var (mailbox, code, reply) in failures.Where(f => !outcome.ContainsKey(f.Mailbox.Address)))
            {
                retries.TryGetValue(mailbox.Address, out var used);
                if (RetryPolicy.MayRetry(used, config.RetryCount))
                {
                    retries[mailbox.Address] = used + 1;
                    attempt = Math.Max(attempt, used + 1);
                    again.Add(mailbox);
                }
                else
                {
                    Settle(RetryPolicy.GiveUp(mailbox.Address, code, reply, config.RetryCount));
                }
            }

            if (again.Count == 0)
            {
                return;
            }

            var delay = RetryPolicy.BackoffDelay(config.RetryDelay, attempt);
            var first = failures.First(f => again.Contains(f.Mailbox));
            log.Step($"Transient failure ({(first.Code is int c ? c + " " : string.Empty)}{first.Reply}); retry {attempt} of {config.RetryCount} for {again.Count} recipient(s) in {delay.TotalSeconds:0.###} s.");
            foreach (var chunk in Batching.Split(again, BatchSize()))
            {
                pending.AddLast(new RecipientBatch(chunk, attempt, DateTime.UtcNow + delay));
            }
        }

        /// <summary>The recipients of <paramref name="batch"/> the server did not answer (in linear time: a batch may hold 100,000).</summary>
        private static List<MailboxAddress> Unanswered(RecordingSmtpClient client, List<MailboxAddress> batch)
        {
            var answered = new HashSet<MailboxAddress>(client.Replies.Select(r => r.Mailbox), SameInstance.Comparer);
            return batch.Where(m => !answered.Contains(m)).ToList();
        }

        /// <summary>Whether any reply said 421: the server is closing the connection.</summary>
        private static bool ServerIsClosing(List<RecipientReply> replies)
        {
            foreach (var reply in replies)
            {
                if (reply.Code == ReplyCodes.ServiceClosing)
                {
                    return true;
                }
            }

            return false;
        }

        private static string Describe(Exception ex) => ex is SmtpCommandException cmd ? $"{(int)cmd.StatusCode} {cmd.Message}" : ex.Message;

        private static FormatOptions CreateWireFormat()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
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
