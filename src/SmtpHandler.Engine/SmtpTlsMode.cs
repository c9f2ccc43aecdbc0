namespace SmtpHandler
{
    /// <summary>How the connection to the server is secured.</summary>
    public enum SmtpTlsMode
    {
        /// <summary>Plain SMTP: nothing is encrypted.</summary>
        None,

        /// <summary>Plain connect, then STARTTLS; a server that does not offer or fails it is an error, never a fall back to plaintext.</summary>
        StartTls,

        /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
        ImplicitTls,
    }
}
