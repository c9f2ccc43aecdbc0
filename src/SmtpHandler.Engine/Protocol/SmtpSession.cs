using System;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// The one live connection of a send: opened lazily, reused for every message, replaced after
    /// MaxMessagesPerConnection DATA transactions or when it breaks, closed with QUIT. It also remembers
    /// what the server taught about itself (its recipient limit) for the messages that follow.
    /// </summary>
    internal sealed class SmtpSession : IDisposable
    {
        private readonly SmtpConnector connector;
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;
        private RecordingSmtpClient? client;
        private int dataOnConnection;

        public SmtpSession(SmtpConnector connector, SmtpHandlerConfig config, ISmtpLog log)
        {
            this.connector = connector;
            this.config = config;
            this.log = log;
            Watchdog = new IdleWatchdog(config.Timeout);
            Logger = new ProtocolHook(log) { Watchdog = Watchdog };
        }

        public ProtocolHook Logger { get; }

        /// <summary>How far the current transaction's message data got (see <see cref="TransactionTracker"/>).</summary>
        public TransactionTracker Transaction => Logger.Transaction;

        /// <summary>host:port of the server.</summary>
        public string Endpoint => connector.Endpoint;

        /// <summary>Keeps the Timeout for every network operation of this session (see <see cref="IdleWatchdog"/>).</summary>
        public IdleWatchdog Watchdog { get; }

        /// <summary>How many connections this session has opened; the current one's number.</summary>
        public int ConnectionNumber { get; private set; }

        /// <summary>
        /// The most recipients the server took in one transaction before answering "too many recipients";
        /// 0 while it has not said so. Later messages are split to fit it from the start.
        /// </summary>
        public int LearnedRecipientLimit { get; private set; }

        /// <summary>Remembers the server's recipient limit once it took <paramref name="accepted"/> and refused the rest as too many.</summary>
        public void LearnRecipientLimit(int accepted) => LearnedRecipientLimit = RecipientLimit.Learn(LearnedRecipientLimit, accepted);

        /// <summary>A connected, secured, logged-in client with room for one more transaction.</summary>
        public RecordingSmtpClient Ensure(CancellationToken cancellationToken)
        {
            if (client != null && client.IsConnected &&
                (config.MaxMessagesPerConnection == 0 || dataOnConnection < config.MaxMessagesPerConnection))
            {
                return client;
            }

            if (client != null && client.IsConnected)
            {
                log.Step($"{dataOnConnection} messages sent on this connection (MaxMessagesPerConnection); reconnecting");
            }

            Close();
            var fresh = connector.CreateClient(Logger);
            try
            {
                connector.Connect(fresh, cancellationToken);
                connector.Authenticate(fresh, cancellationToken);
            }
            catch (Exception ex)
            {
                Quietly(() => fresh.Disconnect(false));
                fresh.Dispose();
                if (ex is SmtpHandlerException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    throw;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    // Stopped by the caller while logging in, seen as the socket closing under a blocked read.
                    throw new OperationCanceledException("The connection was cancelled.", ex, cancellationToken);
                }

                if (Watchdog.Fired)
                {
                    throw new SmtpHandlerException("ConnectionTimedOut", SmtpFailureKind.Timeout, $"{connector.Endpoint} stopped answering while the session was set up: no complete reply within {config.Timeout.TotalSeconds:0.#} s.", connector.Endpoint, ex)
                    {
                        Transient = true,
                    };
                }

                if (ConnectionLoss.Means(ex))
                {
                    // The line broke while logging in: worth another connection, like a refused connect.
                    throw new SmtpHandlerException("ConnectionFailed", SmtpFailureKind.ConnectionFailed, $"The connection to {connector.Endpoint} failed while setting up the session: {ex.Message}", connector.Endpoint, ex)
                    {
                        Transient = true,
                    };
                }

                // A surprise: reported for every recipient rather than thrown past them.
                throw new SmtpHandlerException("SessionSetupFailed", SmtpFailureKind.ProtocolError, $"Setting up the session with {connector.Endpoint} failed: {ex.Message}", connector.Endpoint, ex);
            }

            client = fresh;
            dataOnConnection = 0;
            ConnectionNumber++;
            return client;
        }

        /// <summary>Counts one DATA transaction (the server answered 354) toward MaxMessagesPerConnection.</summary>
        public void CountData() => dataOnConnection++;

        /// <summary>Forgets a broken connection without QUIT.</summary>
        public void Drop()
        {
            if (client == null)
            {
                return;
            }

            Quietly(() => client.Disconnect(false));
            client.Dispose();
            client = null;
        }

        /// <summary>Ends the connection politely with QUIT.</summary>
        public void Close()
        {
            if (client == null)
            {
                return;
            }

            if (client.IsConnected)
            {
                log.Step($"Closing the connection to {connector.Endpoint}");
                Quietly(() => client.Disconnect(true));
            }

            client.Dispose();
            client = null;
        }

        public void Dispose()
        {
            Close();
            Watchdog.Dispose();
        }

        private static void Quietly(Action action)
        {
            try
            {
                action();
            }
            catch (Exception)
            {
                // The connection is being abandoned; what it says now changes nothing.
            }
        }
    }
}
