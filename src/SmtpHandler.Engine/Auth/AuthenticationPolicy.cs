using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// When a login may be tried, for configuration checks, sending and diagnostics alike: a credential never
    /// crosses an unencrypted connection (a password only with AllowUnencryptedAuthentication, an OAuth token
    /// never), XOAUTH2 only where the server offers it, and a token only when it can be a bearer token.
    /// </summary>
    internal static class AuthenticationPolicy
    {
        public const string XOAuth2 = "XOAUTH2";

        private const string PasswordAdvice = "Use implicit TLS (-UseTls, or port 465) or STARTTLS (-UseSsl, also called -UseStartTls, usually port 587); only on a trusted network, -AllowUnencryptedAuthentication allows it.";

        private const string TokenAdvice = "Tokens are only ever sent over TLS, even with -AllowUnencryptedAuthentication: use implicit TLS (-UseTls, or port 465) or STARTTLS (-UseSsl, also called -UseStartTls, usually port 587).";

        /// <summary>
        /// Before connecting: refuses a configuration that would send its credential over plain SMTP. With
        /// <paramref name="tokensOnly"/> a password is let through (a diagnosis reports it on the connection instead).
        /// </summary>
        public static AuthenticationRefusal? BeforeConnecting(SmtpHandlerConfig config, bool tokensOnly = false)
        {
            if (!config.HasCredential || config.TlsMode != SmtpTlsMode.None || config.IsPickup)
            {
                return null;
            }

            var endpoint = $"{config.SmtpServer}:{config.Port}";
            if (config.UsesOAuth)
            {
                // A bearer token works for anyone who reads it, for up to an hour, often for more than SMTP:
                // -AllowUnencryptedAuthentication does not extend to it.
                return Plaintext($"An OAuth access token would be sent unencrypted to {endpoint}.", TokenAdvice, config.SmtpServer, "OAuthUserName");
            }

            return config.AllowUnencryptedAuthentication || tokensOnly
                ? null
                : Plaintext($"A credential would be sent unencrypted to {endpoint}.", PasswordAdvice, config.SmtpServer, "Credential");
        }

        /// <summary>On a connection, before AUTH: refuses to send the credential when the connection is not encrypted.</summary>
        public static AuthenticationRefusal? OnConnection(SmtpHandlerConfig config, bool encrypted, string endpoint)
        {
            if (!config.HasCredential || encrypted || (!config.UsesOAuth && config.AllowUnencryptedAuthentication))
            {
                return null;
            }

            return config.UsesOAuth
                ? Plaintext($"Refusing to send an OAuth access token for '{config.UserName}' unencrypted to {endpoint}: login was not tried.", TokenAdvice, config.SmtpServer)
                : Plaintext($"Refusing to send the credential for '{config.UserName}' unencrypted to {endpoint}: login was not tried.", PasswordAdvice, config.SmtpServer);
        }

        /// <summary>Refuses an OAuth login where the server does not offer XOAUTH2.</summary>
        public static AuthenticationRefusal? XOAuth2Offered(ICollection<string> offered, string endpoint, string target)
        {
            if (offered.Contains(XOAuth2, System.StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }

            var what = offered.Count > 0 ? $"it offers AUTH {string.Join(" ", offered)}" : "it offers no AUTH at all";
            return new AuthenticationRefusal(
                "XOAuth2NotOffered",
                SmtpFailureKind.AuthenticationFailed,
                $"{endpoint} does not offer OAuth 2.0 login (AUTH XOAUTH2): {what}.",
                "Log in with -Credential instead, or use the provider's OAuth-enabled SMTP host (smtp.office365.com, smtp.gmail.com).",
                target);
        }

        /// <summary>Refuses a token that cannot be a bearer token: empty, or with spaces or control characters.</summary>
        public static AuthenticationRefusal? TokenShape(OAuthToken token, string source, string? userName)
        {
            if (token.AccessToken.Length > 0 && !token.AccessToken.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                return null;
            }

            return new AuthenticationRefusal(
                "InvalidAccessToken",
                SmtpFailureKind.AuthenticationFailed,
                $"The access token from {source} is empty or holds spaces or control characters, so it can't be a bearer token.",
                "A token is one word, without 'Bearer '.",
                userName);
        }

        private static AuthenticationRefusal Plaintext(string message, string advice, string target, string? parameterName = null) =>
            new("UnencryptedAuthenticationRefused", SmtpFailureKind.SecurityPolicy, message, advice, target, parameterName);
    }
}
