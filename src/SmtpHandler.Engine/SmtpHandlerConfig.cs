using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;

namespace SmtpHandler
{
    /// <summary>
    /// A validated, reusable description of how to reach one SMTP server (or a pickup folder).
    /// Sending never changes it, so one instance can serve any number of sends. Secrets are kept as
    /// <see cref="SecureString"/> in internal members: PowerShell serializes (Export-Clixml, ConvertTo-Json,
    /// remoting, jobs) and shows public properties only, and <see cref="ToString"/> never names them.
    /// </summary>
    public sealed record SmtpHandlerConfig
    {
        public const string DefaultServer = "localhost";
        public const int DefaultPort = 25;
        public const int ImplicitTlsPort = 465;
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);
        public const int DefaultRetryCount = 3;
        public const int MaxConnectionCount = 64;
        public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(2);

        public string SmtpServer { get; init; } = DefaultServer;

        public int Port { get; init; } = DefaultPort;

        /// <summary>The resolved mode: see <see cref="ResolveTlsMode"/>.</summary>
        public SmtpTlsMode TlsMode { get; init; } = SmtpTlsMode.None;

        public string? UserName { get; init; }

        /// <summary>The password; never shown, never logged, never serialized (the cmdlets set it as a friend assembly).</summary>
        internal SecureString? Password { get; init; }

        /// <summary>Whether a credential may be sent over a connection that is not encrypted.</summary>
        public bool AllowUnencryptedAuthentication { get; init; }

        public TimeSpan Timeout { get; init; } = DefaultTimeout;

        /// <summary>The name given in EHLO; MailKit's default (the machine's name) when empty.</summary>
        public string? LocalDomain { get; init; }

        /// <summary>Fills in From where a message has none, and is the envelope sender where neither Sender nor From exists.</summary>
        public string? DefaultFrom { get; init; }

        /// <summary>At most this many RCPT commands per transaction; 0 means no limit of our own.</summary>
        public int RecipientsPerMessage { get; init; }

        /// <summary>
        /// Reconnect after this many DATA transactions on one connection; 0 means never. A message sent as several
        /// transactions (RecipientsPerMessage, a server's 452) counts each, as the server does.
        /// </summary>
        public int MaxMessagesPerConnection { get; init; }

        /// <summary>
        /// How many connections one send may use at once: the messages are shared out over this many sessions running
        /// in parallel, each with its own connection (and its own MaxMessagesPerConnection count). 1 sends them one
        /// after another over one connection. A message is never split across connections; a pickup folder ignores it.
        /// </summary>
        public int ConnectionCount { get; init; } = 1;

        /// <summary>How often a transient failure (4xx, dropped connection) is retried.</summary>
        public int RetryCount { get; init; } = DefaultRetryCount;

        /// <summary>The first retry's delay; each further retry doubles it, up to a minute (a longer RetryDelay is kept as it is).</summary>
        public TimeSpan RetryDelay { get; init; } = DefaultRetryDelay;

        /// <summary>When set, messages are written here as .eml files instead of being sent.</summary>
        public string? PickupDirectory { get; init; }

        /// <summary>The state file a send keeps of each recipient's outcome, so that a rerun sends each recipient once (see <see cref="SendStateFile"/>).</summary>
        public string? StatePath { get; init; }

        /// <summary>
        /// Certificates (CA roots, intermediates or pinned server certificates) the server chain must build to.
        /// When given, they replace the operating system's trust store; see <see cref="TlsTrust"/> for the policy.
        /// </summary>
        public IReadOnlyList<string> TrustedCertificatePaths { get; init; } = Array.Empty<string>();

        public string? ClientCertificatePath { get; init; }

        /// <summary>The PEM private key of <see cref="ClientCertificatePath"/> when it is not inside that file.</summary>
        public string? ClientCertificateKeyPath { get; init; }

        /// <summary>The password of <see cref="ClientCertificatePath"/>'s PFX; internal for the same reason as <see cref="Password"/>.</summary>
        internal SecureString? ClientCertificatePassword { get; init; }

        public bool CheckCertificateRevocation { get; init; }

        public SmtpTlsVersion TlsProtocol { get; init; } = SmtpTlsVersion.Default;

        /// <summary>
        /// Where XOAUTH2 access tokens come from; when set, <see cref="UserName"/> logs in with a token instead of
        /// a password, and only over an encrypted connection.
        /// </summary>
        public IOAuthTokenSource? TokenSource { get; init; }

        /// <summary>The proxy every connection to the server goes through (-Proxy), or null for a direct connection.</summary>
        public SmtpProxy? Proxy { get; init; }

