using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's trust and client-certificate parameters: the same as New-SmtpHandlerConfig's and
    /// Test-SmtpConnection's, bound by the same <see cref="TlsParametersBinding.WithTls"/>. Given here they lay
    /// over -Config's, so a script that trusted a private relay's certificate needs no configuration object.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        // Kept as an int: a field of an engine enum would make this class's layout load the engine when
        // PowerShell lists the module's types at import, before ModuleInitializer has made the engine resolvable.
        private int tlsProtocol = (int)SmtpTlsVersion.Default;

        /// <summary>Certificates (PEM or DER files) to trust for the server besides the operating system's store: a private CA or a self-signed server certificate.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientCertificatePath { get; set; }

        [Parameter]
        public SecureString? ClientCertificatePassword { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientCertificateKeyPath { get; set; }

        [Parameter]
        public SwitchParameter CheckCertificateRevocation { get; set; }

        [Parameter]
        public SmtpTlsVersion TlsProtocol
        {
            get => (SmtpTlsVersion)tlsProtocol;
            set => tlsProtocol = (int)value;
        }

        /// <summary>What the command line gave of these; what it did not give stays -Config's (or the default).</summary>
        private TlsParameters GivenTls => new()
        {
            TrustedCertificatePath = TrustedCertificatePath,
            ClientCertificatePath = ClientCertificatePath,
            ClientCertificatePassword = ClientCertificatePassword,
            ClientCertificateKeyPath = ClientCertificateKeyPath,
            CheckCertificateRevocation = CheckCertificateRevocation.IsPresent,
            TlsProtocol = commandLine.Contains(nameof(TlsProtocol)) ? TlsProtocol : null,
        };
    }
}
