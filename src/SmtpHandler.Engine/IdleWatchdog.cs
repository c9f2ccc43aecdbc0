using System;
using System.Diagnostics;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Keeps the configured Timeout when MailKit is given a token that can be cancelled (the cmdlets' Ctrl+C):
    /// MailKit then waits on the socket in a loop that checks only the token, never its Timeout, so a server that
    /// stops answering would hold the send forever. While armed, the watchdog cancels the token it handed out once
    /// no byte has been read or written (the protocol logger reports every one) for longer than the timeout.
    /// </summary>
    internal sealed class IdleWatchdog
    {
        private readonly object gate = new();
        private readonly long timeoutTicks;
        private readonly int period;
        private CancellationTokenSource? armed;
        private Timer? timer;
        private long lastActivity;

        public IdleWatchdog(TimeSpan timeout)
        {
            Timeout = timeout;
            timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            period = (int)Math.Max(50, Math.Min(250, timeout.TotalMilliseconds / 4));
        }

        public TimeSpan Timeout { get; }

        /// <summary>Whether the last armed operation was cancelled because the line stayed idle too long.</summary>
        public bool Fired { get; private set; }

        /// <summary>
        /// Arms the watchdog for one network operation; pass the scope's token to MailKit. <paramref name="user"/>
        /// cancels it too.
        /// </summary>
        public Scope Arm(CancellationToken user)
        {
            lock (gate)
            {
                Disarm();
                Fired = false;
                armed = CancellationTokenSource.CreateLinkedTokenSource(user);
                Touch();
                timer = new Timer(Check, null, period, period);
                return new Scope(this, armed.Token);
            }
        }

        /// <summary>Runs one network operation with the token of an armed <paramref name="watchdog"/> (or the user's, without one).</summary>
        public static void Run(IdleWatchdog? watchdog, CancellationToken user, Action<CancellationToken> operation)
        {
            if (watchdog == null)
            {
                operation(user);
                return;
            }

            using var scope = watchdog.Arm(user);
            operation(scope.Token);
        }

        /// <summary>A byte went out or came in: the line is alive.</summary>
        public void Touch() => Interlocked.Exchange(ref lastActivity, Stopwatch.GetTimestamp());

        private void Check(object? state)
        {
            lock (gate)
            {
                if (armed == null || armed.IsCancellationRequested || Stopwatch.GetTimestamp() - Interlocked.Read(ref lastActivity) <= timeoutTicks)
                {
                    return;
                }

                Fired = true;
                try
                {
                    armed.Cancel();
                }
                catch (AggregateException)
                {
                    // A callback registered on the token failed; the cancellation itself happened.
                }
            }
        }

        private void Disarm()
        {
            timer?.Dispose();
            timer = null;
            armed?.Dispose();
            armed = null;
        }

        /// <summary>One armed operation; disposing it disarms the watchdog.</summary>
        internal readonly struct Scope : IDisposable
        {
            private readonly IdleWatchdog owner;

            public Scope(IdleWatchdog owner, CancellationToken token)
            {
                this.owner = owner;
                Token = token;
            }

            public CancellationToken Token { get; }

            public void Dispose()
            {
                lock (owner.gate)
                {
                    if (owner.armed != null && owner.armed.Token == Token)
                    {
                        owner.Disarm();
                    }
                }
            }
        }
    }
}
