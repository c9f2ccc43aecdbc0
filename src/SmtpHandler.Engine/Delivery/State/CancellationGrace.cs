using System;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// A token that is cancelled a moment after another one: with a state file, Ctrl+C lets the transaction in flight
    /// end, so that a server that answers leaves nothing Unknown, while one that doesn't is still cut off within
    /// seconds, like any other wait.
    /// </summary>
    internal sealed class CancellationGrace : IDisposable
    {
        /// <summary>Long enough for a server that answers to end its transaction; short enough for Ctrl+C.</summary>
        public static readonly TimeSpan Default = TimeSpan.FromSeconds(2);

        private readonly CancellationTokenSource delayed = new();
        private readonly CancellationTokenRegistration registration;

        public CancellationGrace(CancellationToken outer, TimeSpan grace) =>
            registration = outer.Register(() => delayed.CancelAfter(grace));

        public CancellationToken Token => delayed.Token;

        public void Dispose()
        {
            registration.Dispose();
            delayed.Dispose();
        }
    }
}
