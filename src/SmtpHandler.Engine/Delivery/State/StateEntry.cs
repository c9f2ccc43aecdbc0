namespace SmtpHandler
{
    /// <summary>What a state file line says of one recipient: the last line about it wins.</summary>
    internal enum StateEntry
    {
        /// <summary>Its transaction began: with no later line, a crash may have come after the final "." (Unknown).</summary>
        Sending,

        /// <summary>Accepted in a completed transaction (or written to the pickup folder).</summary>
        Accepted,

        /// <summary>Refused; for good only with a 5xx code.</summary>
        Rejected,

        /// <summary>The reply after the data was lost: it may have been delivered.</summary>
        Unknown,

        /// <summary>A transient failure or a 452 split: it was not delivered and waits for another transaction.</summary>
        Deferred,

        /// <summary>It was never offered to the server.</summary>
        NotAttempted,
    }
}
