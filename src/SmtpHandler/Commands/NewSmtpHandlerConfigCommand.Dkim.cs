using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// New-SmtpHandlerConfig's DKIM settings: a relay's signing identity, used for every message sent with the
    /// configuration (Send-SmtpMessage's -Dkim* parameters replace them one by one). The key is read and checked
    /// when the configuration is made. S/MIME stays on Send-SmtpMessage: it belongs to a sender and recipients.
    /// </summary>
    public sealed partial class NewSmtpHandlerConfigCommand
    {
        /// <summary>DKIM: the signing domain (d=).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimDomain { get; set; }

        /// <summary>DKIM: the selector (s=); the public key is at selector._domainkey.domain.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimSelector { get; set; }

        /// <summary>DKIM: the private key, PEM (RSA of at least 1024 bits, or Ed25519).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimPrivateKeyPath { get; set; }

        private void AddDkim(ConfigParameters given, ProviderFiles files)
        {
            given.DkimDomain = DkimDomain;
            given.DkimSelector = DkimSelector;
            given.DkimPrivateKeyPath = DkimPrivateKeyPath == null ? null : files.OneFileOrStop(DkimPrivateKeyPath, nameof(DkimPrivateKeyPath));
        }
    }
}