        /// <summary>
        /// DKIM signing for every message sent with this configuration (the relay's signing identity);
        /// Send-SmtpMessage's own -Dkim* parameters replace these one by one.
        /// </summary>
        public string? DkimDomain { get; init; }

        public string? DkimSelector { get; init; }

        public string? DkimPrivateKeyPath { get; init; }

        /// <summary>The service whose documented endpoint and limits this configuration started from (see <see cref="ServiceProfile"/>).</summary>
        public SmtpService Service { get; init; }

        /// <summary>At most this many transactions a minute, evenly spaced across every connection of a send; 0 means no pacing of our own.</summary>
        public double MaxMessagesPerMinute { get; init; }

        /// <summary>The most connections the server allows at once: ConnectionCount is capped at it; 0 means no cap.</summary>
        public int MaxConnections { get; init; }

        /// <summary>Recipients a rolling 24 hours allows (counted from the state file when there is one); 0 means no budget.</summary>
        public int RecipientsPerDay { get; init; }

        public bool HasCredential => UserName != null;

        public bool UsesOAuth => TokenSource != null;

        public bool IsPickup => PickupDirectory != null;

        /// <summary>
        /// The seed's rules: port 465 means implicit TLS; <paramref name="useTls"/> gives implicit TLS on any
        /// port and wins over <paramref name="useStartTls"/>; plain SMTP only when neither applies.
        /// </summary>
        public static SmtpTlsMode ResolveTlsMode(int port, bool useTls, bool useStartTls)
        {
            if (useTls || port == ImplicitTlsPort)
            {
                return SmtpTlsMode.ImplicitTls;
            }

            return useStartTls ? SmtpTlsMode.StartTls : SmtpTlsMode.None;
        }

        /// <summary>
        /// A configuration that starts from <paramref name="service"/>'s documented endpoint (host, port 587, STARTTLS) and
        /// limits; the defaults for <see cref="SmtpService.None"/>.
        /// </summary>
        public static SmtpHandlerConfig ForService(SmtpService service) => ServiceProfile.For(service) is { } profile
            ? new SmtpHandlerConfig
            {
                Service = service,
                SmtpServer = profile.Host,
                Port = profile.Port,
                TlsMode = profile.TlsMode,
                MaxMessagesPerMinute = profile.MaxMessagesPerMinute,
                RecipientsPerMessage = profile.RecipientsPerMessage,
                MaxConnections = profile.MaxConnections,
                RecipientsPerDay = profile.RecipientsPerDay,
            }
            : new SmtpHandlerConfig();

        /// <summary>A limit's value and where it came from, e.g. "30 (ExchangeOnline default)", "20 (given)", "none".</summary>
        public string DescribeLimit(string name)
        {
            var value = name switch
            {
                nameof(MaxMessagesPerMinute) => MaxMessagesPerMinute,
                nameof(RecipientsPerMessage) => RecipientsPerMessage,
                nameof(MaxConnections) => MaxConnections,
                nameof(RecipientsPerDay) => RecipientsPerDay,
                _ => throw new ArgumentException($"'{name}' is not a sending limit.", nameof(name)),
            };
            var source = ServiceProfile.SourceOf(Service, name, value);
            return value > 0 ? $"{value.ToString(System.Globalization.CultureInfo.CurrentCulture)} ({source})" : source;
        }

        /// <summary>Checks every value; throws <see cref="SmtpHandlerException"/> naming the parameter at fault.</summary>
        public SmtpHandlerConfig Validate() => Validate(forDiagnosis: false);

        /// <summary>
        /// Checks every value as <see cref="Validate()"/> does, except that a password meant for plain SMTP passes: a
        /// diagnosis tests the rest of the server and reports that refusal as a finding. A token over plain SMTP still fails.
        /// </summary>
        public SmtpHandlerConfig ValidateForDiagnosis() => Validate(forDiagnosis: true);

