using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// The limits of one send, shared by all its connections: the pace (<see cref="MessagePacer"/>), the
    /// recipients-per-day budget (<see cref="RecipientBudget"/>), and the quota once it is used up, after which
    /// nothing more is offered to the server. It tells of every wait before it begins (see <see cref="SmtpSendWait"/>).
    /// </summary>
    internal sealed class SendGovernor
    {
        private readonly SmtpHandlerConfig config;
        private readonly MessagePacer pacer;
        private readonly RecipientBudget budget;
        private readonly Func<DateTime> clock;
        private readonly object gate = new();
        private Action<SmtpSendWait>? report;
        private SmtpHandlerException? quota;
        private DateTime? quotaUntilUtc;

        /// <param name="config">The send's configuration: MaxMessagesPerMinute, RecipientsPerDay.</param>
        /// <param name="report">Told of each wait before it begins; none when null.</param>
        /// <param name="earlierRecipients">When recipients were sent by earlier runs (from a state file): they count against the day's budget.</param>
        /// <param name="quotaUntilUtc">A quota an earlier run met that has not run out yet: nothing is sent before then.</param>
        /// <param name="clock">The time (UTC); the system's when null (tests give their own).</param>
        public SendGovernor(SmtpHandlerConfig config, Action<SmtpSendWait>? report = null, IEnumerable<DateTime>? earlierRecipients = null, DateTime? quotaUntilUtc = null, Func<DateTime>? clock = null)
        {
            this.config = config;
            this.report = report;
            this.clock = clock ?? (() => DateTime.UtcNow);
            pacer = new MessagePacer(config.MaxMessagesPerMinute);
            budget = new RecipientBudget(config.RecipientsPerDay, earlierRecipients);
            if (quotaUntilUtc is DateTime until && until > this.clock())
            {
                SetQuota(until, $"The sending quota was used up by an earlier run with this state file; it allows sending again after {Format(until)}. Nothing was sent.");
            }
        }

        /// <summary>Set when a quota was met: the failure every message not yet sent ends with.</summary>
        public SmtpHandlerException? Quota => Volatile.Read(ref quota);

        /// <summary>
        /// Whether the quota met was the day's budget (RecipientsPerDay): recipients already granted from it stay within
        /// it and may still go, unlike after a server's quota reply.
        /// </summary>
        public bool QuotaIsBudget { get; private set; }

        /// <summary>When a rerun can go on, once a quota was met.</summary>
        public DateTime? QuotaUntilUtc => quotaUntilUtc;

        /// <summary>Called once when a quota is met (to record it in a state file).</summary>
        public Action<DateTime, string>? QuotaMet { get; set; }

        /// <summary>The pace now, per minute (0: none).</summary>
        public double PerMinute => pacer.PerMinute;

        /// <summary>From now on waits are told through <paramref name="wrap"/> (a send over several connections tells them on the caller's thread).</summary>
        public void ReportThrough(Func<Action<SmtpSendWait>, Action<SmtpSendWait>> wrap)
        {
            if (report != null)
            {
                report = wrap(report);
            }
        }

        /// <summary>Tells of a wait (a retry's back-off) before it begins.</summary>
        public void Tell(SmtpSendWait wait) => report?.Invoke(wait);

        /// <summary>Waits for this transaction's turn under MaxMessagesPerMinute (or a server's throttling), telling of the wait first.</summary>
        public void AwaitTurn(CancellationToken cancellationToken)
        {
            if (pacer.Interval <= TimeSpan.Zero)
            {
                return;
            }

            var now = clock();
            var delay = pacer.Reserve(now) - now;
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            Tell(new SmtpSendWait(SmtpSendWaitReason.Pacing, delay, $"{pacer.PerMinute.ToString("0.##", CultureInfo.CurrentCulture)} messages/minute: next in {delay.TotalSeconds.ToString("0.0", CultureInfo.CurrentCulture)} s"));
            if (cancellationToken.WaitHandle.WaitOne(delay))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>A server said "slow down": every connection is paced wider from now on. Returns the new rate per minute.</summary>
        public double SlowDown() => TimeSpan.TicksPerMinute / (double)pacer.SlowDown().Ticks;

        /// <summary>How many of <paramref name="wanted"/> recipients the day's budget lets this transaction carry; the rest meet the quota.</summary>
        public int TakeRecipients(int wanted) => budget.Take(wanted, clock());

        /// <summary>Gives back recipients taken for a transaction that the server did not accept.</summary>
        public void Refund(int count) => budget.Refund(count);

        /// <summary>The day's budget (RecipientsPerDay) is used up: the quota, worded once for every message it stops.</summary>
        public SmtpHandlerException BudgetUsedUp()
        {
            var until = budget.NextRoomUtc(clock()) ?? clock() + RecipientBudget.Window;
            return SetQuota(until, budgetOnly: true, $"RecipientsPerDay: the budget of {config.RecipientsPerDay} recipients in 24 hours is used up; a rerun can go on after {Format(until)}.");
        }

        /// <summary>The server said a quota is used up (<paramref name="code"/> <paramref name="reply"/>): nothing more is offered to it.</summary>
        public SmtpHandlerException ServerQuota(int code, string reply)
        {
            if (ServerLimitReply.IsRecipientNotAllowed(reply))
            {
                // High Volume Email's 550 5.5.105 (a recipient outside the organisation) is no day's quota: a rerun
                // without that recipient can go on at once, so no time is claimed and none is kept in a state file.
                return SetQuota(null, budgetOnly: false, $"{config.SmtpServer}:{config.Port} refused a recipient it may not send to ({code} {reply}); nothing more was offered to it. High Volume Email sends to recipients inside the organisation only: remove the external recipients and send again.");
            }

            // The services count over a rolling 24 hours and do not say when room comes: a day from now is the latest it can be.
            var until = clock() + RecipientBudget.Window;
            return SetQuota(until, $"{config.SmtpServer}:{config.Port} said its sending quota is used up ({code} {reply}); nothing more was offered to it. A rerun can go on after {Format(until)} (the quota counts a rolling 24 hours).");
        }

        private SmtpHandlerException SetQuota(DateTime until, string message) => SetQuota(until, budgetOnly: false, message);

        private SmtpHandlerException SetQuota(DateTime? until, bool budgetOnly, string message)
        {
            var failure = new SmtpHandlerException("QuotaExceeded", SmtpFailureKind.QuotaExceeded, message, config.SmtpServer);
            lock (gate)
            {
                if (quota != null)
                {
                    // The first word stands: every message it stops says the same, and is reported once.
                    return quota;
                }

                quotaUntilUtc = until;
                QuotaIsBudget = budgetOnly;
                Volatile.Write(ref quota, failure);
            }

            if (until is DateTime recorded)
            {
                QuotaMet?.Invoke(recorded, message);
            }
            return failure;
        }

        private static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
    }
}
