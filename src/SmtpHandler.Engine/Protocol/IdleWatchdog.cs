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
    internal sealed class IdleWatchdog : IDisposable
    {
        private readonly object gate = new();
        private readonly long timeoutTicks;
        private readonly int period;

        // One source and one timer serve every operation of a session: a new timer and linked source per network
        // operation were a cost paid per message. The source is replaced only once it has been cancelled, or
        // when an operation comes with another user token.
        private CancellationTokenSource? source;
        private CancellationToken linkedTo;
        private Timer? timer;
        private bool armed;
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
                Fired = false;
                if (source == null || source.IsCancellationRequested || linkedTo != user)
                {
                    source?.Dispose();
                    source = CancellationTokenSource.CreateLinkedTokenSource(user);
                    linkedTo = user;
                }

                Touch();
                armed = true;
                timer ??= new Timer(Check, null, period, period);
                return new Scope(this, source.Token);
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

        /// <summary>Stops the timer; the session is over.</summary>
        public void Dispose()
        {
            lock (gate)
            {
                armed = false;
                timer?.Dispose();
                timer = null;
                source?.Dispose();
                source = null;
            }
        }

        private void Check(object? state)
        {
            lock (gate)
            {
                if (!armed || source == null || source.IsCancellationRequested || Stopwatch.GetTimestamp() - Interlocked.Read(ref lastActivity) <= timeoutTicks)
                {
                    return;
                }

                Fired = true;
                try
                {
                    source.Cancel();
                }
                catch (AggregateException)
                {
                    // A callback registered on the token failed; the cancellation itself happened.
                }
            }
        }

        /// <summary>One armed operation; disposing it disarms the watchdog (the timer runs on, idle, until Dispose).</summary>
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
                    if (owner.source != null && owner.source.Token == Token)
                    {
                        owner.armed = false;
                    }
                }
            }
        }
    }
}
