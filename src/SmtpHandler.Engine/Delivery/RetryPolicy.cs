using System;

namespace SmtpHandler
{
    /// <summary>When a transient failure is tried again, after how long, and how a recipient ends once retries are used up.</summary>
    internal static class RetryPolicy
    {
        /// <summary>
        /// How long to wait before retry number <paramref name="attempt"/> (1 for the first): RetryDelay, then
        /// twice as long each time, growing up to a minute; a RetryDelay of more than a minute is kept as it is.
        /// </summary>
        public static TimeSpan BackoffDelay(TimeSpan retryDelay, int attempt)
        {
            if (retryDelay <= TimeSpan.Zero || attempt < 1)
            {
                return TimeSpan.Zero;
            }

            var ceiling = Math.Max(retryDelay.TotalMilliseconds, 60_000);
            var grown = retryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            return TimeSpan.FromMilliseconds(Math.Min(grown, ceiling));
        }

        /// <summary>Whether something that failed transiently <paramref name="retriesUsed"/> times gets another try.</summary>
        public static bool MayRetry(int retriesUsed, int retryCount) => retriesUsed < retryCount;

        /// <summary>
        /// A recipient whose retries are used up: Rejected with the server's last reply when it gave one
        /// (<paramref name="code"/>), else NotAttempted with why (<paramref name="reply"/>).
        /// </summary>
        public static SmtpRecipientResult GiveUp(string address, int? code, string reply, int retryCount) =>
            code is int replyCode
                ? new SmtpRecipientResult(address, SmtpRecipientStatus.Rejected, replyCode, reply, $"Still refused after {retryCount} retries.")
                : new SmtpRecipientResult(address, SmtpRecipientStatus.NotAttempted, reason: $"{reply} (gave up after {retryCount} retries).");
    }
}
