namespace SmtpHandler
{
    /// <summary>What a run does with one recipient, given what the state file says of it.</summary>
    internal enum RecipientAction
    {
        /// <summary>Not attempted yet, or failed in a way that delivered nothing: offered to the server.</summary>
        Send,

        /// <summary>Accepted by an earlier run: not sent again.</summary>
        SkipAccepted,

        /// <summary>Refused for good (5xx) by an earlier run: not offered again.</summary>
        SkipRejected,

        /// <summary>In flight when an earlier run ended, or its reply was lost: held back, unless -ResendUnknown.</summary>
        HoldUnknown,
    }
}
