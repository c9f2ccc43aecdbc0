using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler.Tests
{
    /// <summary>One command as the faulty server received it, with where it stands in the session.</summary>
    /// <param name="Connection">1 for the first connection the server accepted, 2 for the next...</param>
    /// <param name="Verb">CONNECT (before the greeting), EHLO, HELO, MAIL, RCPT, DATA, "." (end of data), RSET, NOOP, QUIT.</param>
    /// <param name="Argument">The rest of the line: the address for MAIL and RCPT (without angle brackets).</param>
    /// <param name="AcceptedRecipients">Recipients accepted so far in the open transaction.</param>
    /// <param name="DeliveredOnConnection">Transactions completed (250 after the data) on this connection so far.</param>
    /// <param name="Seen">How often this verb with this argument has been received, this one included (1 the first time).</param>
    public sealed record ReceivedCommand(int Connection, string Verb, string Argument, int AcceptedRecipients, int DeliveredOnConnection, int Seen);

    /// <summary>A transaction the server completed: it answered 250 to the data (or kept it and then dropped the line).</summary>
    public sealed record CompletedTransaction(int Connection, string From, IReadOnlyList<string> To, string Data);

    /// <summary>What the server does in place of its default reply to a command.</summary>
    public sealed class ServerAction
    {
        private ServerAction(string? reply, bool drop, bool keep)
        {
            ReplyText = reply;
            DropsConnection = drop;
            KeepsMessage = keep;
        }

        /// <summary>Close the connection at once, without a reply; a message being received is discarded.</summary>
        public static ServerAction Drop { get; } = new(null, true, false);

        /// <summary>At ".": keep the message (it counts as delivered), then close the connection without a reply.</summary>
        public static ServerAction KeepAndDrop { get; } = new(null, true, true);

        public string? ReplyText { get; }

        public bool DropsConnection { get; }

        public bool KeepsMessage { get; }

        /// <summary>Answer with this reply (one line, or several separated by CRLF, without the final CRLF).</summary>
        public static ServerAction Reply(string reply) => new(reply, false, false);
    }

    /// <summary>
    /// A small SMTP server on a free loopback port whose every reply a test can script: 4xx or 5xx at any
    /// command, a dropped connection at any point, a message kept but its reply never sent. Without a script
    /// it behaves like a plain MTA (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES; optionally a recipient limit
    /// answered with "452 4.5.3 Error: too many recipients"). It records every command line and every
    /// transaction it completed, so tests count on the server side.
    /// </summary>
    public sealed class FaultySmtpServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly Func<ReceivedCommand, ServerAction?> script;
        private readonly int recipientLimit;
        private readonly ConcurrentQueue<CompletedTransaction> delivered = new();
        private readonly ConcurrentQueue<(int Connection, string Line)> commands = new();
        private readonly ConcurrentDictionary<string, int> seen = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentBag<TcpClient> clients = new();
        private readonly List<Task> sessions = new();
        private readonly Task accepting;
        private int connections;
        private volatile bool stopping;

        public FaultySmtpServer(Func<ReceivedCommand, ServerAction?>? script = null, int recipientLimit = 0)
        {
            this.script = script ?? (_ => null);
            this.recipientLimit = recipientLimit;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            accepting = Task.Run(AcceptLoop);
        }

        public int Port { get; }

        /// <summary>Connections the server accepted.</summary>
        public int Connections => Volatile.Read(ref connections);

        /// <summary>Transactions the server completed, in order.</summary>
        public IReadOnlyList<CompletedTransaction> Delivered => delivered.ToArray();

        /// <summary>Every command line received (message data excluded), with its connection number.</summary>
        public IReadOnlyList<(int Connection, string Line)> Commands => commands.ToArray();

        /// <summary>How many command lines start with <paramref name="prefix"/> (e.g. "RCPT TO:&lt;ann@").</summary>
        public int CountCommands(string prefix) => Commands.Count(c => c.Line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

        /// <summary>How many completed transactions included <paramref name="address"/>.</summary>
        public int DeliveriesTo(string address) => Delivered.Count(t => t.To.Contains(address, StringComparer.OrdinalIgnoreCase));

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            foreach (var client in clients)
            {
                client.Dispose();
            }

            Task[] running;
            lock (sessions)
            {
                running = sessions.ToArray();
            }

            Task.WaitAll(running.Append(accepting).ToArray(), TimeSpan.FromSeconds(10));
        }

        private async Task AcceptLoop()
        {
            while (!stopping)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
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
                var number = Interlocked.Increment(ref connections);
                lock (sessions)
                {
                    sessions.Add(Task.Run(() => Serve(client, number)));
                }
            }
        }

        private void Serve(TcpClient client, int connection)
        {
            try
            {
                using (client)
                {
                    var session = new Session(this, client.GetStream(), connection);
                    session.Run();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException)
            {
                // The client went away, or the test is over.
            }
        }

        private ServerAction? Ask(int connection, string verb, string argument, int accepted, int deliveredHere)
        {
            var count = seen.AddOrUpdate($"{verb} {argument}", 1, (_, n) => n + 1);
            return script(new ReceivedCommand(connection, verb, argument, accepted, deliveredHere, count));
        }

        private sealed class Session
        {
            private readonly FaultySmtpServer server;
            private readonly NetworkStream stream;
            private readonly int connection;
            private readonly byte[] buffer = new byte[8192];
            private readonly List<string> recipients = new();
            private int start;
            private int end;
            private string? from;
            private int deliveredHere;

            public Session(FaultySmtpServer server, NetworkStream stream, int connection)
            {
                this.server = server;
                this.stream = stream;
                this.connection = connection;
            }

            public void Run()
            {
                if (!Respond(server.Ask(connection, "CONNECT", string.Empty, 0, 0), "220 faulty.test ESMTP ready"))
                {
                    return;
                }

                while (ReadLine() is string line)
                {
                    server.commands.Enqueue((connection, line));
                    var space = line.IndexOf(' ');
                    var verb = (space < 0 ? line : line.Substring(0, space)).ToUpperInvariant();
                    var argument = space < 0 ? string.Empty : line.Substring(space + 1);
                    if (!Handle(verb, argument))
                    {
                        return;
                    }
                }
            }

            // Returns false when the connection is to end.
            private bool Handle(string verb, string argument)
            {
                switch (verb)
                {
                    case "EHLO":
                        return Respond(Ask(verb, argument), "250-faulty.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES");
                    case "HELO":
                        return Respond(Ask(verb, argument), "250 faulty.test");
                    case "MAIL":
                    {
                        var address = Address(argument);
                        var action = Ask(verb, address);
                        if (from != null)
                        {
                            return Respond(action, "503 5.5.1 Error: nested MAIL command");
                        }

                        var reply = action?.ReplyText ?? "250 2.1.0 Ok";
                        if (reply.StartsWith("2", StringComparison.Ordinal) && action?.DropsConnection != true)
                        {
                            from = address;
                        }

                        return Respond(action, reply);
                    }

                    case "RCPT":
                    {
                        var address = Address(argument);
                        var action = Ask(verb, address);
                        string reply;
                        if (from == null)
                        {
                            reply = "503 5.5.1 Error: need MAIL command";
                        }
                        else if (action?.ReplyText != null)
                        {
                            reply = action.ReplyText;
                        }
                        else if (server.recipientLimit > 0 && recipients.Count >= server.recipientLimit)
                        {
                            reply = "452 4.5.3 Error: too many recipients";
                        }
                        else
                        {
                            reply = "250 2.1.5 Ok";
                        }

                        if (from != null && reply.StartsWith("2", StringComparison.Ordinal) && action?.DropsConnection != true)
                        {
                            recipients.Add(address);
                        }

                        return Respond(action, reply);
                    }

                    case "DATA":
                    {
                        var action = Ask(verb, string.Empty);
                        var reply = recipients.Count == 0 ? "554 5.5.1 Error: no valid recipients" : action?.ReplyText ?? "354 End data with <CR><LF>.<CR><LF>";
                        if (!Respond(action, reply))
                        {
                            return false;
                        }

                        return !reply.StartsWith("354", StringComparison.Ordinal) || ReceiveData();
                    }

                    case "RSET":
                        Reset();
                        return Respond(Ask(verb, string.Empty), "250 2.0.0 Ok");
                    case "NOOP":
                        return Respond(Ask(verb, string.Empty), "250 2.0.0 Ok");
                    case "QUIT":
                        Respond(Ask(verb, string.Empty), "221 2.0.0 Bye");
                        return false;
                    default:
                        return Respond(Ask(verb, argument), "502 5.5.2 Error: command not recognized");
                }
            }

            private bool ReceiveData()
            {
                var data = new StringBuilder();
                while (true)
                {
                    var line = ReadLine();
                    if (line == null)
                    {
                        return false;
                    }

                    if (line == ".")
                    {
                        break;
                    }

                    data.Append(line.StartsWith(".", StringComparison.Ordinal) ? line.Substring(1) : line).Append("\r\n");
                }

                var transaction = new CompletedTransaction(connection, from!, recipients.ToList(), data.ToString());
                var action = Ask(".", string.Empty);
                var reply = action?.ReplyText ?? $"250 2.0.0 Ok: queued as {server.delivered.Count + 1}";
                if (action?.KeepsMessage == true || (action?.DropsConnection != true && reply.StartsWith("2", StringComparison.Ordinal)))
                {
                    server.delivered.Enqueue(transaction);
                    deliveredHere++;
                }

                Reset();
                return Respond(action, reply);
            }

            private ServerAction? Ask(string verb, string argument) => server.Ask(connection, verb, argument, recipients.Count, deliveredHere);

            private bool Respond(ServerAction? action, string reply)
            {
                if (action?.DropsConnection == true)
                {
                    stream.Socket.Close();
                    return false;
                }

                var bytes = Encoding.ASCII.GetBytes(reply + "\r\n");
                stream.Write(bytes, 0, bytes.Length);
                if (reply.StartsWith("421", StringComparison.Ordinal))
                {
                    stream.Socket.Close();
                    return false;
                }

                return true;
            }

            private void Reset()
            {
                from = null;
                recipients.Clear();
            }

            private static string Address(string argument)
            {
                var open = argument.IndexOf('<');
                var close = argument.IndexOf('>');
                return open >= 0 && close > open ? argument.Substring(open + 1, close - open - 1) : argument;
            }

            /// <summary>The next line without its CRLF (a bare LF ends a line too); null at the end of the stream.</summary>
            private string? ReadLine()
            {
                var line = new List<byte>();
                while (true)
                {
                    if (start == end)
                    {
                        start = 0;
                        end = stream.Read(buffer, 0, buffer.Length);
                        if (end == 0)
                        {
                            return null;
                        }
                    }

                    var b = buffer[start++];
                    if (b == '\n')
                    {
                        if (line.Count > 0 && line[line.Count - 1] == '\r')
                        {
                            line.RemoveAt(line.Count - 1);
                        }

                        return Encoding.UTF8.GetString(line.ToArray());
                    }

                    line.Add(b);
                }
            }
        }
    }
}
