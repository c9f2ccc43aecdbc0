using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The one path from cmdlet parameters to an engine configuration, for all three cmdlets. Each value is what a
    /// call gave (null or false when it gave nothing); <see cref="ToConfig"/> lays the given ones over a base
    /// configuration (Send-SmtpMessage -Config) or over the defaults. Defaults and rules live in
    /// <see cref="SmtpHandlerConfig"/>; file paths arrive here already resolved through the provider.
    /// </summary>
    internal sealed class ConfigParameters
    {
        public string? SmtpServer { get; set; }

        /// <summary>Null or 0 when not given (0 means "the default", as in Send-MailMessage): the base's port, else 25.</summary>
        public int? Port { get; set; }

        /// <summary>Implicit TLS on any port; wins over <see cref="UseStartTls"/>.</summary>
        public bool UseTls { get; set; }

        /// <summary>STARTTLS (Send-SmtpMessage's -UseSsl, as Send-MailMessage meant it); port 465 still means implicit TLS.</summary>
        public bool UseStartTls { get; set; }

        /// <summary>Replaces the base's login, OAuth included.</summary>
        public PSCredential? Credential { get; set; }

        public bool AllowUnencryptedAuthentication { get; set; }

        public IReadOnlyList<string>? TrustedCertificatePaths { get; set; }

        public string? ClientCertificatePath { get; set; }

        public SecureString? ClientCertificatePassword { get; set; }

        public string? ClientCertificateKeyPath { get; set; }

        public bool CheckCertificateRevocation { get; set; }

        public SmtpTlsVersion? TlsProtocol { get; set; }

        public TimeSpan? Timeout { get; set; }

        public string? LocalDomain { get; set; }

        public string? DefaultFrom { get; set; }

        public int? RecipientsPerMessage { get; set; }

        public int? MaxMessagesPerConnection { get; set; }

        public int? ConnectionCount { get; set; }

        public int? RetryCount { get; set; }

        public TimeSpan? RetryDelay { get; set; }

        public string? PickupDirectory { get; set; }

        public string? StatePath { get; set; }

        public string? DkimDomain { get; set; }

        public string? DkimSelector { get; set; }

        public string? DkimPrivateKeyPath { get; set; }

        /// <summary>An XOAUTH2 login (New-SmtpHandlerConfig's token source); <see cref="OAuthUserName"/> is its mailbox.</summary>
        public IOAuthTokenSource? TokenSource { get; set; }

        public string? OAuthUserName { get; set; }

        /// <summary>-Proxy as given (socks5://host:port, http://host:port...); replaces the base's proxy.</summary>
        public string? Proxy { get; set; }

        /// <summary>-ProxyCredential: the proxy's login, for -Proxy or else for the base's proxy.</summary>
        public PSCredential? ProxyCredential { get; set; }

        /// <summary>
        /// The proxy these parameters give over <paramref name="baseProxy"/>: -Proxy replaces it, -ProxyCredential alone
        /// logs in to it. Throws <see cref="SmtpHandlerException"/> naming -Proxy or -ProxyCredential.
        /// </summary>
        public SmtpProxy? ProxyOver(SmtpProxy? baseProxy)
        {
            if (Proxy != null)
            {
                return SmtpProxy.Parse(Proxy, ProxyCredential?.UserName, ProxyCredential?.Password);
            }

            if (ProxyCredential == null)
            {
                return baseProxy;
            }

            return baseProxy?.WithCredential(ProxyCredential.UserName, ProxyCredential.Password) ?? throw new SmtpHandlerException(
                "InvalidConfiguration",
                SmtpFailureKind.InvalidConfiguration,
                $"{SmtpProxy.CredentialParameterName}: a proxy login needs a proxy: give its address with -{SmtpProxy.ParameterName}.",
                ProxyCredential.UserName) { ParameterName = SmtpProxy.CredentialParameterName };
        }

        public double? MaxMessagesPerMinute { get; set; }

        public int? RecipientsPerDay { get; set; }

        public int? MaxConnections { get; set; }

        /// <summary>
        /// The configuration: every given value over <paramref name="baseConfig"/>, or over the defaults with the
        /// server <paramref name="psEmailServer"/> when that is set (as Send-MailMessage does), else localhost.
        /// Not validated: the caller chooses how.
        /// </summary>
        public SmtpHandlerConfig ToConfig(SmtpHandlerConfig? baseConfig, string? psEmailServer)
        {
            var original = baseConfig ?? new SmtpHandlerConfig
            {
                SmtpServer = string.IsNullOrEmpty(psEmailServer) ? SmtpHandlerConfig.DefaultServer : psEmailServer!,
            };
            var port = Port is int p && p != 0 ? p : original.Port;

            // The base's implicit TLS only follows a port change when the old port alone implied it (465).
            var implicitTls = original.TlsMode == SmtpTlsMode.ImplicitTls && original.Port != SmtpHandlerConfig.ImplicitTlsPort;
            var tlsMode = SmtpHandlerConfig.ResolveTlsMode(port, UseTls || implicitTls, UseStartTls || original.TlsMode == SmtpTlsMode.StartTls);

            return original with
            {
                SmtpServer = string.IsNullOrEmpty(SmtpServer) ? original.SmtpServer : SmtpServer!,
                Port = port,
                TlsMode = tlsMode,
                UserName = OAuthUserName ?? (Credential != null ? Credential.UserName : original.UserName),
                Password = Credential != null ? Credential.Password : original.Password,
                TokenSource = TokenSource ?? (Credential != null ? null : original.TokenSource),
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication || original.AllowUnencryptedAuthentication,
                TrustedCertificatePaths = TrustedCertificatePaths ?? original.TrustedCertificatePaths,
                // A certificate given here comes with its own key and password, never the base's (which belong to another certificate).
                ClientCertificatePath = ClientCertificatePath ?? original.ClientCertificatePath,
                ClientCertificatePassword = ClientCertificatePath != null ? ClientCertificatePassword : ClientCertificatePassword ?? original.ClientCertificatePassword,
                ClientCertificateKeyPath = ClientCertificatePath != null ? ClientCertificateKeyPath : ClientCertificateKeyPath ?? original.ClientCertificateKeyPath,
                CheckCertificateRevocation = CheckCertificateRevocation || original.CheckCertificateRevocation,
                TlsProtocol = TlsProtocol ?? original.TlsProtocol,
                Timeout = Timeout ?? original.Timeout,
                LocalDomain = LocalDomain ?? original.LocalDomain,
                DefaultFrom = DefaultFrom ?? original.DefaultFrom,
                RecipientsPerMessage = RecipientsPerMessage ?? original.RecipientsPerMessage,
                MaxMessagesPerConnection = MaxMessagesPerConnection ?? original.MaxMessagesPerConnection,
                ConnectionCount = ConnectionCount ?? original.ConnectionCount,
                RetryCount = RetryCount ?? original.RetryCount,
                RetryDelay = RetryDelay ?? original.RetryDelay,
                PickupDirectory = PickupDirectory ?? original.PickupDirectory,
                StatePath = StatePath ?? original.StatePath,
                Proxy = ProxyOver(original.Proxy),
                DkimDomain = DkimDomain ?? original.DkimDomain,
                DkimSelector = DkimSelector ?? original.DkimSelector,
                DkimPrivateKeyPath = DkimPrivateKeyPath ?? original.DkimPrivateKeyPath,
                MaxMessagesPerMinute = MaxMessagesPerMinute ?? original.MaxMessagesPerMinute,
                RecipientsPerDay = RecipientsPerDay ?? original.RecipientsPerDay,
                MaxConnections = MaxConnections ?? original.MaxConnections,
            };
        }

        /// <summary>$PSEmailServer of the caller's session: the default server of every cmdlet. Read here only.</summary>
        public static string? PSEmailServer(PSCmdlet cmdlet) => cmdlet.SessionState.PSVariable.GetValue("PSEmailServer") as string;
    }
}
