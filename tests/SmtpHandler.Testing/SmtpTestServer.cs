using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler.Testing
{
    /// <summary>
    /// A scriptable SMTP server on a free 127.0.0.1 port, for what real servers won't do on demand. Without a script
    /// it is a plain MTA (see <see cref="SmtpTestServerOptions"/> for TLS, AUTH, a recipient limit, refusals); a
    /// script can answer anything at any command, drop the line, fall silent, send raw bytes or split a reply into
    /// packets. It records every command line (and whether it came over TLS), every session, every login and every
    /// transaction with its exact bytes, so tests count on the server's side. It stops on Dispose.
    /// </summary>
    public sealed class SmtpTestServer : IDisposable, IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly Thread acceptor;
        private readonly ConcurrentQueue<SmtpTestSession> sessions = new();
        private readonly ConcurrentQueue<CommandLine> commands = new();
        private readonly ConcurrentQueue<CompletedTransaction> delivered = new();
        private readonly ConcurrentQueue<LoginAttempt> logins = new();
        private readonly ConcurrentDictionary<string, int> seen = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentBag<TcpClient> clients = new();
        private readonly ConcurrentBag<Thread> threads = new();
        private readonly object admission = new();
        private int connections;
        private int openConnections;
        private int peakConnections;
        private int admittedSessions;
        private int peakSessions;
        private int quotaUsed;
        private volatile bool stopping;

        /// <summary>A plain server whose replies <paramref name="script"/> may replace (see <see cref="SmtpTestServerOptions.Script"/>).</summary>
        public SmtpTestServer(Func<ReceivedCommand, ServerAction?>? script = null)
            : this(new SmtpTestServerOptions { Script = script })
        {
        }

        public SmtpTestServer(SmtpTestServerOptions options)
        {
            Options = options ?? throw new ArgumentNullException(nameof(options));
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptor = new Thread(Accept) { IsBackground = true, Name = $"SmtpTestServer {Port}" };
            acceptor.Start();
        }

        public SmtpTestServerOptions Options { get; }

        public int Port { get; }

        /// <summary>Connections the server accepted.</summary>
        public int Connections => Volatile.Read(ref connections);

        /// <summary>Every connection, in the order accepted.</summary>
        public IReadOnlyList<SmtpTestSession> Sessions => sessions.ToArray();

        /// <summary>Every line received outside message data, on any connection, in order.</summary>
        public IReadOnlyList<CommandLine> Commands => commands.ToArray();

        /// <summary>Transactions the server completed, in order.</summary>
        public IReadOnlyList<CompletedTransaction> Delivered => delivered.ToArray();

        /// <summary>Every AUTH exchange that got as far as a response, in order.</summary>
        public IReadOnlyList<LoginAttempt> Logins => logins.ToArray();

        internal bool Stopping => stopping;

        /// <summary>The most sessions served at once (refused ones not counted): what a MaxConcurrentSessions limit held to.</summary>
        public int PeakSessions => Volatile.Read(ref peakSessions);

        /// <summary>The most TCP connections open at once, refused ones included.</summary>
        public int PeakConnections => Volatile.Read(ref peakConnections);

        /// <summary>Sessions refused as past MaxConcurrentSessions.</summary>
        public int RefusedSessions => Sessions.Count(s => s.RefusedAsTooMany);

        /// <summary>Recipients counted against RecipientQuota.</summary>
        public int QuotaUsed => Volatile.Read(ref quotaUsed);

        /// <summary>Admits a session under MaxConcurrentSessions; false when it would be one too many.</summary>
        internal bool TryAdmit()
        {
            lock (admission)
            {
                if (Options.MaxConcurrentSessions > 0 && admittedSessions >= Options.MaxConcurrentSessions)
                {
                    return false;
                }

                admittedSessions++;
                peakSessions = Math.Max(peakSessions, admittedSessions);
                return true;
            }
        }

        internal void Leave()
        {
            lock (admission)
            {
                admittedSessions--;
            }
        }

        /// <summary>Takes one recipient of RecipientQuota; false when it is used up.</summary>
        internal bool TryTakeQuota()
        {
            if (Interlocked.Increment(ref quotaUsed) <= Options.RecipientQuota)
            {
                return true;
            }

            Interlocked.Decrement(ref quotaUsed);
            return false;
        }

        internal bool QuotaUsedUp => Options.RecipientQuota > 0 && Volatile.Read(ref quotaUsed) >= Options.RecipientQuota;

        /// <summary>The exact XOAUTH2 initial response (before base64) a client must send for <paramref name="user"/> and <paramref name="token"/>.</summary>
        public static string XOAuth2Response(string user, string token) => "user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001";

        /// <summary>A loopback port nobody listens on (free a moment ago): for a refused connection.</summary>
        public static int FreePort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        /// <summary>How many command lines start with <paramref name="prefix"/> (e.g. "RCPT TO:&lt;ann@").</summary>
        public int CountCommands(string prefix) => Commands.Count(c => c.Line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

        /// <summary>How many completed transactions included <paramref name="address"/>.</summary>
        public int DeliveriesTo(string address) => Delivered.Count(t => t.To.Contains(address, StringComparer.OrdinalIgnoreCase));

        public void Dispose()
        {
            if (stopping)
            {
                return;
            }

            stopping = true;
            listener.Stop();
            foreach (var client in clients)
            {
                client.Dispose();
            }

            var deadline = DateTime.UtcNow.AddSeconds(10);
            foreach (var thread in threads.Append(acceptor))
            {
                var left = deadline - DateTime.UtcNow;
                thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }

        internal void Record(CommandLine line) => commands.Enqueue(line);

        internal void Record(CompletedTransaction transaction) => delivered.Enqueue(transaction);

        internal void Record(LoginAttempt login) => logins.Enqueue(login);

        /// <summary>Counts the command and asks the script what to do; null for the default.</summary>
        internal ServerAction? Ask(int connection, string verb, string argument, int accepted, int deliveredHere)
        {
            var count = seen.AddOrUpdate($"{verb} {argument}", 1, (_, n) => n + 1);
            return Options.Script?.Invoke(new ReceivedCommand(connection, verb, argument, accepted, deliveredHere, count));
        }

        private void Accept()
        {
            while (!stopping)
            {
                TcpClient client;
                try
                {
                    client = listener.AcceptTcpClient();
                }
                catch (Exception) when (stopping)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }

                clients.Add(client);
                var session = new SmtpTestSession(Interlocked.Increment(ref connections));
                sessions.Enqueue(session);
                var thread = new Thread(() => Serve(client, session)) { IsBackground = true, Name = $"SmtpTestServer {Port} #{session.Number}" };
                threads.Add(thread);
                thread.Start();
            }
        }

        private void Serve(TcpClient client, SmtpTestSession session)
        {
            var open = Interlocked.Increment(ref openConnections);
            lock (admission)
            {
                peakConnections = Math.Max(peakConnections, open);
            }

            try
            {
                using (client)
                {
                    new SmtpConversation(this, session, client).Run();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is AuthenticationException || ex is InvalidDataException)
            {
                // The client went away, the handshake failed (recorded in the session), or the test is over.
            }
            finally
            {
                Interlocked.Decrement(ref openConnections);
            }
        }
    }
}
