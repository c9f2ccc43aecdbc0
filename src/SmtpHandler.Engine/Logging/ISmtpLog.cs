namespace SmtpHandler
{
    /// <summary>
    /// Where the engine narrates what it does. The cmdlets route it to Write-Verbose; secrets are
    /// redacted before anything reaches it.
    /// </summary>
    public interface ISmtpLog
    {
        /// <summary>Whether protocol lines are wanted (they cost time on large sends).</summary>
        bool IsProtocolEnabled { get; }

        /// <summary>A step: connecting, TLS, login, a transaction, a retry.</summary>
        void Step(string text);

        /// <summary>One line of the SMTP conversation, secrets already replaced.</summary>
        void Protocol(string line);
    }
}
