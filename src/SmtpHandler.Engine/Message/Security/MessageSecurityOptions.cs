using System.Collections.Generic;
using System.Security;

namespace SmtpHandler
{
    /// <summary>
    /// What a send asks of S/MIME and DKIM, as the user gives it: file paths, names and a password. Read and
    /// checked once by <see cref="MessageSecurity.Load(MessageSecurityOptions)"/>, before anything connects.
    /// </summary>
    public sealed class MessageSecurityOptions
    {
        /// <summary>The S/MIME signing certificate: PKCS#12 (.pfx/.p12), or a PEM/DER certificate with its key.</summary>
        public string? SigningCertificatePath { get; set; }

        /// <summary>The PEM private key of a PEM/DER signing certificate, when the certificate file does not hold it.</summary>
        public string? SigningCertificateKeyPath { get; set; }

        /// <summary>The password of the PKCS#12 file or of an encrypted PEM key; never shown.</summary>
        public SecureString? SigningCertificatePassword { get; set; }

        /// <summary>The recipients' certificates (PEM, also bundles, or DER); the message is encrypted to those of its recipients.</summary>
        public IList<string> EncryptionCertificatePaths { get; set; } = new List<string>();

        public string? DkimDomain { get; set; }

        public string? DkimSelector { get; set; }

        /// <summary>The DKIM private key: PEM, RSA (at least 1024 bits) or Ed25519.</summary>
        public string? DkimPrivateKeyPath { get; set; }

        internal bool IsEmpty =>
            SigningCertificatePath == null && SigningCertificateKeyPath == null && SigningCertificatePassword == null &&
            EncryptionCertificatePaths.Count == 0 && DkimDomain == null && DkimSelector == null && DkimPrivateKeyPath == null;
    }
}
