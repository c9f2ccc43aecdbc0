namespace SmtpHandler
{
    /// <summary>What kind of failure an <see cref="SmtpHandlerException"/> reports; the cmdlets map it to an ErrorCategory.</summary>
    public enum SmtpFailureKind
    {
        InvalidArgument,
        InvalidConfiguration,
        ConnectionFailed,
        Timeout,
        TlsFailed,
        CertificateUntrusted,
        AuthenticationFailed,
        SecurityPolicy,
        ProtocolError,
        ServerRejected,
        ResourceUnavailable,

        /// <summary>The proxy (-Proxy) could not be reached, refused the login or the tunnel, or did not answer in time.</summary>
        ProxyFailed,
        /// <summary>A sending quota (the server's, or RecipientsPerDay) is used up: a rerun can go on later.</summary>
        QuotaExceeded,
    }
}
