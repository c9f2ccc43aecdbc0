namespace SmtpHandler
{
    /// <summary>What a server's reply says about its limits (see <see cref="ServerLimitReply"/>).</summary>
    internal enum ServerLimit
    {
        /// <summary>Nothing about a limit: the reply is handled as any other.</summary>
        None,

        /// <summary>Too many connections at once: this connection goes, the others carry on.</summary>
        TooManyConnections,

        /// <summary>Sending too fast: back off and slow down.</summary>
        Throttled,

        /// <summary>A sending quota is used up: stop, and say when a rerun can go on.</summary>
        QuotaExceeded,
    }
}
