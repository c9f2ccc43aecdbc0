using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The connection of one Send-SmtpMessage call: -Config, with every inline connection parameter that was
    /// given overriding the config's value (an inline -Credential replaces the config's password or OAuth login);
    /// without -Config, the inline parameters alone on top of the defaults.
    /// The server comes from -SmtpServer, else the config, else $PSEmailServer, else localhost.
    /// </summary>
    internal sealed class SendConnectionSettings
    {
        public SmtpHandlerConfig? Config { get; set; }

        public string? SmtpServer { get; set; }

        /// <summary>Null when -Port was not given; 0 means "the default", as in Send-MailMessage.</summary>
        public int? Port { get; set; }

        /// <summary>-UseSsl: STARTTLS, as Send-MailMessage meant it (port 465 still means implicit TLS).</summary>
        public bool UseSsl { get; set; }

        /// <summary>-UseTls: implicit TLS on any port.</summary>
        public bool UseTls { get; set; }

        public PSCredential? Credential { get; set; }

        public bool AllowUnencryptedAuthentication { get; set; }

        public int? RecipientsPerMessage { get; set; }

        public int? ConnectionCount { get; set; }

        public string? PSEmailServer { get; set; }

        /// <summary>The effective configuration, validated; throws <see cref="SmtpHandlerException"/>.</summary>
        public SmtpHandlerConfig Resolve()
        {
            var baseConfig = Config ?? new SmtpHandlerConfig
            {
                SmtpServer = string.IsNullOrEmpty(PSEmailServer) ? SmtpHandlerConfig.DefaultServer : PSEmailServer!,
            };
            var port = Port is int p && p != 0 ? p : Config?.Port ?? SmtpHandlerConfig.DefaultPort;

            // The config's implicit TLS only follows a port change when the old port alone implied it (465).
            var configImplicitTls = baseConfig.TlsMode == SmtpTlsMode.ImplicitTls && baseConfig.Port != SmtpHandlerConfig.ImplicitTlsPort;
            var tlsMode = SmtpHandlerConfig.ResolveTlsMode(
                port,
                UseTls || configImplicitTls,
                UseSsl || baseConfig.TlsMode == SmtpTlsMode.StartTls);

            var config = baseConfig with
            {
                SmtpServer = string.IsNullOrEmpty(SmtpServer) ? baseConfig.SmtpServer : SmtpServer!,
                Port = port,
                TlsMode = tlsMode,
                UserName = Credential != null ? Credential.UserName : baseConfig.UserName,
                Password = Credential != null ? Credential.Password : baseConfig.Password,

                // An inline credential replaces the config's login, OAuth included.
                TokenSource = Credential != null ? null : baseConfig.TokenSource,
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication || baseConfig.AllowUnencryptedAuthentication,
                RecipientsPerMessage = RecipientsPerMessage ?? baseConfig.RecipientsPerMessage,
                ConnectionCount = ConnectionCount ?? baseConfig.ConnectionCount,
            };
            return config.Validate();
        }
    }
}
