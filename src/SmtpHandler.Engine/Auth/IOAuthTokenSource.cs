using System.Threading;

namespace SmtpHandler
{
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
}
