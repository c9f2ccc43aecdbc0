namespace SmtpHandler
{
    /// <summary>How a step on the wire failed.</summary>
    internal enum WireFailure
    {
        /// <summary>The server did not answer within the timeout.</summary>
        TimedOut,

        /// <summary>The connection was closed or reset.</summary>
        Closed,

        /// <summary>The server answered with something that is not an SMTP reply.</summary>
        NotSmtp,
    }
}
