using System;
using System.Net.Sockets;

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

        /// <summary>
        /// Whether a failed connect is worth another try. Not when nothing listens there (the connection was refused)
        /// or the name does not exist, and no connection of this session has worked yet (<paramref name="connectionsMade"/>
        /// is 0): retrying rarely helps then, an interactive user waits, and a script's fallback loop over several
        /// servers should move on at once. Once a connection worked, a refusal (a restarting server) is retried as before.
        /// </summary>
        public static bool MayRetryConnect(Exception failure, int connectionsMade)
        {
            if (connectionsMade > 0)
            {
                return true;
            }

            for (var ex = failure; ex != null; ex = ex.InnerException)
            {
                if (ex is SocketException socket)
                {
                    return socket.SocketErrorCode != SocketError.ConnectionRefused && socket.SocketErrorCode != SocketError.HostNotFound;
                }
            }

            return true;
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
