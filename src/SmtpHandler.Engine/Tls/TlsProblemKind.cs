namespace SmtpHandler
{
    /// <summary>What is wrong with a server certificate; diagnostics names its finding after it.</summary>
    internal enum TlsProblemKind
    {
        /// <summary>The server sent no certificate.</summary>
        NoCertificate,

        /// <summary>The chain does not end at a trusted certificate (the OS store, or the -TrustedCertificatePath files).</summary>
        UntrustedRoot,

        /// <summary>The certificate is not issued to the name the client connected to.</summary>
        NameMismatch,

        /// <summary>A certificate of the chain is past its end date.</summary>
        Expired,

        /// <summary>A certificate of the chain is not valid yet.</summary>
        NotYetValid,

        /// <summary>A certificate of the chain was revoked by its issuer.</summary>
        Revoked,

        /// <summary>Revocation was to be checked (CheckCertificateRevocation) and could not be.</summary>
        RevocationUnknown,

        /// <summary>Anything else wrong with the chain: a bad signature, wrong key usage, bad constraints.</summary>
        InvalidChain,
    }
}
