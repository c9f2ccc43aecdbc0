using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// How one message's delivery keeps to the send's limits (<see cref="SendGovernor"/>) and to what the server says
    /// of its own: the day's budget, a connection refused as one too many, "slow down", and a used-up quota.
    /// </summary>
    internal sealed partial class MessageDelivery
    {
        // A quota the server named in a reply of this transaction: the transaction's end returns it.
        private SmtpHandlerException? quotaMet;

        // The recipients of the batch in flight that hold a place in the day's budget, and those written Sending in
        // the state file: what a hand-over to another connection settles first.
        private int budgetHeld;
        private List<MailboxAddress>? journaled;

        /// <summary>
        /// The server refused this connection as one too many before the message began, and another connection took
        /// the message over: nothing of it was settled here, and this session ends.
        /// </summary>
        public bool Retired { get; private set; }

        /// <summary>
        /// Cuts <paramref name="batch"/> to what the day's budget allows. False when nothing is left (every recipient
        /// not yet settled then meets the quota, returned in <paramref name="usedUp"/>); true with
        /// <paramref name="usedUp"/> set when only part goes: the rest meet the quota after this transaction.
        /// </summary>
        private bool TakeBudget(RecipientBatch batch, out SmtpHandlerException? usedUp)
        {
            usedUp = null;
            if (governor == null)
            {
                return true;
            }

            var granted = governor.TakeRecipients(batch.Recipients.Count);
            budgetHeld = granted;
            if (granted == batch.Recipients.Count)
            {
                return true;
            }

            usedUp = governor.BudgetUsedUp();
            log.Step(usedUp.Message);
            pending.AddFirst(new RecipientBatch(batch.Recipients.Skip(granted).ToList()));
            if (granted == 0)
            {
                GiveUp(usedUp);
                return false;
            }

            batch.Recipients = batch.Recipients.Take(granted).ToList();
            return true;
        }

        /// <summary>
        /// A quota met on any connection stops every message, checked again after each wait (a connection asleep in a
        /// back-off or its pacing turn offers nothing once another met it): returns the quota, the batch not attempted.
        /// </summary>
        private SmtpHandlerException? StopForQuota(RecipientBatch batch)
        {
            if (governor?.Quota is not { } quota)
            {
                return null;
            }

            pending.AddFirst(batch);
            GiveUp(quota);
            return quota;
        }

        /// <summary>Recipients of a transaction the server did not accept give their place in the day's budget back.</summary>
        private void RefundUnaccepted(List<MailboxAddress> batch)
        {
            if (governor == null)
            {
                return;
            }

            var unaccepted = batch.Count(m => !(outcome.TryGetValue(m.Address, out var r) && r.Status == SmtpRecipientStatus.Accepted));
            governor.Refund(unaccepted);
        }

        /// <summary>
        /// The server refused this connection as one too many (<paramref name="why"/>). When the message has not begun
        /// and another connection is still sending, that one takes it over and this one closes: no message fails for it.
        /// </summary>
        private bool TryRetire(RecipientBatch batch, string why)
        {
            if (mayRetire == null || transactions > 0 || outcome.Count > 0 || !mayRetire(HandOver))
            {
                return false;
            }

            session.Drop();
            pending.AddFirst(batch);
            Retired = true;
            log.Step($"The server refused one connection too many ({why}); this connection closes and the others carry on.");
            return true;
        }

        /// <summary>
        /// Runs just before the message is handed to another connection: the batch in flight gives its budget back and
        /// is written Deferred, so that nothing this connection writes can come after the other connection's records.
        /// </summary>
        private void HandOver()
        {
            governor?.Refund(budgetHeld);
            budgetHeld = 0;
            if (journaled != null)
            {
                message.Journal?.Settled(journaled, outcome);
                journaled = null;
            }
        }

        /// <summary>
        /// The server refused MAIL: a quota ends the send, "too many connections" closes this connection (or, for the
        /// last one, waits like "slow down"), and any other reply is handled as before (retried when transient).
        /// Returns true when the refusal was about a limit and is handled.
        /// </summary>
        private bool OnSenderRefusedForLimit(List<MailboxAddress> batch, int code, string reply)
        {
            switch (ServerLimitReply.Classify(code, reply))
            {
                case ServerLimit.QuotaExceeded:
                    MeetServerQuota(batch, code, reply);
                    return true;
                case ServerLimit.TooManyConnections:
                    session.Drop();
                    if (TryRetire(new RecipientBatch(batch), $"{code} {reply}"))
                    {
                        return true;
                    }

                    SlowDown(code, reply);
                    RetryLater(batch, code, reply);
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>The server said its quota is used up: these recipients, and every one not yet settled, are not attempted.</summary>
        private void MeetServerQuota(IEnumerable<MailboxAddress> recipients, int code, string reply)
        {
            var quota = governor?.ServerQuota(code, reply) ??
                new SmtpHandlerException("QuotaExceeded", SmtpFailureKind.QuotaExceeded, $"{config.SmtpServer}:{config.Port} said its sending quota is used up ({code} {reply}).", config.SmtpServer);
            quotaMet ??= quota;
            foreach (var mailbox in recipients.Where(m => !outcome.ContainsKey(m.Address)))
            {
                Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, code, reply, quota.Message, quota.ErrorId));
            }
        }

        /// <summary>"Slow down": every connection of the send is paced wider from now on.</summary>
        private void SlowDown(int code, string reply)
        {
            if (governor != null)
            {
                var perMinute = governor.SlowDown();
                log.Step($"The server asks to slow down ({code} {reply}); pacing every connection at {perMinute:0.##} messages/minute from now on.");
            }
        }

        /// <summary>Whether any of these transient failures is the server throttling; if so, slows the send down once.</summary>
        private void SlowDownIfThrottled(IEnumerable<(MailboxAddress Mailbox, int? Code, string Reply)> failures)
        {
            foreach (var (_, code, reply) in failures)
            {
                if (code is int c && ServerLimitReply.Classify(c, reply) == ServerLimit.Throttled)
                {
                    SlowDown(c, reply);
                    return;
                }
            }
        }
    }
}
