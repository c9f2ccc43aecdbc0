namespace SmtpHandler
{
    /// <summary>Where one recipient of one message ended.</summary>
    public enum SmtpRecipientStatus
    {
        /// <summary>The server accepted it in a completed transaction.</summary>
        Accepted,

        /// <summary>The server refused it for good (5xx), or kept refusing it after every retry.</summary>
        Rejected,

        /// <summary>Never offered to the server; <see cref="SmtpRecipientResult.Reason"/> says why.</summary>
        NotAttempted,

        /// <summary>The data was sent but the server's final reply was lost: delivery can't be known, so it is not resent.</summary>
        Unknown,

        /// <summary>Accepted by an earlier run with the same state file (-StatePath): not sent again.</summary>
        AlreadyAccepted,

        /// <summary>Refused for good (5xx) in an earlier run with the same state file (-StatePath): not offered again.</summary>
        AlreadyRejected,
    }
}
