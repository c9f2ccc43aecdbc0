using System;
using System.Net;
using System.Security;

namespace SmtpHandler
{
    /// <summary>
    /// An OAuth 2.0 access token for SASL XOAUTH2. The token itself is reachable only inside the engine:
    /// it has no public property, and <see cref="ToString"/> shows only when it expires.
    /// </summary>
    public sealed class OAuthToken
    {
        /// <summary>
        /// Wraps <paramref name="accessToken"/>. When <paramref name="expiresOn"/> is not given and the token is a
        /// JWT (as Microsoft Entra ID issues), its <c>exp</c> claim is read.
        /// </summary>
        public OAuthToken(string accessToken, DateTimeOffset? expiresOn = null)
        {
            if (accessToken == null)
            {
                throw new ArgumentNullException(nameof(accessToken));
            }

            AccessToken = accessToken.Trim();
            ExpiresOn = expiresOn ?? Jwt.ReadExpiry(AccessToken);
        }

        /// <summary>When the token stops working, when known.</summary>
        public DateTimeOffset? ExpiresOn { get; }

        internal string AccessToken { get; }

        /// <summary>Never shows the token.</summary>
        public override string ToString() => ExpiresOn is DateTimeOffset expires
            ? $"[access token, expires {expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC]"
            : "[access token]";

        internal static OAuthToken FromSecureString(SecureString token, DateTimeOffset? expiresOn = null) =>
            new(new NetworkCredential(string.Empty, token).Password, expiresOn);
    }
}
