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
    }
}
