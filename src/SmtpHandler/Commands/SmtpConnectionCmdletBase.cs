using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The connection parameters New-SmtpHandlerConfig and Test-SmtpConnection share, and their
    /// translation into an engine configuration. Defaults and rules live in <see cref="SmtpHandlerConfig"/>.
    /// </summary>
    public abstract class SmtpConnectionCmdletBase : SmtpCmdletBase
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

        [Parameter]
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

        /// <summary>
        /// The configuration these parameters describe, with <paramref name="extra"/> applied for cmdlet-specific
        /// settings. Validation errors terminate the cmdlet with the parameter named.
        /// </summary>
        protected SmtpHandlerConfig BuildConfig(Func<SmtpHandlerConfig, SmtpHandlerConfig>? extra = null)
        {
            var config = new SmtpHandlerConfig
            {
                SmtpServer = SmtpServer ?? PreferredServer(),
                Port = Port,
                TlsMode = SmtpHandlerConfig.ResolveTlsMode(Port, UseTls.IsPresent, UseStartTls.IsPresent),
                UserName = Credential?.UserName,
                Password = Credential?.Password,
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication.IsPresent,
                TrustedCertificatePaths = (TrustedCertificatePath ?? Array.Empty<string>()).SelectMany(p => ResolvePaths(p, nameof(TrustedCertificatePath))).ToArray(),
                ClientCertificatePath = ClientCertificatePath == null ? null : ResolveOneFile(ClientCertificatePath, nameof(ClientCertificatePath)),
                ClientCertificatePassword = ClientCertificatePassword,
                ClientCertificateKeyPath = ClientCertificateKeyPath == null ? null : ResolveOneFile(ClientCertificateKeyPath, nameof(ClientCertificateKeyPath)),
                CheckCertificateRevocation = CheckCertificateRevocation.IsPresent,
                TlsProtocol = TlsProtocol,
                Timeout = TimeSpan.FromSeconds(Timeout),
                LocalDomain = LocalDomain,
            };
            if (extra != null)
            {
                config = extra(config);
            }

            try
            {
                return config.Validate();
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                throw;
            }
        }

        /// <summary>$PSEmailServer when set, as Send-MailMessage does; else localhost.</summary>
        protected string PreferredServer() =>
            SessionState.PSVariable.GetValue("PSEmailServer") is string server && server.Length > 0 ? server : SmtpHandlerConfig.DefaultServer;

        /// <summary>Resolves a PowerShell path (relative, PSDrive, wildcard) to file-system paths; <paramref name="parameter"/> names it in errors.</summary>
        protected IEnumerable<string> ResolvePaths(string path, string? parameter = null)
        {
            try
            {
                return GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (ItemNotFoundException ex)
            {
                var prefix = parameter == null ? string.Empty : parameter + ": ";
                ThrowTerminatingError(ErrorRecords.Create("PathNotFound", ErrorCategory.ObjectNotFound, $"{prefix}Cannot find the file '{path}'.", path, ex));
                throw;
            }
        }

        /// <summary>Resolves a path that must name exactly one file.</summary>
        private string ResolveOneFile(string path, string parameter)
        {
            var paths = ResolvePaths(path, parameter).ToList();
            if (paths.Count != 1)
            {
                ThrowTerminatingError(ErrorRecords.Create("InvalidCertificateFile", ErrorCategory.InvalidArgument, $"{parameter}: '{path}' matches {paths.Count} files; give exactly one.", path));
            }

            return paths[0];
        }
    }
}
