namespace SmtpHandler
{
    /// <summary>Why a send waits (see <see cref="SmtpSendWait"/>).</summary>
    public enum SmtpSendWaitReason
    {
        /// <summary>MaxMessagesPerMinute: the next transaction's turn has not come yet.</summary>
        Pacing,

        /// <summary>A transient failure (a 4xx reply, a lost or refused connection) is tried again after a back-off.</summary>
        Retry,
    }
}
