using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace SmtpHandler.Testing
{
    /// <summary>
    /// What an <see cref="SmtpTestServer"/> does; every setting optional. Without any it is a plain MTA that takes
    /// every message. Settings are read as each session needs them, so a test may change them while it runs.
    /// </summary>
    public sealed class SmtpTestServerOptions
    {
        /// <summary>The name in the greeting and the first EHLO line.</summary>
        public string ServerName { get; set; } = "smtp.test";

        /// <summary>The greeting; "220 {ServerName} ESMTP ready" when null. A 421 greeting closes the connection after it.</summary>
        public string? Greeting { get; set; }

        /// <summary>
        /// The EHLO keywords, in order. STARTTLS and AUTH are added from the settings below; replace the list for a
        /// server that offers less (no SMTPUTF8 is the default) or more (DSN, SIZE 1000).
        /// </summary>
        public List<string> Extensions { get; } = new() { "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES" };

        /// <summary>
        /// Called for every command (and CONNECT, before the greeting) before the server acts on it: null goes on as
        /// usual, a <see cref="ServerAction"/> replaces the default reply. Runs on the session's own thread.
        /// </summary>
        public Func<ReceivedCommand, ServerAction?>? Script { get; set; }

        /// <summary>The server certificate (with its key): TLS from the first byte with <see cref="ImplicitTls"/>, else STARTTLS.</summary>
        public X509Certificate2? Certificate { get; set; }

        /// <summary>TLS from the first byte (as on port 465) instead of a plain greeting.</summary>
        public bool ImplicitTls { get; set; }

        /// <summary>Whether EHLO offers STARTTLS on a plain connection (only with a certificate).</summary>
        public bool OfferStartTls { get; set; } = true;

        /// <summary>The TLS versions the server allows; the system's choice when null.</summary>
        public SslProtocols? TlsProtocols { get; set; }

        /// <summary>Ask for a client certificate in the handshake and record it; a client without one still gets on.</summary>
        public bool RequestClientCertificate { get; set; }

        /// <summary>Demand a client certificate in the handshake; a client without one fails it.</summary>
        public bool RequireClientCertificate { get; set; }

        /// <summary>When set, a client certificate must chain to this CA.</summary>
        public X509Certificate2? ClientCertificateAuthority { get; set; }

        /// <summary>The SASL mechanisms EHLO offers (any of "PLAIN LOGIN CRAM-MD5 XOAUTH2"); none, and no AUTH, when empty.</summary>
        public string AuthMechanisms { get; set; } = string.Empty;

        /// <summary>Whether AUTH is offered (and taken) before TLS, as some servers do.</summary>
        public bool OfferAuthInPlaintext { get; set; } = true;

        /// <summary>User name to password for PLAIN, LOGIN and CRAM-MD5; when null any login is taken.</summary>
        public IDictionary<string, string>? Users { get; set; }

        /// <summary>The access tokens XOAUTH2 takes (the value is unused); a test or a token endpoint may add while the server runs.</summary>
        public ConcurrentDictionary<string, int> AcceptedTokens { get; set; } = new();

        /// <summary>The mailbox an XOAUTH2 response must name; any when null.</summary>
        public string? OAuthUser { get; set; }

        /// <summary>Answer MAIL with 530 until the client has logged in.</summary>
        public bool RequireAuthentication { get; set; }

        /// <summary>When above 0, recipients beyond it in one transaction get "452 4.5.3 Error: too many recipients".</summary>
        public int RecipientLimit { get; set; }

        /// <summary>
        /// When above 0, at most this many sessions are served at once (the peak is recorded in
        /// <see cref="SmtpTestServer.PeakSessions"/>); another is refused with <see cref="ConcurrencyReply"/>, at its
        /// greeting (then closed), or at its MAIL with <see cref="RefuseConcurrencyAtMail"/> (as Exchange Online does).
        /// </summary>
        public int MaxConcurrentSessions { get; set; }

        /// <summary>The refusal of a session past <see cref="MaxConcurrentSessions"/>.</summary>
        public string ConcurrencyReply { get; set; } = "421 4.7.0 smtp.test Error: too many connections, try again later";

        /// <summary>Refuse a session past <see cref="MaxConcurrentSessions"/> at MAIL (the connection stays open) instead of at the greeting.</summary>
        public bool RefuseConcurrencyAtMail { get; set; }

        /// <summary>
        /// Refuse a session past <see cref="MaxConcurrentSessions"/> after its message data (at the final "."), the
        /// connection staying open, as Exchange Online also does with "432 4.3.2 ... sender thread limit exceeded".
        /// </summary>
        public bool RefuseConcurrencyAtEndOfData { get; set; }

        /// <summary>
        /// When above 0, the server accepts this many recipients in all (over every session) and then answers MAIL and
        /// RCPT with <see cref="QuotaReply"/>; each such refusal is counted in <see cref="SmtpTestSession.QuotaRefusals"/>.
        /// </summary>
        public int RecipientQuota { get; set; }

        /// <summary>The reply once <see cref="RecipientQuota"/> is used up; Exchange Online's by default.</summary>
        public string QuotaReply { get; set; } = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Message submission quota exceeded[EndDiagnosticData]";

        /// <summary>Recipients whose address matches are refused with "550 5.1.1 ... User unknown".</summary>
        public Regex? RejectRecipients { get; set; }

        /// <summary>Keep each message's text and bytes; off for very large messages, which are then only counted.</summary>
        public bool KeepData { get; set; } = true;

        /// <summary>The longest line (with its CRLF) the server reads; a longer one is answered with 500 and the connection closed.</summary>
        public int MaxLineLength { get; set; } = 1024 * 1024;

        /// <summary>
        /// A server like Exchange Online for OAuth: implicit TLS with <paramref name="certificate"/> (plaintext when
        /// null), AUTH LOGIN XOAUTH2 where only XOAUTH2 for <paramref name="user"/> with one of <paramref name="tokens"/>
        /// logs in (a wrong token gets the 334 JSON challenge, then 535), and MAIL refused until then.
        /// </summary>
        public static SmtpTestServerOptions XOAuth2(X509Certificate2? certificate, string user, params string[] tokens)
        {
            var options = new SmtpTestServerOptions
            {
                Certificate = certificate,
                ImplicitTls = certificate != null,
                AuthMechanisms = "LOGIN XOAUTH2",
                Users = new Dictionary<string, string>(),
                OAuthUser = user,
                RequireAuthentication = true,
            };
            foreach (var token in tokens)
            {
                options.AcceptedTokens[token] = 0;
            }

            return options;
        }
    }
}
