using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// What an OAuth access token says about itself, read from its JWT claims as Microsoft Entra ID issues them:
    /// for whom (<c>aud</c>), with which permissions (<c>roles</c> for an app, <c>scp</c> for a user), from which
    /// tenant and app, until when. Never the token: the claims alone log no one in. Opaque tokens (Google's) have none.
    /// </summary>
    public sealed class OAuthTokenClaims
    {
        private OAuthTokenClaims()
        {
        }

        /// <summary>The <c>aud</c> claim: the service the token is for (https://outlook.office365.com for Exchange Online).</summary>
        public string[] Audience { get; private set; } = Array.Empty<string>();

        /// <summary>The <c>roles</c> claim: application permissions of an app-only token (SMTP.SendAsApp).</summary>
        public string[] Roles { get; private set; } = Array.Empty<string>();

        /// <summary>The <c>scp</c> claim: delegated permissions of a user's token (SMTP.Send).</summary>
        public string[] Scopes { get; private set; } = Array.Empty<string>();

        /// <summary>The <c>tid</c> claim: the Microsoft Entra tenant that issued the token.</summary>
        public string? TenantId { get; private set; }

        /// <summary>The <c>appid</c> (v1) or <c>azp</c> (v2) claim: the app registration the token was issued to.</summary>
        public string? AppId { get; private set; }

        /// <summary>The <c>upn</c>, <c>preferred_username</c> or <c>unique_name</c> claim: the signed-in user, for a delegated token.</summary>
        public string? UserPrincipalName { get; private set; }

        /// <summary>The <c>iss</c> claim: who issued the token.</summary>
        public string? Issuer { get; private set; }

        /// <summary>The <c>idtyp</c> claim when present ("app" or "user").</summary>
        public string? IdentityType { get; private set; }

        /// <summary>The <c>exp</c> claim.</summary>
        public DateTimeOffset? ExpiresOn { get; private set; }

        /// <summary>The <c>nbf</c> claim.</summary>
        public DateTimeOffset? NotBefore { get; private set; }

        /// <summary>
        /// A token of an app acting as itself (client credentials), as opposed to one for a signed-in user: it has roles
        /// and no scopes, or says so in <c>idtyp</c>.
        /// </summary>
        public bool AppOnly => IdentityType != null
            ? string.Equals(IdentityType, "app", StringComparison.OrdinalIgnoreCase)
            : Scopes.Length == 0;

        /// <summary>Issued by Microsoft Entra ID (it names a tenant, or its issuer is Entra's).</summary>
        public bool FromMicrosoftEntra => TenantId != null ||
            (Issuer != null && (Issuer.IndexOf("sts.windows.net", StringComparison.OrdinalIgnoreCase) >= 0 || Issuer.IndexOf("login.microsoftonline", StringComparison.OrdinalIgnoreCase) >= 0));

        /// <summary>Shows the claims the doctor reads; the token itself is never part of this object.</summary>
        public override string ToString()
        {
            var parts = new List<string> { $"aud={string.Join(",", Audience)}" };
            if (Roles.Length > 0)
            {
                parts.Add($"roles={string.Join(",", Roles)}");
            }

            if (Scopes.Length > 0)
            {
                parts.Add($"scp={string.Join(" ", Scopes)}");
            }

            if (TenantId != null)
            {
                parts.Add($"tid={TenantId}");
            }

            if (AppId != null)
            {
                parts.Add($"appid={AppId}");
            }

            if (UserPrincipalName != null)
            {
                parts.Add($"upn={UserPrincipalName}");
            }

            if (ExpiresOn is DateTimeOffset expires)
            {
                parts.Add($"exp={expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC");
            }

            return string.Join("; ", parts);
        }

        /// <summary>The claims of <paramref name="accessToken"/>; null when it is not a JWT (an opaque token).</summary>
        internal static OAuthTokenClaims? Read(string accessToken)
        {
            if (Jwt.ReadPayload(accessToken) is not { } payload)
            {
                return null;
            }

            return new OAuthTokenClaims
            {
                Audience = Strings(payload, "aud"),
                Roles = Strings(payload, "roles"),
                Scopes = (payload.GetString("scp") ?? string.Empty).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries),
                TenantId = payload.GetString("tid"),
                AppId = payload.GetString("appid") ?? payload.GetString("azp"),
                UserPrincipalName = payload.GetString("upn") ?? payload.GetString("preferred_username") ?? payload.GetString("unique_name"),
                Issuer = payload.GetString("iss"),
                IdentityType = payload.GetString("idtyp"),
                ExpiresOn = Jwt.ReadTime(payload, "exp"),
                NotBefore = Jwt.ReadTime(payload, "nbf"),
            };
        }

        // A claim that may be one string or an array of them (aud is either, RFC 7519 section 4.1.3).
        private static string[] Strings(IReadOnlyDictionary<string, object?> payload, string name) =>
            payload.TryGetValue(name, out var value) ? value switch
            {
                string one => new[] { one },
                List<object?> many => many.OfType<string>().ToArray(),
                _ => Array.Empty<string>(),
            } : Array.Empty<string>();
    }
}
