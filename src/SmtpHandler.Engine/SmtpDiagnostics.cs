using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using MailKit.Net.Smtp;

namespace SmtpHandler
{
    /// <summary>What Test-SmtpConnection found out about a server.</summary>
    public sealed class SmtpConnectionReport
    {
        public string SmtpServer { get; internal set; } = string.Empty;

        public int Port { get; internal set; }

        public SmtpTlsMode TlsMode { get; internal set; }

        public bool Success { get; internal set; }

        public bool Connected { get; internal set; }

        public string? Banner { get; internal set; }

        public int? BannerCode { get; internal set; }

        /// <summary>The EHLO keywords the server offered on the connection as used (after STARTTLS where it applies).</summary>
        public string[] Capabilities { get; internal set; } = Array.Empty<string>();

        public string[] AuthenticationMechanisms { get; internal set; } = Array.Empty<string>();

        /// <summary>The SIZE limit in bytes, when the server announces one.</summary>
        public long? MaxMessageSize { get; internal set; }

        public bool Encrypted { get; internal set; }

        public string? TlsProtocol { get; internal set; }

        public string? CipherAlgorithm { get; internal set; }

        public TimeSpan ConnectTime { get; internal set; }

        /// <summary>Problems found, each with advice.</summary>
        public List<string> Findings { get; } = new();

        public string? ErrorId { get; internal set; }

        /// <summary>The SASL mechanism that logged in (XOAUTH2 with an OAuth token); null when no login was made or it failed.</summary>
        public string? AuthenticationMechanism { get; internal set; }

        /// <summary>When the OAuth access token used to log in expires, when known (never the token itself).</summary>
        public DateTimeOffset? TokenExpiresOn { get; internal set; }
    }

    /// <summary>Connects, greets, secures and (optionally) logs in, recording what the server says; sends no mail.</summary>
    public sealed class SmtpDiagnostics
    {
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public SmtpDiagnostics(SmtpHandlerConfig config, ISmtpLog? log = null)
        {
            this.config = config;
            this.log = log ?? NullSmtpLog.Instance;
        }

        public SmtpConnectionReport Run(CancellationToken cancellationToken = default)
        {
            var report = new SmtpConnectionReport { SmtpServer = config.SmtpServer, Port = config.Port, TlsMode = config.TlsMode };
            var connector = new SmtpConnector(config, log);
            var logger = new RedactingProtocolLogger(log);
            using var client = connector.CreateClient(logger);
            var clock = Stopwatch.StartNew();
            try
            {
                connector.Connect(client, cancellationToken);
                report.ConnectTime = clock.Elapsed;
                report.Connected = true;
                ReadBanner(report, logger.Greeting);
                report.Capabilities = Describe(client.Capabilities).ToArray();
                report.AuthenticationMechanisms = client.AuthenticationMechanisms.ToArray();
                report.MaxMessageSize = client.Capabilities.HasFlag(SmtpCapabilities.Size) ? client.MaxSize : null;
                report.Encrypted = client.IsEncrypted;
                report.TlsProtocol = client.IsEncrypted ? client.SslProtocol.ToString() : null;
                report.CipherAlgorithm = client.IsEncrypted ? client.SslCipherAlgorithm?.ToString() : null;
                var login = connector.Authenticate(client, cancellationToken);
                report.AuthenticationMechanism = login?.Mechanism;
                report.TokenExpiresOn = login?.TokenExpiresOn;
                client.Disconnect(true, cancellationToken);
                report.Success = true;
            }
            catch (SmtpHandlerException ex)
            {
                report.ConnectTime = clock.Elapsed;
                ReadBanner(report, logger.Greeting);
                report.ErrorId = ex.ErrorId;
                report.Findings.Add(ex.Message);
            }

            return report;
        }

        private static void ReadBanner(SmtpConnectionReport report, string? greeting)
        {
            if (greeting == null || report.Banner != null)
            {
                return;
            }

            report.Banner = greeting;
            if (greeting.Length >= 3 && int.TryParse(greeting.Substring(0, 3), out var code))
            {
                report.BannerCode = code;
            }
        }

        private static IEnumerable<string> Describe(SmtpCapabilities capabilities)
        {
            var names = new Dictionary<SmtpCapabilities, string>
            {
                [SmtpCapabilities.Size] = "SIZE",
                [SmtpCapabilities.Dsn] = "DSN",
                [SmtpCapabilities.EnhancedStatusCodes] = "ENHANCEDSTATUSCODES",
                [SmtpCapabilities.Authentication] = "AUTH",
                [SmtpCapabilities.EightBitMime] = "8BITMIME",
                [SmtpCapabilities.Pipelining] = "PIPELINING",
                [SmtpCapabilities.BinaryMime] = "BINARYMIME",
                [SmtpCapabilities.Chunking] = "CHUNKING",
                [SmtpCapabilities.StartTLS] = "STARTTLS",
                [SmtpCapabilities.UTF8] = "SMTPUTF8",
                [SmtpCapabilities.RequireTLS] = "REQUIRETLS",
            };
            return names.Where(pair => capabilities.HasFlag(pair.Key)).Select(pair => pair.Value);
        }
    }
}
