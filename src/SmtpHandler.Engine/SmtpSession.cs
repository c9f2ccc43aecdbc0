using System;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// The one live connection of a send: opened lazily, reused for every message, replaced after
    /// MaxMessagesPerConnection DATA transactions or when it breaks, closed with QUIT.
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
            Logger = new RedactingProtocolLogger(log);
        }

        public RedactingProtocolLogger Logger { get; }

        /// <summary>How many connections this session has opened; the current one's number.</summary>
        public int ConnectionNumber { get; private set; }

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
            catch
            {
                Quietly(() => fresh.Disconnect(false));
                fresh.Dispose();
                throw;
            }

            client = fresh;
            dataOnConnection = 0;
            ConnectionNumber++;
            return client;
        }

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

        public void Dispose() => Close();

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
