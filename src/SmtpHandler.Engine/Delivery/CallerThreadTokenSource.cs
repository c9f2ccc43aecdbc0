using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Asks for tokens on the caller's thread: a token script runs only on its pipeline thread, and a caching
    /// token source then serves every session from one place, one request at a time.
    /// </summary>
    internal sealed class CallerThreadTokenSource : IOAuthTokenSource
    {
        private readonly IOAuthTokenSource inner;
        private readonly CallerThreadQueue callerThread;

        public CallerThreadTokenSource(IOAuthTokenSource inner, CallerThreadQueue callerThread)
        {
            this.inner = inner;
            this.callerThread = callerThread;
        }

        public string Description => inner.Description;

        public OAuthToken GetToken(ISmtpLog log, CancellationToken cancellationToken) =>
            callerThread.Invoke(() => inner.GetToken(log, cancellationToken), cancellationToken);
    }
}
