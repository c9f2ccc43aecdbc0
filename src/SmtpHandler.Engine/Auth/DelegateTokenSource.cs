using System;
using System.Threading;

namespace SmtpHandler
{
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
}
