using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Keeps the configured Timeout when MailKit is given a token that can be cancelled (the cmdlets' Ctrl+C):
    /// MailKit then waits on the socket in a loop that checks only the token, never its Timeout, so a server that
    /// stops answering would hold the send forever. While armed, the watchdog cancels the token it handed out once
    /// there has been no progress for longer than the timeout. Progress is a command or data going out, or a reply
    /// coming in whole (the protocol logger reports both): a server's bytes alone are not, so a reply dripped a byte
    /// at a time still has to end within the timeout, while an upload is held only to its bytes flowing.
    /// When the token is cancelled, the attached socket is closed too: a blocked TLS handshake (and a read inside a
    /// TLS record) waits on the socket without looking at any token, and only that ends it at once.
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
        private Socket? attached;

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

                    // Once per source, not per operation: sources live as long as the user's token, or until they fire.
                    source.Token.Register(CloseAttached);
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

        /// <summary>Progress (a command or data went out, a reply came in whole, a connection or handshake ended): the deadline starts again.</summary>
        public void Touch() => Interlocked.Exchange(ref lastActivity, Stopwatch.GetTimestamp());

        /// <summary>The socket of the current connection, closed when an operation's token is cancelled.</summary>
        public void Attach(Socket socket) => Volatile.Write(ref attached, socket);

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

        private void CloseAttached()
        {
            // The connection is abandoned either way (the caller stops, or the session drops it): closing it wakes
            // whatever is blocked on it.
            Volatile.Read(ref attached)?.Dispose();
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
