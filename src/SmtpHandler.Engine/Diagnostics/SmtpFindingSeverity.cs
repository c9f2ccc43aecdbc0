namespace SmtpHandler
{
    /// <summary>How much a finding matters.</summary>
    public enum SmtpFindingSeverity
    {
        /// <summary>Worth knowing; nothing is wrong.</summary>
        Information,

        /// <summary>Works now, but is risky or will break (a certificate about to expire, AUTH in plaintext).</summary>
        Warning,

        /// <summary>Sending with this configuration would fail, or the test could not go on.</summary>
        Error,
    }
}
