using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// What Test-SmtpConnection found out about one server, step by step: DNS, TCP, greeting, EHLO,
    /// TLS and the certificate, AUTH, and whether a sender and recipients would be accepted. Holds no secret.
    /// </summary>
    public sealed class SmtpConnectionReport
    {
        internal SmtpConnectionReport()
        {
        }

        public string SmtpServer { get; internal set; } = string.Empty;

        public int Port { get; internal set; }

        /// <summary>The TLS mode the configuration asked for.</summary>
        public SmtpTlsMode TlsMode { get; internal set; }

        /// <summary>True when no finding is an <see cref="SmtpFindingSeverity.Error"/>: sending with this configuration should work.</summary>
        public bool Success { get; internal set; }

        /// <summary>The whole diagnosis, from name resolution to QUIT.</summary>
        public TimeSpan Elapsed { get; internal set; }

        /// <summary>The addresses the server name resolved to.</summary>
        public string[] Addresses { get; internal set; } = Array.Empty<string>();

        public bool Connected { get; internal set; }

        /// <summary>The address the TCP connection was made to.</summary>
        public string? RemoteAddress { get; internal set; }

        /// <summary>How long the TCP connect took.</summary>
        public TimeSpan? ConnectTime { get; internal set; }

        public int? BannerCode { get; internal set; }

        /// <summary>The server's greeting, all lines, without the reply code.</summary>
        public string? Banner { get; internal set; }

        /// <summary>From the end of the connect (or of the TLS handshake, for implicit TLS) to the greeting.</summary>
        public TimeSpan? BannerTime { get; internal set; }

        /// <summary>The name this client gave in EHLO (or HELO).</summary>
        public string? EhloName { get; internal set; }

        /// <summary>How long the first EHLO took.</summary>
        public TimeSpan? EhloTime { get; internal set; }

        /// <summary>The EHLO keywords offered on the connection as it would be used (after STARTTLS where that applies).</summary>
        public string[] Capabilities { get; internal set; } = Array.Empty<string>();

        /// <summary>The EHLO reply lines as the server wrote them (keywords with their parameters).</summary>
        public string[] EhloLines { get; internal set; } = Array.Empty<string>();

        /// <summary>The EHLO keywords offered before STARTTLS; null when the connection did not begin in plaintext.</summary>
        public string[]? CapabilitiesBeforeTls { get; internal set; }

        /// <summary>Whether the plaintext EHLO offered STARTTLS; null when the connection began with TLS.</summary>
        public bool? StartTlsOffered { get; internal set; }

        /// <summary>The AUTH mechanisms offered on the connection as it would be used.</summary>
        public string[] AuthenticationMechanisms { get; internal set; } = Array.Empty<string>();

        /// <summary>The AUTH mechanisms offered before STARTTLS; null when the connection did not begin in plaintext.</summary>
        public string[]? AuthenticationMechanismsBeforeTls { get; internal set; }

        /// <summary>The SIZE limit in bytes, when the server announces one (0: no fixed limit).</summary>
        public long? MaxMessageSize { get; internal set; }

        public bool Pipelining { get; internal set; }

        public bool EightBitMime { get; internal set; }

        public bool SmtpUtf8 { get; internal set; }

        public bool Chunking { get; internal set; }

        public bool Dsn { get; internal set; }

        public bool EnhancedStatusCodes { get; internal set; }

        /// <summary>Whether the connection ended up encrypted.</summary>
        public bool Encrypted { get; internal set; }

        /// <summary>How long the TLS handshake took.</summary>
        public TimeSpan? TlsTime { get; internal set; }

        /// <summary>The negotiated protocol: Tls12, Tls13.</summary>
        public string? TlsProtocol { get; internal set; }

        /// <summary>The negotiated cipher suite (its IANA name where the runtime gives it, else its parts).</summary>
        public string? CipherSuite { get; internal set; }

        /// <summary>The server's certificate, also when it was refused.</summary>
        public SmtpCertificateInfo? Certificate { get; internal set; }

        /// <summary>The chain built for the server's certificate, the server's own first.</summary>
        public SmtpCertificateInfo[] CertificateChain { get; internal set; } = Array.Empty<SmtpCertificateInfo>();

        /// <summary>What the platform's chain and name checks reported (None when it found nothing wrong).</summary>
        public string? CertificateErrors { get; internal set; }

        /// <summary>The trust verdict, the same sending would reach; null when no certificate was seen.</summary>
        public bool? Trusted { get; internal set; }

        /// <summary>OperatingSystem or TrustedCertificatePath: what made the certificate trusted.</summary>
        public string? TrustedBy { get; internal set; }

        /// <summary>Why the certificate was refused.</summary>
        public string? TrustFailure { get; internal set; }

        /// <summary>The user name given for AUTH; never the secret.</summary>
        public string? UserName { get; internal set; }

        /// <summary>Whether login succeeded; null when no credential was given or it was not tried.</summary>
        public bool? Authenticated { get; internal set; }

        /// <summary>The SASL mechanism used for the login (XOAUTH2 with an OAuth token; the one sending would pick with a password).</summary>
        public string? AuthenticationMechanism { get; internal set; }

        /// <summary>When the OAuth access token used to log in expires, when known (never the token itself).</summary>
        public DateTimeOffset? TokenExpiresOn { get; internal set; }

        /// <summary>
        /// The claims of the OAuth access token used to log in (audience, roles or scopes, tenant, app, expiry), when it
        /// is a JWT; null for an opaque token or a password. Never the token itself.
        /// </summary>
        public OAuthTokenClaims? TokenClaims { get; internal set; }

        /// <summary>The server's final reply to AUTH.</summary>
        public string? AuthenticationReply { get; internal set; }

        /// <summary>What the server said to MAIL FROM, when -From or -To was given.</summary>
        public SmtpAddressCheck? Sender { get; internal set; }

        /// <summary>
        /// What the server said to each RCPT TO; followed by RSET, so nothing was sent. A list rather than an
        /// array so that PowerShell's <c>$report.Recipients.Address</c> reaches the items (an array has an Address method).
        /// </summary>
        public IReadOnlyList<SmtpAddressCheck> Recipients { get; internal set; } = new ReadOnlyCollection<SmtpAddressCheck>(Array.Empty<SmtpAddressCheck>());

        /// <summary>Every problem and remark, most severe first.</summary>
        public SmtpFinding[] Findings { get; internal set; } = Array.Empty<SmtpFinding>();

        /// <summary>The Id of the first error finding; null on success.</summary>
        public string? ErrorId { get; internal set; }

        /// <summary>The conversation, C: for this client and S: for the server, AUTH secrets replaced by ********.</summary>
        public string[] Transcript { get; internal set; } = Array.Empty<string>();

        /// <summary>The proxy the connection went through (-Proxy), as socks5://host:port; null for a direct connection.</summary>
        public string? Proxy { get; internal set; }

        /// <summary>The proxy's address the TCP connection was made to.</summary>
        public string? ProxyAddress { get; internal set; }

        /// <summary>The proxy's answer to the tunnel request (the HTTP status line, the SOCKS reply).</summary>
        public string? ProxyReply { get; internal set; }

        public override string ToString() => $"{SmtpServer}:{Port} {(Success ? "OK" : ErrorId ?? "failed")}";

        internal List<SmtpFinding> FindingList { get; } = new();

        internal void Complete(TimeSpan elapsed, IEnumerable<string> transcript)
        {
            Elapsed = elapsed;
            Findings = FindingList.OrderByDescending(f => f.Severity).ToArray();
            ErrorId = Findings.FirstOrDefault(f => f.Severity == SmtpFindingSeverity.Error)?.Id;
            Success = ErrorId == null;
            Transcript = transcript.ToArray();
        }
    }
}
