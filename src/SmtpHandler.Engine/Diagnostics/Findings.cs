using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// Every finding Test-SmtpConnection can report, each worded here once: its severity, its Id, what was
    /// found and what to do. Refusals shared with sending come worded from <see cref="AuthenticationPolicy"/>
    /// and <see cref="TlsVerdict"/>.
    /// </summary>
    internal static class Findings
    {
        private static SmtpFinding Error(string id, string message, string? advice = null) => new(SmtpFindingSeverity.Error, id, message, advice);

        private static SmtpFinding Warning(string id, string message, string? advice = null) => new(SmtpFindingSeverity.Warning, id, message, advice);

        private static SmtpFinding Information(string id, string message, string? advice = null) => new(SmtpFindingSeverity.Information, id, message, advice);

        // Before connecting

        public static SmtpFinding StartTlsOverridden(bool port465) => Information("StartTlsOverridden",
            $"STARTTLS was asked for, but {(port465 ? "port 465" : "-UseTls")} means implicit TLS, so this test used implicit TLS.",
            "Port 465 is implicit TLS (SMTPS) and works as it is; STARTTLS belongs to port 587 (or 25).");

        public static SmtpFinding PickupConfiguration(string? directory) => Error("PickupConfiguration",
            $"This configuration writes to the pickup folder '{directory}': there is no server to test.");

        // DNS

        public static SmtpFinding NameResolutionTimedOut(string host, string timeout) => Error("NameResolutionTimedOut",
            $"Resolving '{host}' took longer than {timeout}.",
            "Check this machine's DNS servers (Get-DnsClientServerAddress, /etc/resolv.conf).");

        public static SmtpFinding NameResolutionFailed(string host, string reason) => Error("NameResolutionFailed",
            $"The name '{host}' could not be resolved: {reason.TrimEnd('.')}.",
            "Check the server name for typos, and that this machine's DNS resolves it (Resolve-DnsName or nslookup).");

        public static SmtpFinding NoAddress(string host) => Error("NameResolutionFailed",
            $"The name '{host}' resolved to no address.",
            "Check the server name and its DNS records.");

        // TCP

        public static SmtpFinding ConnectionTimedOut(string endpoint, string timeout) => Error("ConnectionTimedOut",
            $"{endpoint} did not accept a TCP connection within {timeout}.",
            "A firewall may be dropping the connection, or the host is down. Many networks block outgoing port 25: try 587 (-UseStartTls) or 465.");

        public static SmtpFinding ConnectionRefused(string endpoint, IEnumerable<string> addresses) => Error("ConnectionRefused",
            $"Nothing accepts connections on {endpoint} (refused by {string.Join(", ", addresses)}).",
            "Check the port (25, 587 and 465 are usual) and that the mail service is running there.");

        public static SmtpFinding ConnectionFailed(string endpoint, IEnumerable<string> failures) => Error("ConnectionFailed",
            $"Could not connect to {endpoint}: {string.Join("; ", failures)}.",
            "Check the server name, the port and the network path to it.");

        // Greeting

        public static SmtpFinding GreetingRefused(string endpoint, SmtpReply greeting) => Error("GreetingRefused",
            $"{endpoint} refused the session in its greeting: {greeting}.",
            ReplyCodes.IsTransient(greeting.Code)
                ? "A 4xx greeting is temporary: the server is busy, rate-limiting or greylisting this client. Try again later."
                : "A 5xx greeting is final for this client: the server does not take mail from this address (a block list, or a server meant for other clients). Use the server meant for you, or ask its administrator.");

        public static SmtpFinding UnusualGreeting(string endpoint, int code) => Warning("UnusualGreeting",
            $"{endpoint} greeted with {code} rather than 220.");

        public static SmtpFinding StartTlsOnImplicitTlsPort(string endpoint, string timeout, bool startTlsAsked) => Error("StartTlsOnImplicitTlsPort",
            $"{endpoint} sent no greeting within {timeout}, but it answers a TLS handshake: it is an implicit-TLS port (SMTPS), which waits for the client to start TLS.",
            $"Use -UseTls{(startTlsAsked ? " instead of -UseStartTls" : string.Empty)} (port 465 turns it on by itself). STARTTLS is for ports that greet in plaintext, usually 587 or 25.");

        public static SmtpFinding NoGreeting(string endpoint, string timeout) => Error("NoGreeting",
            $"{endpoint} accepted the TCP connection but sent no greeting within {timeout}.",
            "The server may be overloaded, or this is not an SMTP port. An implicit-TLS port (usually 465) also stays silent until the client starts TLS: if this is one, use -UseTls. A slow server may need a longer -Timeout.");

        // EHLO

        public static SmtpFinding EhloNotSupported(string endpoint, SmtpReply reply) => Warning("EhloNotSupported",
            $"{endpoint} refused EHLO ({reply}) and accepted HELO: it announces no extensions, so no STARTTLS, AUTH or SIZE.",
            "An old or misconfigured server: SmtpHandler needs EHLO for STARTTLS and AUTH.");

        public static SmtpFinding EhloRefused(string endpoint, string name, SmtpReply reply) => Error("EhloRefused",
            $"{endpoint} refused EHLO {name}: {reply}.",
            "Some servers check the EHLO name: give this machine's fully qualified name with -LocalDomain.");

        // STARTTLS, or none

        public static SmtpFinding StartTlsNotOffered(string endpoint) => Error("StartTlsNotOffered",
            $"{endpoint} does not offer STARTTLS, so sending would stop before anything is sent: the connection would stay plaintext.",
            "If the port expects implicit TLS (usually 465), use -UseTls. If the server has no TLS at all, only on a trusted network leave out -UseStartTls.");

        public static SmtpFinding StartTlsFailed(string endpoint, SmtpReply reply) => Error("StartTlsFailed",
            $"{endpoint} offered STARTTLS but refused it: {reply}.",
            "The server could not start TLS (often a missing or broken certificate on its side); nothing would be sent in plaintext. Tell its administrator.");

        public static SmtpFinding StartTlsResponseInjection(string endpoint) => Error("StartTlsResponseInjection",
            $"{endpoint} sent more data right after its reply to STARTTLS, before TLS began.",
            "Something between here and the server (or the server itself) injects plaintext into the session; do not use this path until it is explained. Implicit TLS (-UseTls, port 465) is not open to this.");

        public static SmtpFinding AuthOfferedBeforeTls(string endpoint, IEnumerable<string> mechanisms) => Information("AuthOfferedBeforeTls",
            $"{endpoint} also offers AUTH before STARTTLS ({string.Join(" ", mechanisms)}).",
            "SmtpHandler logs in only after STARTTLS; other clients could send passwords in plaintext to this server.");

        public static SmtpFinding StartTlsNotUsed(string endpoint) => Warning("StartTlsNotUsed",
            $"{endpoint} offers STARTTLS but this configuration does not use it: mail (and any login) would cross the network in plaintext.",
            "Add -UseStartTls.");

        public static SmtpFinding NotEncrypted(string endpoint) => Warning("NotEncrypted",
            $"{endpoint} offers no STARTTLS: mail would cross the network in plaintext.",
            "Fine for a relay on a trusted network; otherwise use the server's TLS port (465 with implicit TLS, or 587 with -UseStartTls).");

        public static SmtpFinding AuthOfferedOnlyInPlaintext(string endpoint, IEnumerable<string> mechanisms) => Warning("AuthOfferedOnlyInPlaintext",
            $"{endpoint} offers AUTH ({string.Join(" ", mechanisms)}) but no way to encrypt the connection: a login here would send the password in plaintext.",
            "Log in on the server's TLS port instead (465 with implicit TLS, or 587 with -UseStartTls); -AllowUnencryptedAuthentication is for trusted networks only.");

        // TLS handshake

        public static SmtpFinding ImplicitTlsOnStartTlsPort(string endpoint, string greeting, int port) => Error("ImplicitTlsOnStartTlsPort",
            $"{endpoint} greeted in plaintext ('{greeting}') instead of starting TLS: it is a plain SMTP or STARTTLS port, not an implicit-TLS one.",
            port == SmtpHandlerConfig.ImplicitTlsPort
                ? "Port 465 usually means implicit TLS, but this server does not: use its STARTTLS port with -UseStartTls."
                : $"Use -UseStartTls instead of -UseTls{(port == 587 ? " (port 587 is the STARTTLS submission port)" : string.Empty)}; implicit TLS is usually port 465.");

        public static SmtpFinding TlsHandshakeFailed(string endpoint, string how, string why) => Error("TlsHandshakeFailed",
            $"The TLS handshake ({how}) with {endpoint} failed: {why}.",
            "The server may offer only TLS 1.0 or 1.1, which SmtpHandler does not use, or want a client certificate (-ClientCertificatePath).");

        public static SmtpFinding TlsHandshakeTimedOut(string endpoint, string how, string timeout, bool implicitTls) => Error("TlsHandshakeTimedOut",
            $"{endpoint} did not complete the TLS handshake ({how}) within {timeout}.",
            implicitTls ? "This may not be an implicit-TLS port: if the server greets in plaintext on another try, use -UseStartTls." : "The server or something in between stalls TLS; try again, or try implicit TLS on port 465.");

        // Certificate

        public static SmtpFinding CertificateUnreadable(string reason) => Warning("CertificateUnreadable",
            $"The server's certificate could not be read completely: {reason}.");

        public static SmtpFinding CertificateExpiringSoon(string endpoint, SmtpCertificateInfo certificate) => Warning("CertificateExpiringSoon",
            $"The certificate of {endpoint} ({certificate.Subject}) expires on {certificate.NotAfter:yyyy-MM-dd}, in {certificate.DaysUntilExpiry} day(s).",
            "Have it renewed before then: after that date every TLS connection to this server fails.");

        /// <summary>
        /// A refused certificate, one finding per kind of problem: expired, not yet valid, another name and revoked
        /// each have their own Id; anything else is CertificateUntrusted.
        /// </summary>
        public static IEnumerable<SmtpFinding> CertificateRefused(string endpoint, TlsVerdict verdict) =>
            verdict.Problems
                .GroupBy(p => CertificateFindingId(p.Kind))
                .Select(g => Error(
                    g.Key,
                    TlsVerdict.NotTrusted(endpoint, string.Join("; ", g.Select(p => p.Reason))) + ".",
                    string.Join(" ", g.Select(p => p.Advice).Distinct())));

        private static string CertificateFindingId(TlsProblemKind kind) => kind switch
        {
            TlsProblemKind.Expired => "CertificateExpired",
            TlsProblemKind.NotYetValid => "CertificateNotYetValid",
            TlsProblemKind.NameMismatch => "CertificateNameMismatch",
            TlsProblemKind.Revoked => "CertificateRevoked",
            _ => "CertificateUntrusted",
        };

        // AUTH

        public static SmtpFinding AuthenticationNotOffered(string endpoint, string? userName, bool startTlsWouldHelp) => Error("AuthenticationNotOffered",
            $"{endpoint} does not offer AUTH on this connection, so the credential for '{userName}' can't be used.",
            startTlsWouldHelp
                ? "Many servers offer AUTH only after STARTTLS: use -UseStartTls."
                : "The server may not need a login from this network (a relay), or take logins on another port (587 or 465).");

        public static SmtpFinding NoUsableAuthenticationMechanism(string endpoint, IEnumerable<string> mechanisms) => Error("NoUsableAuthenticationMechanism",
            $"{endpoint} offers AUTH {string.Join(" ", mechanisms)}, none of which works with a user name and password.",
            "XOAUTH2 and OAUTHBEARER need an OAuth token: give one with New-SmtpHandlerConfig -OAuthUserName.");

        public static SmtpFinding AuthenticationInPlaintext(string? userName) => Warning("AuthenticationInPlaintext",
            $"The credential for '{userName}' crossed the network unencrypted (-AllowUnencryptedAuthentication).",
            "Use TLS for logins whenever the server offers it.");

        // The access token's claims (AccessTokenCheck), read before the server sees the token; never the token itself.

        private const string FreshTokenAdvice = "A ready token (-AccessToken) does not renew itself: give -AccessTokenScript, or the app's client credentials (-TenantId -ClientId with -ClientSecret or -OAuthCertificatePath), and each connection gets a fresh one. A token just issued that reads as expired means this machine's clock is wrong.";

        public static SmtpFinding AccessTokenExpired(string source, DateTimeOffset expires) => Warning("AccessTokenExpired",
            $"The access token from {source} expired at {expires.ToUniversalTime():yyyy-MM-dd HH:mm} UTC: the server will refuse it (Exchange Online: 535 5.7.3).",
            "Get a fresh token. " + FreshTokenAdvice);

        public static SmtpFinding AccessTokenExpiringSoon(string source, DateTimeOffset expires, TimeSpan left) => Warning("AccessTokenExpiringSoon",
            $"The access token from {source} expires at {expires.ToUniversalTime():yyyy-MM-dd HH:mm} UTC, in {Math.Max(0, (int)left.TotalSeconds)} s: a send that connects after that is refused.",
            FreshTokenAdvice);

        public static SmtpFinding AccessTokenNotDecodable(string source) => Information("AccessTokenNotDecodable",
            $"The access token from {source} is not a JWT (Google's and some other providers' tokens are opaque), so its audience, permissions and expiry can't be read here; the server's answer to AUTH is the test.");

        public static SmtpFinding AccessTokenWrongAudience(string source, IReadOnlyCollection<string> audience, bool graph) => Error("AccessTokenWrongAudience",
            $"The access token from {source} is for {(audience.Count == 0 ? "no audience" : string.Join(", ", audience))}{(graph ? " (Microsoft Graph)" : string.Empty)}, not for Exchange Online (https://outlook.office365.com): Exchange Online refuses it (535 5.7.3).",
            "Ask Microsoft Entra ID for the Exchange Online scope: https://outlook.office365.com/.default with client credentials (New-SmtpHandlerConfig's default -OAuthScope), or https://outlook.office.com/SMTP.Send for a signed-in user (Get-AzAccessToken -ResourceUrl https://outlook.office365.com). A Microsoft Graph token is for Graph's sendMail, never for SMTP.");

        public static SmtpFinding AccessTokenWithoutSmtpPermission(string source, OAuthTokenClaims claims, string? userName) => claims.AppOnly
            ? Error("AccessTokenWithoutSmtpPermission",
                $"The app-only access token from {source} (app {claims.AppId ?? "unknown"}) carries {(claims.Roles.Length == 0 ? "no roles" : "the roles " + string.Join(", ", claims.Roles))}, without {AccessTokenCheck.AppOnlyPermission}: Exchange Online refuses it (535 5.7.3).",
                $"In Microsoft Entra ID, App registrations > API permissions: add Office 365 Exchange Online > Application permissions > {AccessTokenCheck.AppOnlyPermission} and grant admin consent. Then, in Exchange Online PowerShell, register the app's service principal and give it the mailbox: " + ServicePrincipalSteps(claims.AppId, userName))
            : Error("AccessTokenWithoutSmtpPermission",
                $"The access token from {source} for {claims.UserPrincipalName ?? "the signed-in user"} carries the scopes {(claims.Scopes.Length == 0 ? "(none)" : string.Join(" ", claims.Scopes))}, without {AccessTokenCheck.DelegatedPermission}: Exchange Online refuses it (535 5.7.3).",
                $"Ask for the scope https://outlook.office.com/{AccessTokenCheck.DelegatedPermission} (add the delegated permission Office 365 Exchange Online > {AccessTokenCheck.DelegatedPermission} to the app registration and consent to it).");

        private static string ServicePrincipalSteps(string? appId, string? mailbox) =>
            $"New-ServicePrincipal -AppId {appId ?? "<application (client) id>"} -ObjectId <the Enterprise application's object id>, then Add-MailboxPermission -Identity '{mailbox ?? "<mailbox>"}' -User <the service principal's id> -AccessRights FullAccess.";

        public const string PasswordRefusedAdvice = "Check the user name and password. Many providers want an app password (or OAuth) rather than the account's password, and some want SMTP AUTH enabled per mailbox.";

        public const string TokenRefusedAdvice = "The token may be expired, for another user, or lack the SMTP.Send (Microsoft 365) or mail.google.com (Gmail) permission.";

        public static SmtpFinding AuthenticationFailed(string endpoint, string? userName, string mechanism, SmtpReply reply, string advice) => Error("AuthenticationFailed",
            $"{endpoint} refused the login of '{userName}' with {mechanism}: {reply}.",
            ReplyCodes.IsTransient(reply.Code) ? "A temporary failure: try again later." : advice);

        public static SmtpFinding AuthenticationExchangeFailed(string endpoint, string mechanism, string reason) => Error("AuthenticationExchangeFailed",
            $"The {mechanism} login with {endpoint} could not go on: this client could not answer the server's challenge ({reason.TrimEnd('.')}).",
            $"The server's {mechanism} exchange is not what the standard describes; sending would fail the same way. Ask its administrator, or log in on a server offering another mechanism (PLAIN or LOGIN over TLS).");

        // MAIL FROM, RCPT TO, RSET

        public static SmtpFinding SenderRejected(string endpoint, string sender, SmtpReply reply) => Error("SenderRejected",
            $"{endpoint} would not accept <{sender}> as the sender: {reply}.",
            reply.Code == ReplyCodes.AuthenticationRequired ? "The server wants a login first: give -Credential."
            : ReplyCodes.IsTransient(reply.Code) ? "A temporary refusal (greylisting, a busy server): try again later."
            : "The server does not let this client send as this address (a relaying or sender policy, or the login may not use it).");

        public static SmtpFinding RecipientRejected(string endpoint, string recipient, SmtpReply reply) => Error("RecipientRejected",
            $"{endpoint} would not accept <{recipient}> as a recipient: {reply}.",
            ReplyCodes.IsTransient(reply.Code)
                ? "A temporary refusal (greylisting, a full mailbox, too many recipients): try again later."
                : "The mailbox may not exist, or this server does not relay to that domain for this client (a login with -Credential often allows it).");

        public static SmtpFinding ResetRefused(string endpoint, SmtpReply reply) => Warning("ResetRefused",
            $"{endpoint} refused RSET: {reply}. The connection was closed without DATA, so nothing was sent.");

        // The connection itself

        public static SmtpFinding ReplyTimedOut(string endpoint, string step, string timeout) => Error("ReplyTimedOut",
            $"{endpoint} did not answer {step} within {timeout}.",
            "The server or the network is slow or stalled; a longer -Timeout may help.");

        public static SmtpFinding ConnectionClosed(string endpoint, string step, string reason, bool maybeImplicitTls) => Error("ConnectionClosed",
            $"{endpoint} closed the connection during {step}: {reason}.",
            maybeImplicitTls
                ? "A server that drops a client before greeting may be refusing this address, or expect implicit TLS (-UseTls)."
                : "The server ended the session; its logs say why.");

        public static SmtpFinding NotSmtp(string endpoint, string step, string reason, bool looksLikeTls) => Error("NotSmtp",
            $"{endpoint} does not speak SMTP as expected during {step}: {reason}.",
            looksLikeTls ? "The bytes look like TLS: use -UseTls." : "Check the port: another service may be listening on it.");

        // Exchange Online's refusals that a setup step fixes (ExchangeReplies tells them apart)

        /// <summary>
        /// The finding for an Exchange Online refusal of <paramref name="command"/>: what is missing and the cmdlet that
        /// fixes it. <paramref name="address"/> is the sender (MAIL FROM) or recipient (RCPT TO) asked about.
        /// </summary>
        public static SmtpFinding ExchangeRefused(ExchangeRefusal kind, string endpoint, string command, SmtpReply reply, string? userName, string? address, bool withToken, string? appId = null)
        {
            var user = userName ?? "<mailbox>";
            return kind switch
            {
                ExchangeRefusal.SmtpClientAuthenticationDisabled => Error("SmtpClientAuthenticationDisabled",
                    $"{endpoint} refused the login of '{userName}': {reply}. SMTP AUTH (authenticated client submission) is turned off for this mailbox or for the whole organization.",
                    $"An Exchange Online administrator turns it on for the mailbox: Set-CASMailbox -Identity '{user}' -SmtpClientAuthenticationDisabled $false (the mailbox's setting overrides the organization's), or for the organization: Set-TransportConfig -SmtpClientAuthenticationDisabled $false. Security defaults in Microsoft Entra ID keep SMTP AUTH off whatever these say."),
                ExchangeRefusal.BlockedBySecurityPolicy => Error("SmtpAuthenticationBlockedByPolicy",
                    $"{endpoint} refused the login of '{userName}': {reply}. A Microsoft Entra policy (security defaults, Conditional Access) or an Exchange authentication policy blocks it.",
                    withToken
                        ? "Look up this sign-in in Microsoft Entra ID > Sign-in logs (service principal sign-ins for an app) to see which policy refused it."
                        : "Security defaults and policies that block legacy authentication refuse passwords for SMTP whatever the mailbox allows: log in with OAuth instead (New-SmtpHandlerConfig -TenantId -ClientId -OAuthUserName; see about_SmtpHandler_OAuth)."),
                ExchangeRefusal.BasicAuthenticationNotSupported => Error("BasicAuthenticationNotSupported",
                    $"{endpoint} refused a password login for client submission: {reply}. Exchange Online no longer takes Basic authentication for SMTP AUTH (off by default for existing tenants from the end of December 2026).",
                    $"Log in with OAuth: give an app registration the application permission Office 365 Exchange Online > {AccessTokenCheck.AppOnlyPermission} with admin consent, then " + ServicePrincipalSteps(null, userName) + " Then New-SmtpHandlerConfig -TenantId -ClientId -ClientSecret (or -OAuthCertificatePath) -OAuthUserName; see about_SmtpHandler_OAuth."),
                ExchangeRefusal.AuthenticationUnsuccessful => Error("AuthenticationFailed",
                    $"{endpoint} refused the login of '{userName}' ({command}): {reply}.",
                    withToken
                        ? $"Exchange Online refuses a token that is not for it, lacks {AccessTokenCheck.AppOnlyPermission} (app) or {AccessTokenCheck.DelegatedPermission} (user), or whose app has no access to the mailbox: check the token findings above; for an app, " + ServicePrincipalSteps(appId, userName) + $" SMTP AUTH must also be on for the mailbox: Set-CASMailbox -Identity '{user}' -SmtpClientAuthenticationDisabled $false."
                        : $"Check the user name (the full address) and the password. SMTP AUTH must be on for the mailbox (Set-CASMailbox -Identity '{user}' -SmtpClientAuthenticationDisabled $false); an account with multifactor authentication or security defaults can't log in with a password: use OAuth (about_SmtpHandler_OAuth)."),
                ExchangeRefusal.SendAsDenied => Error("SendAsDenied",
                    $"{endpoint} refused <{address}> as the sender for the login '{userName}': {reply}. The login may not send as that address.",
                    $"Send from the login's own address, or have an Exchange Online administrator grant it: Add-RecipientPermission -Identity '{address ?? "<sender>"}' -Trustee '{user}' -AccessRights SendAs. Exchange Online checks the message's From header too, after DATA, which Test-SmtpConnection never sends: give -From the address the messages will carry."),
                ExchangeRefusal.ConcurrentConnectionLimit => Warning("ConcurrentConnectionLimit",
                    $"{endpoint} refused {command}: {reply}. Exchange Online takes at most 3 connections at once per mailbox, and '{userName}' had more open (other scripts, devices, or -ConnectionCount).",
                    "Use -ConnectionCount 3 or fewer for this mailbox and check what else sends as it; the refusal is temporary."),
                ExchangeRefusal.SubmissionQuotaExceeded => Error("SubmissionQuotaExceeded",
                    $"{endpoint} refused {command}: {reply}. The mailbox '{userName}' reached Exchange Online's recipient rate limit (10,000 recipients in a rolling 24 hours).",
                    "Sending resumes as the 24-hour window moves on. For more, spread the sending over several mailboxes, or use High Volume Email (internal recipients) or Azure Communication Services Email."),
                ExchangeRefusal.ExternalRecipientNotAllowed => Error("ExternalRecipientNotAllowed",
                    $"{endpoint} refused <{address}>: {reply}. High Volume Email sends only to recipients inside the organization.",
                    "Send to outside recipients through Exchange Online (smtp.office365.com) or Azure Communication Services Email."),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }

        /// <summary>
        /// What sending's error adds when the server's reply (or the error quoting it, <paramref name="code"/> unknown) is
        /// one of these refusals: where the diagnosis is.
        /// </summary>
        public static string? ExchangeRefusalHint(string? reply, int? code = null)
        {
            var kind = ExchangeReplies.Classify(code, reply);
            if (kind == ExchangeRefusal.None)
            {
                return null;
            }

            var id = ExchangeRefused(kind, "the server", "the command", new SmtpReply(0, Array.Empty<string>()), null, null, false).Id;
            return kind == ExchangeRefusal.SendAsDenied
                ? $"Exchange Online refusal ({id}): Test-SmtpConnection with this configuration and -From <the sender> names the fix."
                : $"Exchange Online refusal ({id}): Test-SmtpConnection with this configuration names the fix.";
        }

        /// <summary>Something no other finding foresees went wrong in <paramref name="step"/>: reported, never thrown.</summary>
        public static SmtpFinding DiagnosisStepFailed(string step, Exception failure) => Error("DiagnosisStepFailed",
            $"The diagnosis stopped during {step}: {failure.GetType().Name}: {failure.Message.TrimEnd('.')}.",
            "An unexpected answer or a bug: the steps before it are reported as found. Run again with -Verbose to see the conversation.");

        /// <summary>A failure sending would report the same way (a certificate file that can't be read, for one).</summary>
        // Proxy

        public static SmtpFinding ProxyTunnelOpened(string proxy, string? address, string endpoint, string? reply) => Information("ProxyTunnelOpened",
            $"The proxy {proxy}{(address != null ? $" ({address})" : string.Empty)} opened a tunnel to {endpoint}: {reply}.");

        public static SmtpFinding ProxyReached(string proxy, string address) => Information("ProxyReached",
            $"The proxy {proxy} accepted a TCP connection at {address}.");

        public static SmtpFinding ProxyFailed(SmtpHandlerException failure) => Error(failure.ErrorId, failure.Message, failure.ErrorId switch
        {
            "ProxyAuthenticationFailed" => "Check the user name and password given with -ProxyCredential.",
            "ProxyRefused" => "Ask the proxy's administrator whether it allows connections to this server and port (HTTP proxies often allow only 443).",
            "ProxyProtocolError" => "Check the scheme of -Proxy: socks5://, socks4://, socks4a:// or http:// must match what the proxy speaks on that port.",
            _ => "Check the proxy's name and port, and that it is running and reachable from this machine.",
        });

        public static SmtpFinding From(SmtpHandlerException failure) => Error(failure.ErrorId, failure.Message);
    }
}
