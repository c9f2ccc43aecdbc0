namespace SmtpHandler
{
    /// <summary>The overall outcome of one message.</summary>
    public enum SmtpSendStatus
    {
        /// <summary>Every recipient was accepted.</summary>
        Sent,

        /// <summary>Some recipients were accepted, others not.</summary>
        PartiallySent,

        /// <summary>No recipient was accepted.</summary>
        Failed,

        /// <summary>Delivery to at least one recipient can't be known (the reply after the data was lost), none failed.</summary>
        Unknown,

        /// <summary>Written to the pickup folder instead of being sent, for every recipient.</summary>
        WrittenToPickup,

        /// <summary>Every recipient was accepted by an earlier run with the same state file (-StatePath): nothing was sent again.</summary>
        AlreadySent,
    }
}
