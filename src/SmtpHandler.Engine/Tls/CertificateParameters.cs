namespace SmtpHandler
{
    /// <summary>
    /// The parameters a certificate with its private key is given by, so that one loader words its errors for
    /// each caller: the TLS client certificate, or the S/MIME signing certificate.
    /// </summary>
    internal sealed class CertificateParameters
    {
        public static readonly CertificateParameters Client = new("ClientCertificatePath", "ClientCertificateKeyPath", "ClientCertificatePassword", CertificateFiles.ErrorId, "client certificates");

        public CertificateParameters(string certificate, string key, string password, string missingKeyErrorId, string purpose)
        {
            Certificate = certificate;
            Key = key;
            Password = password;
            MissingKeyErrorId = missingKeyErrorId;
            Purpose = purpose;
        }

        public string Certificate { get; }

        public string Key { get; }

        public string Password { get; }

        /// <summary>The ErrorId for a certificate given without its private key.</summary>
        public string MissingKeyErrorId { get; }

        /// <summary>What the certificate is for, as the end of "only those are supported for …".</summary>
        public string Purpose { get; }
    }
}
