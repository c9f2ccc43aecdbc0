namespace SmtpHandler
{
    /// <summary>The refusals of Exchange Online (and High Volume Email) that a setup step fixes; see <see cref="ExchangeReplies"/>.</summary>
    internal enum ExchangeRefusal
    {
        /// <summary>Not one of them.</summary>
        None,

        /// <summary>535 5.7.3: the login was refused (a token not for Exchange Online or without permission, a wrong password, no service principal).</summary>
        AuthenticationUnsuccessful,

        /// <summary>535 5.7.139 "SmtpClientAuthentication is disabled for the Tenant/Mailbox".</summary>
        SmtpClientAuthenticationDisabled,

        /// <summary>535 5.7.139 from security defaults, Conditional Access or an authentication policy.</summary>
        BlockedBySecurityPolicy,

        /// <summary>550 5.7.30 "Basic authentication is not supported for Client Submission".</summary>
        BasicAuthenticationNotSupported,

        /// <summary>550 5.7.60 (or 554 5.2.0 ...SendAsDeniedException): the login may not send as this address.</summary>
        SendAsDenied,

        /// <summary>432 4.3.2 "STOREDRV.ClientSubmit; sender thread limit exceeded": more than 3 connections for one mailbox.</summary>
        ConcurrentConnectionLimit,

        /// <summary>554 5.2.0 "...SubmissionQuotaExceededException": the mailbox's recipients-per-day limit.</summary>
        SubmissionQuotaExceeded,

        /// <summary>550 5.5.105 from High Volume Email: a recipient outside the organization.</summary>
        ExternalRecipientNotAllowed,
    }
}
