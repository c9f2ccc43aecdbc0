namespace SmtpHandler
{
    /// <summary>Whether the server would take one address in MAIL FROM or RCPT TO (nothing is sent).</summary>
    public sealed class SmtpAddressCheck
    {
        public SmtpAddressCheck(string address, bool? accepted, int? replyCode, string? reply)
        {
            Address = address;
            Accepted = accepted;
            ReplyCode = replyCode;
            Reply = reply;
        }

        /// <summary>The address as sent in the command; empty for the null sender &lt;&gt;.</summary>
        public string Address { get; }

        /// <summary>True for a 2xx reply, false for any other, null when the command could not be given.</summary>
        public bool? Accepted { get; }

        public int? ReplyCode { get; }

        public string? Reply { get; }

        public override string ToString() => ReplyCode is int code ? $"<{Address}> {code} {Reply}" : $"<{Address}> not checked";
    }
}
