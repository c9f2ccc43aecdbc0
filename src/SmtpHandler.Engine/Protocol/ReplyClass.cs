namespace SmtpHandler
{
    /// <summary>How a server's reply to a command is to be taken.</summary>
    internal enum ReplyClass
    {
        /// <summary>2xx: done.</summary>
        Accepted,

        /// <summary>4xx: not now; the same command may succeed later.</summary>
        Transient,

        /// <summary>5xx, or a code the command can't have: refused for good.</summary>
        Permanent,
    }
}
