using System;
using System.Linq;
using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The connection parameters New-SmtpHandlerConfig and Test-SmtpConnection share. They become a configuration
    /// through <see cref="ConfigParameters"/>, as Send-SmtpMessage's do; defaults and rules live in <see cref="SmtpHandlerConfig"/>.
    /// </summary>
    public abstract partial class SmtpConnectionCmdletBase : SmtpCmdletBase
    {
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Host", "ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? SmtpServer { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = SmtpHandlerConfig.DefaultPort;

        [Parameter]
        public SwitchParameter UseTls { get; set; }

        /// <summary>STARTTLS; -UseSsl is the same switch (Send-MailMessage's name), on every cmdlet.</summary>
        [Parameter]
        [Alias("UseSsl")]
        public SwitchParameter UseStartTls { get; set; }

        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

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

        // Kept as an int: a field of an engine enum would make this class's layout load the engine when
        // PowerShell lists the module's types at import, before ModuleInitializer has made the engine resolvable.
        private int tlsProtocol = (int)SmtpTlsVersion.Default;

        [Parameter]
        public SmtpTlsVersion TlsProtocol
        {
            get => (SmtpTlsVersion)tlsProtocol;
            set => tlsProtocol = (int)value;
        }

        /// <summary>Seconds to wait for the server at each step.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; } = (int)SmtpHandlerConfig.DefaultTimeout.TotalSeconds;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? LocalDomain { get; set; }

        /// <summary>These parameters as given, certificate files resolved (a path that matches no file stops the cmdlet).</summary>
        private protected ConfigParameters GivenConnection(ProviderFiles files) => new ConfigParameters
        {
            SmtpServer = SmtpServer,
            Port = Port,
            UseTls = UseTls.IsPresent,
            UseStartTls = UseStartTls.IsPresent,
            Credential = Credential,
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication.IsPresent,
            Timeout = TimeSpan.FromSeconds(Timeout),
            LocalDomain = LocalDomain,
            Proxy = Proxy,
            ProxyCredential = ProxyCredential,
        }.WithTls(
            new TlsParameters
            {
                TrustedCertificatePath = TrustedCertificatePath ?? Array.Empty<string>(),
                ClientCertificatePath = ClientCertificatePath,
                ClientCertificatePassword = ClientCertificatePassword,
                ClientCertificateKeyPath = ClientCertificateKeyPath,
                CheckCertificateRevocation = CheckCertificateRevocation.IsPresent,
                TlsProtocol = TlsProtocol,
            },
            files);
    }
}
