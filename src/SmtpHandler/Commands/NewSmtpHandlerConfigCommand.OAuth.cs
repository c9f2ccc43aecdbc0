using System;
using System.Linq;
using System.Management.Automation;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// New-SmtpHandlerConfig's OAuth 2.0 (XOAUTH2) parameters: the mailbox to log in as, and one token source —
    /// a ready token, a token script, or Microsoft Entra ID client credentials.
    /// </summary>
    public sealed partial class NewSmtpHandlerConfigCommand
    {
        /// <summary>The mailbox that logs in with XOAUTH2 (for Microsoft 365 app-only access, the mailbox the app may send as).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OAuthUserName { get; set; }

        /// <summary>A ready access token, used as it is for every connection.</summary>
        [Parameter]
        public SecureString? AccessToken { get; set; }

        /// <summary>
        /// A script block called each time a connection logs in; it returns a token as a string, a SecureString,
        /// or an object with a Token or AccessToken property (and optionally ExpiresOn), as Get-AzAccessToken and
        /// MSAL.PS return.
        /// </summary>
        [Parameter]
        public ScriptBlock? AccessTokenScript { get; set; }

        /// <summary>The Microsoft Entra ID tenant (a GUID or a domain) for the built-in client-credentials flow.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        /// <summary>The application (client) id of the app registration.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        [Parameter]
        public SecureString? ClientSecret { get; set; }

        /// <summary>A .pfx/.p12 file with the app's certificate and private key, to sign client assertions with.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OAuthCertificatePath { get; set; }

        [Parameter]
        public SecureString? OAuthCertificatePassword { get; set; }

        /// <summary>The scope to ask for; https://outlook.office365.com/.default by default.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OAuthScope { get; set; }

        /// <summary>The token endpoint, for sovereign clouds; by default https://login.microsoftonline.com/TENANT/oauth2/v2.0/token.</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? TokenEndpoint { get; set; }

        /// <summary>Sets the XOAUTH2 login of <paramref name="given"/> from the OAuth parameters, when a token source is given.</summary>
        private void AddOAuth(ConfigParameters given, ProviderFiles files)
        {
            var clientCredentials = TenantId != null || ClientId != null || ClientSecret != null || OAuthCertificatePath != null || TokenEndpoint != null;
            var sources = new[] { AccessToken != null, AccessTokenScript != null, clientCredentials }.Count(isGiven => isGiven);
            if (sources == 0)
            {
                if (OAuthUserName != null || OAuthScope != null || OAuthCertificatePassword != null)
                {
                    ThrowSmtpError(Invalid(
                        nameof(OAuthUserName),
                        OAuthUserName,
                        "OAuth needs a token source: -AccessToken, -AccessTokenScript, or -TenantId and -ClientId with -ClientSecret or -OAuthCertificatePath."));
                }

                return;
            }

            if (sources > 1)
            {
                ThrowSmtpError(Invalid(
                    AccessToken != null ? nameof(AccessToken) : nameof(AccessTokenScript),
                    null,
                    "Give one token source: -AccessToken, -AccessTokenScript, or -TenantId/-ClientId with -ClientSecret or -OAuthCertificatePath."));
            }

            try
            {
                given.TokenSource = AccessToken != null
                    ? new StaticTokenSource(AccessToken)
                    : AccessTokenScript != null
                        ? TokenScript.Create(AccessTokenScript)
                        : new ClientCredentialsTokenSource(
                            TenantId,
                            ClientId!,
                            ClientSecret,
                            OAuthCertificatePath == null ? null : files.OneFileOrStop(OAuthCertificatePath, nameof(OAuthCertificatePath)),
                            OAuthCertificatePassword,
                            OAuthScope,
                            TokenEndpoint,
                            given.TrustedCertificatePaths,
                            given.Timeout,
                            given.ProxyOver(null));
                given.OAuthUserName = OAuthUserName;
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
            }
        }

        private static SmtpHandlerException Invalid(string parameter, object? value, string message) =>
            new("InvalidConfiguration", SmtpFailureKind.InvalidConfiguration, $"{parameter}: {message}", value) { ParameterName = parameter };
    }
}
