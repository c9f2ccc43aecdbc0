using System;
using System.Net;
using System.Security;
using System.Text;
using System.Threading;

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

    /// <summary>
    /// Where the engine gets an access token each time a connection logs in with XOAUTH2 (so a reconnect
    /// gets a fresh one). Implementations must not write the token anywhere, and report failures as
    /// <see cref="SmtpHandlerException"/> with a stable ErrorId.
    /// </summary>
    public interface IOAuthTokenSource
    {
        /// <summary>Says where tokens come from, for verbose output and the configuration's display; never a secret.</summary>
        string Description { get; }

        /// <summary>A token valid now. Called on the thread that enumerates the send (over several connections too).</summary>
        OAuthToken GetToken(ISmtpLog log, CancellationToken cancellationToken);
    }

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

    /// <summary>
    /// Tokens from a function called each time a connection logs in (the cmdlets wrap a script block in one).
    /// The function reports its own failures as <see cref="SmtpHandlerException"/>; a null token is refused here.
    /// </summary>
    public sealed class DelegateTokenSource : IOAuthTokenSource
    {
        private readonly Func<CancellationToken, OAuthToken?> getToken;

        public DelegateTokenSource(Func<CancellationToken, OAuthToken?> getToken, string description)
        {
            this.getToken = getToken ?? throw new ArgumentNullException(nameof(getToken));
            Description = description ?? throw new ArgumentNullException(nameof(description));
        }

        public string Description { get; }

        /// <summary>How many times the function was called.</summary>
        public int Calls { get; private set; }

        public OAuthToken GetToken(ISmtpLog log, CancellationToken cancellationToken)
        {
            Calls++;
            var token = getToken(cancellationToken);
            if (token == null || token.AccessToken.Length == 0)
            {
                throw new SmtpHandlerException(
                    "TokenScriptReturnedNothing",
                    SmtpFailureKind.AuthenticationFailed,
                    $"{Description} returned no access token.",
                    Description);
            }

            return token;
        }

        public override string ToString() => Description;
    }

    /// <summary>Base64url (RFC 4648 section 5) and the one JWT claim the engine reads.</summary>
    internal static class Jwt
    {
        public static string Base64Url(byte[] bytes) =>
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static byte[] FromBase64Url(string text)
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
        }

        /// <summary>The <c>exp</c> claim of a JWT; null for an opaque token (Google's, for example).</summary>
        public static DateTimeOffset? ReadExpiry(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3)
            {
                return null;
            }

            try
            {
                var payload = JsonReader.TryParseObject(Encoding.UTF8.GetString(FromBase64Url(parts[1])));
                var exp = payload?.GetNumber("exp");
                return exp is double seconds && seconds > 0 && seconds < 253402300799
                    ? DateTimeOffset.FromUnixTimeSeconds((long)seconds)
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