        private SmtpHandlerConfig Validate(bool forDiagnosis)
        {
            if (string.IsNullOrWhiteSpace(SmtpServer) || SmtpServer.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw Invalid(nameof(SmtpServer), SmtpServer, $"'{SmtpServer}' is not a host name or address.");
            }

            if (Port < 1 || Port > 65535)
            {
                throw Invalid(nameof(Port), Port, $"Port {Port} is outside 1-65535.");
            }

            if (Timeout <= TimeSpan.Zero || Timeout.TotalMilliseconds > int.MaxValue)
            {
                throw Invalid(nameof(Timeout), Timeout, "Timeout must be positive and under 24 days.");
            }

            if (RecipientsPerMessage < 0)
            {
                throw Invalid(nameof(RecipientsPerMessage), RecipientsPerMessage, "RecipientsPerMessage must be 0 (no limit) or more.");
            }

            if (MaxMessagesPerConnection < 0)
            {
                throw Invalid(nameof(MaxMessagesPerConnection), MaxMessagesPerConnection, "MaxMessagesPerConnection must be 0 (no limit) or more.");
            }

            if (ConnectionCount < 1 || ConnectionCount > MaxConnectionCount)
            {
                throw Invalid(nameof(ConnectionCount), ConnectionCount, $"ConnectionCount must be between 1 and {MaxConnectionCount}.");
            }

            if (double.IsNaN(MaxMessagesPerMinute) || MaxMessagesPerMinute < 0 || MaxMessagesPerMinute > 60_000)
            {
                throw Invalid(nameof(MaxMessagesPerMinute), MaxMessagesPerMinute, "MaxMessagesPerMinute must be 0 (no pacing) up to 60000.");
            }

            if (MaxConnections < 0)
            {
                throw Invalid(nameof(MaxConnections), MaxConnections, "MaxConnections must be 0 (no cap) or more.");
            }

            if (RecipientsPerDay < 0)
            {
                throw Invalid(nameof(RecipientsPerDay), RecipientsPerDay, "RecipientsPerDay must be 0 (no budget) or more.");
            }

            if (RetryCount < 0 || RetryCount > 100)
            {
                throw Invalid(nameof(RetryCount), RetryCount, "RetryCount must be between 0 and 100.");
            }

            if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromHours(1))
            {
                throw Invalid(nameof(RetryDelay), RetryDelay, "RetryDelay must be between 0 and 1 hour.");
            }

            if (UserName != null && UserName.Length == 0)
            {
                throw Invalid("Credential", UserName, "The credential has an empty user name.");
            }

            if (DefaultFrom != null)
            {
                MailAddressParser.Parse(DefaultFrom, nameof(DefaultFrom));
            }

            if (LocalDomain != null && (LocalDomain.Length == 0 || LocalDomain.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            {
                throw Invalid(nameof(LocalDomain), LocalDomain, $"'{LocalDomain}' is not a valid EHLO name.");
            }

            if (PickupDirectory != null && !Directory.Exists(PickupDirectory))
            {
                throw Invalid(nameof(PickupDirectory), PickupDirectory, $"The pickup directory '{PickupDirectory}' does not exist.");
            }

            if (ClientCertificatePath == null && ClientCertificateKeyPath != null)
            {
                throw Invalid(CertificateFiles.KeyParameter, ClientCertificateKeyPath, $"A private key needs its certificate: give it with -{CertificateFiles.ClientParameter}.");
            }

            if (ClientCertificatePath == null && ClientCertificatePassword != null)
            {
                throw Invalid(CertificateFiles.PasswordParameter, null, $"A certificate password needs a certificate: give it with -{CertificateFiles.ClientParameter}.");
            }

            // Every certificate file is read now, so a bad one fails here (InvalidCertificateFile), not at send time.
            TlsTrust.CheckFiles(this);

            // The DKIM key too: a bad one fails when the configuration is made, not at its first send.
            DkimSigningKey.Load(DkimDomain, DkimSelector, DkimPrivateKeyPath);

            ValidateOAuth();
            if (AuthenticationPolicy.BeforeConnecting(this, tokensOnly: forDiagnosis) is { } plaintext)
            {
                throw plaintext.ToException();
            }

            return this;
        }

        /// <summary>Never shows a secret.</summary>
        public override string ToString()
        {
            if (IsPickup)
            {
                return $"pickup:{PickupDirectory}";
            }

            var scheme = TlsMode == SmtpTlsMode.ImplicitTls ? "smtps" : "smtp";
            var user = HasCredential ? $"{UserName}@" : string.Empty;
            var tls = TlsMode == SmtpTlsMode.StartTls ? " (STARTTLS)" : string.Empty;
            var proxy = Proxy != null ? $" via {Proxy.Address}" : string.Empty;
            return $"{scheme}://{user}{SmtpServer}:{Port}{tls}{proxy}";
        }

        private void ValidateOAuth()
        {
            if (TokenSource == null)
            {
                return;
            }

            if (UserName == null)
            {
                throw Invalid("OAuthUserName", null, "XOAUTH2 logs in as a mailbox: give its address with -OAuthUserName.");
            }

            if (Password != null)
            {
                throw Invalid("Credential", UserName, "Give either a credential (a password) or an OAuth token source, not both.");
            }
        }

        internal static SmtpHandlerException Invalid(string parameter, object? value, string message) =>
            new("InvalidConfiguration", SmtpFailureKind.InvalidConfiguration, $"{parameter}: {message}", value) { ParameterName = parameter };
    }
}
