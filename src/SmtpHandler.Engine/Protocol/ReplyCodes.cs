using System;

namespace SmtpHandler
{
    /// <summary>
    /// The SMTP reply codes the engine acts on, and what a code's first digit means (RFC 5321 4.2.1):
    /// the one list that delivery, the session, the protocol hook and the diagnosis read.
    /// </summary>
    internal static class ReplyCodes
    {
        /// <summary>Login succeeded.</summary>
        public const int AuthenticationSucceeded = 235;

        /// <summary>The server's challenge in a SASL exchange: the client answers with another line.</summary>
        public const int AuthenticationContinue = 334;

        /// <summary>The answer to DATA that starts the message content.</summary>
        public const int StartMailInput = 354;

        /// <summary>The server is closing the connection; any command may get it.</summary>
        public const int ServiceClosing = 421;

        /// <summary>"Too many recipients" (also used for a full mailbox or disk).</summary>
        public const int TooManyRecipients = 452;

        /// <summary>The server wants a login first.</summary>
        public const int AuthenticationRequired = 530;

        /// <summary>"Exceeded storage allocation"; some servers say "too many recipients" with it.</summary>
        public const int ExceededStorage = 552;

        public static ReplyClass Classify(int code) =>
            IsPositive(code) ? ReplyClass.Accepted : IsTransient(code) ? ReplyClass.Transient : ReplyClass.Permanent;

        public static bool IsPositive(int code) => code >= 200 && code < 300;

        public static bool IsTransient(int code) => code >= 400 && code < 500;

        public static bool IsPermanent(int code) => code >= 500;

        /// <summary>4xx or 5xx: the server said no, for now or for good.</summary>
        public static bool IsRefusal(int code) => code >= 400;

        /// <summary>
        /// Whether a reply to RCPT refuses the recipient as one too many: 452, or 552 that names the limit
        /// (RFC 5321 4.5.3.1.10 allows both; the enhanced code x.5.3 is "too many recipients").
        /// </summary>
        public static bool SaysTooManyRecipients(int code, string text) =>
            code == TooManyRecipients ||
            (code == ExceededStorage && (text.IndexOf("too many", StringComparison.OrdinalIgnoreCase) >= 0 || text.IndexOf(".5.3", StringComparison.Ordinal) >= 0));
    }
}
