using System;
using System.Security;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>One token given ready-made (for example from Get-AzAccessToken); used as it is for every connection.</summary>
    public sealed class StaticTokenSource : IOAuthTokenSource
    {
        private readonly SecureString token;
        private readonly DateTimeOffset? expiresOn;

        public StaticTokenSource(SecureString token, DateTimeOffset? expiresOn = null)
        {
            this.token = token?.Copy() ?? throw new ArgumentNullException(nameof(token));
            this.token.MakeReadOnly();
            this.expiresOn = expiresOn;
        }

        public string Description => "a ready access token";

        public OAuthToken GetToken(ISmtpLog log, CancellationToken cancellationToken)
        {
            var result = OAuthToken.FromSecureString(token, expiresOn);
            if (result.ExpiresOn is DateTimeOffset expires && expires <= DateTimeOffset.UtcNow)
            {
                log.Step($"The access token expired at {expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC; the server will likely refuse it.");
            }

            return result;
        }

        public override string ToString() => Description;
    }
}
