using System;
using MailKit.Net.Smtp;

namespace SmtpHandler
{
    /// <summary>
    /// Which replies tell of a server's limits, the one list of them: what Exchange Online, Gmail and common MTAs
    /// answer when a client opens too many connections, sends too fast, or has used up its quota.
    /// </summary>
    internal static class ServerLimitReply
    {
        /// <summary>The limit that reply <paramref name="code"/> <paramref name="text"/> tells of, if any.</summary>
        public static ServerLimit Classify(int code, string? text)
        {
            text ??= string.Empty;

            // Exchange Online: "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"; High Volume
            // Email: "550 5.5.105" (a recipient its quota or policy does not allow); Gmail: "550 5.4.5 Daily user sending
            // limit exceeded"; Google's relay: "550 5.7.1 Daily SMTP relay limit exceeded".
            if (ReplyCodes.IsPermanent(code) &&
                (Has(text, "QuotaExceeded") || Has(text, "quota exceeded") || Has(text, "5.5.105") || Has(text, "5.4.5") ||
                 Has(text, "sending limit exceeded") || (Has(text, "daily") && Has(text, "limit exceeded"))))
            {
                return ServerLimit.QuotaExceeded;
            }

            // Exchange Online: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"; Postfix and others:
            // "421 4.7.0 ... too many connections" (or "concurrent").
            if (code == 432 || (code == ReplyCodes.ServiceClosing && (Has(text, "too many") || Has(text, "concurren") || Has(text, "connection limit") || Has(text, "thread limit"))))
            {
                return ServerLimit.TooManyConnections;
            }

            // "450 4.7.0 / 451 4.7.x ... try again later, slow down", Exchange's "4.7.500 Server busy", Gmail's
            // "421 4.7.28 ... unusual rate", Google's relay "450 4.2.1 Peak SMTP relay limit exceeded".
            if (ReplyCodes.IsTransient(code) &&
                (Has(text, "4.7.") || Has(text, "slow down") || Has(text, "too fast") || Has(text, "rate limit") || Has(text, "unusual rate") ||
                 Has(text, "throttl") || Has(text, "busy") || Has(text, "limit exceeded")))
            {
                return ServerLimit.Throttled;
            }

            return ServerLimit.None;
        }

        /// <summary>The limit a failure tells of: a reply MailKit raised, or one inside an <see cref="SmtpHandlerException"/>.</summary>
        public static ServerLimit Classify(Exception? failure)
        {
            for (var ex = failure; ex != null; ex = ex.InnerException)
            {
                if (ex is SmtpCommandException command)
                {
                    return Classify((int)command.StatusCode, command.Message);
                }
            }

            return ServerLimit.None;
        }

        /// <summary>
        /// High Volume Email's "550 5.5.105": a recipient it may not send to (outside the organisation). It stops the
        /// send like a quota, but no waiting makes room: a rerun needs other recipients, not a later time.
        /// </summary>
        public static bool IsRecipientNotAllowed(string? text) => Has(text ?? string.Empty, "5.5.105");

        private static bool Has(string text, string part) => text.IndexOf(part, StringComparison.OrdinalIgnoreCase) >= 0;
    }
}
