using System;
using System.Linq;
using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's S/MIME and DKIM parameters. Their files are read and checked once, in BeginProcessing,
    /// before any connection; the engine (MessageSecurity) applies them to every message in one fixed order.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>S/MIME: sign with this certificate (.pfx/.p12, or PEM/DER with its key); gives multipart/signed.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? SigningCertificatePath { get; set; }

        /// <summary>The PEM private key of a PEM/DER signing certificate, when the certificate file does not hold it.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? SigningCertificateKeyPath { get; set; }

        /// <summary>The password of the .pfx/.p12 file, or of an encrypted PEM key.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        public SecureString? SigningCertificatePassword { get; set; }

        /// <summary>S/MIME: the recipients' certificates; each message is encrypted to those of its own recipients.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string[]? EncryptionCertificatePath { get; set; }

        /// <summary>DKIM: the signing domain (d=).</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? DkimDomain { get; set; }

        /// <summary>DKIM: the selector (s=); the public key is at selector._domainkey.domain.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? DkimSelector { get; set; }

        /// <summary>DKIM: the private key, PEM (RSA of at least 1024 bits, or Ed25519).</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? DkimPrivateKeyPath { get; set; }

        /// <summary>The S/MIME and DKIM settings, every file read and checked; null when none is asked for.</summary>
        private MessageSecurity? GivenSecurity(ProviderFiles files)
        {
            var options = new MessageSecurityOptions
            {
                SigningCertificatePath = SigningCertificatePath == null ? null : files.OneFileOrStop(SigningCertificatePath, nameof(SigningCertificatePath)),
                SigningCertificateKeyPath = SigningCertificateKeyPath == null ? null : files.OneFileOrStop(SigningCertificateKeyPath, nameof(SigningCertificateKeyPath)),
                SigningCertificatePassword = SigningCertificatePassword,
                EncryptionCertificatePaths = (EncryptionCertificatePath ?? Array.Empty<string>()).SelectMany(p => files.ResolveOrStop(p, nameof(EncryptionCertificatePath))).Distinct(StringComparer.Ordinal).ToList(),
                // The configuration's DKIM settings (a relay's signing identity) unless the command line gives its own.
                DkimDomain = DkimDomain ?? config?.DkimDomain,
                DkimSelector = DkimSelector ?? config?.DkimSelector,
                DkimPrivateKeyPath = DkimPrivateKeyPath == null ? config?.DkimPrivateKeyPath : files.OneFileOrStop(DkimPrivateKeyPath, nameof(DkimPrivateKeyPath)),
            };
            var security = Try(() => MessageSecurity.Load(options));
            if (security != null)
            {
                Log.Step($"Messages will be {Describe(security)}");
            }

            return security;
        }

        private static string Describe(MessageSecurity security) => string.Join(
            ", then ",
            new[] { security.Signs ? "S/MIME signed" : null, security.Encrypts ? "S/MIME encrypted" : null, security.DkimSigns ? "DKIM signed" : null }.Where(s => s != null));
    }
}
