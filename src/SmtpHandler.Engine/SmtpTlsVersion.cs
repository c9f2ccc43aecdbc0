namespace SmtpHandler
{
    /// <summary>The minimum TLS version to negotiate.</summary>
    public enum SmtpTlsVersion
    {
        /// <summary>What the operating system offers, never below TLS 1.2.</summary>
        Default,
        Tls12,
        Tls13,
    }
}
