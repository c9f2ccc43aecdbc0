using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// What Test-SmtpConnection can tell from an access token's claims before the server sees it: a token for
    /// another service (Microsoft Graph), one without the SMTP permission, one expired or about to be. Only
    /// Microsoft Entra tokens are judged on audience and permissions; an opaque token is said to be undecodable.
    /// </summary>
    internal static class AccessTokenCheck
    {
        /// <summary>Tokens expiring within this time are worth a warning: a long send outlives them.</summary>
        public static readonly TimeSpan ExpiringSoon = TimeSpan.FromMinutes(5);

        /// <summary>The Exchange Online resource ("Office 365 Exchange Online") by its application id, as v2 tokens may name it.</summary>
        public const string ExchangeOnlineAppId = "00000002-0000-0ff1-ce00-000000000000";

        /// <summary>Microsoft Graph by its application id.</summary>
        public const string GraphAppId = "00000003-0000-0000-c000-000000000000";

        public const string AppOnlyPermission = "SMTP.SendAsApp";

        public const string DelegatedPermission = "SMTP.Send";

        public static IEnumerable<SmtpFinding> Check(OAuthTokenClaims? claims, DateTimeOffset? expiresOn, string source, string? userName, DateTimeOffset now)
        {
            if (claims == null)
            {
                yield return Findings.AccessTokenNotDecodable(source);
            }
            else if (claims.FromMicrosoftEntra)
            {
                if (!claims.Audience.Any(IsExchangeOnline))
                {
                    yield return Findings.AccessTokenWrongAudience(source, claims.Audience, claims.Audience.Any(IsGraph));
                }
                else if (!HasSmtpPermission(claims))
                {
                    yield return Findings.AccessTokenWithoutSmtpPermission(source, claims, userName);
                }
            }

            var expires = claims?.ExpiresOn ?? expiresOn;
            if (expires is DateTimeOffset at)
            {
                if (at <= now)
                {
                    yield return Findings.AccessTokenExpired(source, at);
                }
                else if (at - now < ExpiringSoon)
                {
                    yield return Findings.AccessTokenExpiringSoon(source, at, at - now);
                }
            }
        }

        /// <summary>Exchange Online in any cloud: https://outlook.office365.com, https://outlook.office.com, .us, partner.outlook.cn, or its app id.</summary>
        public static bool IsExchangeOnline(string audience)
        {
            if (string.Equals(audience, ExchangeOnlineAppId, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            return Uri.TryCreate(audience, UriKind.Absolute, out var uri) &&
                (uri.Host.StartsWith("outlook.", StringComparison.OrdinalIgnoreCase) || string.Equals(uri.Host, "partner.outlook.cn", StringComparison.OrdinalIgnoreCase));
        }

        public static bool IsGraph(string audience) =>
            string.Equals(audience, GraphAppId, StringComparison.OrdinalIgnoreCase) ||
            (Uri.TryCreate(audience, UriKind.Absolute, out var uri) && (uri.Host.StartsWith("graph.", StringComparison.OrdinalIgnoreCase) || uri.Host.StartsWith("microsoftgraph.", StringComparison.OrdinalIgnoreCase)));

        /// <summary>SMTP.SendAsApp in roles for an app-only token, SMTP.Send in scp for a user's (the scope may be written with the resource).</summary>
        public static bool HasSmtpPermission(OAuthTokenClaims claims) => claims.AppOnly
            ? claims.Roles.Any(r => string.Equals(r, AppOnlyPermission, StringComparison.OrdinalIgnoreCase))
            : claims.Scopes.Any(s => string.Equals(s, DelegatedPermission, StringComparison.OrdinalIgnoreCase) || s.EndsWith("/" + DelegatedPermission, StringComparison.OrdinalIgnoreCase));
    }
}
