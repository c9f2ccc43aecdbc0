namespace SmtpHandler
{
    /// <summary>One recipient's outcome, with the server's words when it spoke.</summary>
    public sealed class SmtpRecipientResult
    {
        public SmtpRecipientResult(string address, SmtpRecipientStatus status, int? replyCode = null, string? reply = null, string? reason = null, string? errorId = null)
        {
            ErrorId = errorId;
            Address = address;
            Status = status;
            ReplyCode = replyCode;
            Reply = reply;
            Reason = reason;
        }

        public string Address { get; }

        public SmtpRecipientStatus Status { get; }

        /// <summary>The server's reply code (250, 550, 452...), when it gave one.</summary>
        public int? ReplyCode { get; }

        /// <summary>The server's reply text.</summary>
        public string? Reply { get; }

        /// <summary>Why a recipient was not attempted or ended unknown, in our words.</summary>
        public string? Reason { get; }

        /// <summary>For a recipient not attempted because of something we found (not the server): a stable id of why, e.g. InvalidMailAddress.</summary>
        public string? ErrorId { get; }

        public override string ToString() => ReplyCode is int code ? $"{Address} {Status} ({code} {Reply})" : $"{Address} {Status}";
    }
}
