using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler.Tests
{
    /// <summary>One command as the faulty server received it, with where it stands in the session.</summary>
    /// <param name="Connection">1 for the first connection the server accepted, 2 for the next...</param>
    /// <param name="Verb">CONNECT (before the greeting), EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA, "." (end of data), RSET, NOOP, QUIT.</param>
    /// <param name="Argument">The rest of the line: the address for MAIL and RCPT (without angle brackets).</param>
    /// <param name="AcceptedRecipients">Recipients accepted so far in the open transaction.</param>
    /// <param name="DeliveredOnConnection">Transactions completed (250 after the data) on this connection so far.</param>
    /// <param name="Seen">How often this verb with this argument has been received, this one included (1 the first time).</param>
    public sealed record ReceivedCommand(int Connection, string Verb, string Argument, int AcceptedRecipients, int DeliveredOnConnection, int Seen);

    /// <summary>A transaction the server completed: it answered 250 to the data (or kept it and then dropped the line).</summary>
    /// <param name="Data">The message as the server reads it: lines joined with CRLF, dot-stuffing removed.</param>
    /// <param name="RawData">The exact bytes received after the 354 reply, up to and including the line "." that ended them.</param>
    public sealed record CompletedTransaction(int Connection, string From, IReadOnlyList<string> To, string Data, byte[] RawData);

    /// <summary>One command line as received, and whether the connection was encrypted (after STARTTLS) at the time.</summary>
    public sealed record TranscriptLine(int Connection, string Line, bool Encrypted);

    /// <summary>What the server does in place of its default reply to a command.</summary>
    public sealed class ServerAction
    {
        private ServerAction(string? reply, bool drop, bool keep)
        {
            ReplyText = reply;
            DropsConnection = drop;
            KeepsMessage = keep;
        }

        private ServerAction(byte[][] chunks, TimeSpan gap)
            : this(null, false, false)
        {
            Chunks = chunks;
            Gap = gap;
        }

        /// <summary>Close the connection at once, without a reply; a message being received is discarded.</summary>
        public static ServerAction Drop { get; } = new(null, true, false);

        /// <summary>At ".": keep the message (it counts as delivered), then close the connection without a reply.</summary>
        public static ServerAction KeepAndDrop { get; } = new(null, true, true);

        /// <summary>Say nothing more and read nothing more: the connection stays open until the client gives up (a hung server).</summary>
        public static ServerAction Silence { get; } = new(null, false, false) { Silent = true };

        public string? ReplyText { get; }

        public bool DropsConnection { get; }

        public bool KeepsMessage { get; }

        public bool Silent { get; private init; }

        /// <summary>Bytes to write as they are (no CRLF added), each chunk as a write of its own.</summary>
        public byte[][]? Chunks { get; }

        /// <summary>The pause between two chunks, so that each arrives in a packet of its own.</summary>
        public TimeSpan Gap { get; }

        /// <summary>At DATA: answer 354, read this many bytes of the message, then close the connection.</summary>
        public int? DropAfterDataBytes { get; private init; }

        /// <summary>At STARTTLS: send <see cref="ReplyText"/> (with anything injected after it, in the same write), then start TLS.</summary>
        public bool StartsTls { get; private init; }

        /// <summary>Answer with this reply (one line, or several separated by CRLF, without the final CRLF).</summary>
        public static ServerAction Reply(string reply) => new(reply, false, false);

        /// <summary>Write exactly these bytes (text as UTF-8, no CRLF added): garbage, over-long lines, replies without an end.</summary>
        public static ServerAction Raw(string text) => new(new[] { Encoding.UTF8.GetBytes(text) }, TimeSpan.Zero);

        /// <summary>Write these pieces one after the other, <paramref name="gap"/> apart: a reply split across packets.</summary>
        public static ServerAction Packets(TimeSpan gap, params string[] pieces) => new(pieces.Select(p => Encoding.UTF8.GetBytes(p)).ToArray(), gap);

        /// <summary>At DATA: take <paramref name="bytes"/> bytes of the message, then close the line while the client is still writing.</summary>
        public static ServerAction DropMidData(int bytes) => new(null, false, false) { DropAfterDataBytes = bytes };

        /// <summary>At STARTTLS: write <paramref name="reply"/> and CRLF in one write (extra lines in it are injected), then start TLS.</summary>
        public static ServerAction StartTlsWith(string reply) => new(reply, false, false) { StartsTls = true };
    }

    /// <summary>
    /// A small SMTP server on a free loopback port whose every reply a test can script: 4xx or 5xx at any
    /// command, a dropped connection at any point, a message kept but its reply never sent, silence, garbage,
    /// replies split across packets, lines injected after the reply to STARTTLS. Without a script it behaves
    /// like a plain MTA (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES; STARTTLS when given a certificate; AUTH
    /// that takes any login when given mechanisms; optionally a recipient limit answered with "452 4.5.3 Error:
    /// too many recipients"). It records every command line (and whether it came encrypted), every transaction
    /// it completed and the exact bytes of each message's data, so tests count on the server side. Like a lenient
    /// MTA it also ends a line at a bare LF, so a client that sent "LF . LF" would be seen ending its data early.
    /// </summary>
    public sealed class FaultySmtpServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly Func<ReceivedCommand, ServerAction?> script;
        private readonly int recipientLimit;
        private readonly ConcurrentQueue<CompletedTransaction> delivered = new();
        private readonly ConcurrentQueue<(int Connection, string Line)> commands = new();
        private readonly ConcurrentQueue<TranscriptLine> transcript = new();
        private readonly X509Certificate2? certificate;
        private readonly string[] extensions;
        private readonly ConcurrentDictionary<string, int> seen = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentBag<TcpClient> clients = new();
        private readonly List<Task> sessions = new();
        private readonly Task accepting;
        private int connections;
        private volatile bool stopping;

        /// <param name="script">The action for a command, or null for the default reply.</param>
        /// <param name="recipientLimit">When above 0, recipients beyond it in one transaction get 452 4.5.3.</param>
        /// <param name="certificate">When given, EHLO offers STARTTLS on a plain connection and STARTTLS starts TLS with it.</param>
        /// <param name="extensions">More EHLO lines, e.g. "AUTH PLAIN LOGIN" (any login is then taken), "SIZE 1000", "DSN".</param>
        public FaultySmtpServer(Func<ReceivedCommand, ServerAction?>? script = null, int recipientLimit = 0, X509Certificate2? certificate = null, params string[] extensions)
        {
            this.script = script ?? (_ => null);
            this.recipientLimit = recipientLimit;
            this.certificate = certificate;
            this.extensions = extensions ?? Array.Empty<string>();
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

        /// <summary>Every command line received (message data excluded), and whether it came over TLS.</summary>
        public IReadOnlyList<TranscriptLine> Transcript => transcript.ToArray();

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
                    var session = new Session(this, client.GetStream(), client.Client, connection);
                    session.Run();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is AuthenticationException)
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
            private readonly Socket socket;
            private readonly int connection;
            private readonly byte[] buffer = new byte[8192];
            private readonly List<string> recipients = new();
            private Stream stream;
            private MemoryStream? capture;
            private bool encrypted;
            private int start;
            private int end;
            private string? from;
            private int deliveredHere;

            public Session(FaultySmtpServer server, Stream stream, Socket socket, int connection)
            {
                this.server = server;
                this.stream = stream;
                this.socket = socket;
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
                    server.transcript.Enqueue(new TranscriptLine(connection, line, encrypted));
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
                    {
                        var lines = new List<string> { "faulty.test", "PIPELINING", "8BITMIME" };
                        if (server.certificate != null && !encrypted)
                        {
                            lines.Add("STARTTLS");
                        }

                        lines.AddRange(server.extensions);
                        lines.Add("ENHANCEDSTATUSCODES");
                        return Respond(Ask(verb, argument), string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l)));
                    }

                    case "STARTTLS":
                    {
                        var action = Ask(verb, string.Empty);
                        if (server.certificate == null || encrypted || (action != null && !action.StartsTls))
                        {
                            return Respond(action, "502 5.5.1 Error: command not implemented");
                        }

                        Send(Encoding.ASCII.GetBytes((action?.ReplyText ?? "220 2.0.0 Ready to start TLS") + "\r\n"));
                        var tls = new SslStream(stream, false);
                        tls.AuthenticateAsServer(server.certificate, false, SslProtocols.Tls12 | SslProtocols.Tls13, false);
                        stream = tls;
                        encrypted = true;

                        // A conforming server forgets anything sent before the handshake, and the EHLO state.
                        start = end = 0;
                        Reset();
                        return true;
                    }

                    case "AUTH":
                    {
                        var action = Ask(verb, argument.Split(' ')[0].ToUpperInvariant());
                        if (action == null && argument.StartsWith("LOGIN", StringComparison.OrdinalIgnoreCase))
                        {
                            // Two challenges (user name, password); their answers are recorded like commands.
                            foreach (var challenge in new[] { "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6" })
                            {
                                if (argument.IndexOf(' ') > 0 && challenge.EndsWith("U6", StringComparison.Ordinal))
                                {
                                    continue;
                                }

                                Send(Encoding.ASCII.GetBytes(challenge + "\r\n"));
                                var answer = ReadLine();
                                if (answer == null)
                                {
                                    return false;
                                }

                                server.commands.Enqueue((connection, answer));
                                server.transcript.Enqueue(new TranscriptLine(connection, answer, encrypted));
                            }
                        }

                        return Respond(action, "235 2.7.0 Authentication successful");
                    }
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
                        if (action?.DropAfterDataBytes is int take && recipients.Count > 0)
                        {
                            Send(Encoding.ASCII.GetBytes(reply + "\r\n"));
                            for (var taken = 0; taken < take; taken++)
                            {
                                if (start == end && !Fill())
                                {
                                    return false;
                                }

                                start++;
                            }

                            // Stop reading long enough for the client's buffers to fill, so that it is still
                            // writing when the line goes.
                            Thread.Sleep(300);
                            socket.Close();
                            return false;
                        }

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
                capture = new MemoryStream();
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

                var raw = capture.ToArray();
                capture = null;
                var transaction = new CompletedTransaction(connection, from!, recipients.ToList(), data.ToString(), raw);
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
                    socket.Close();
                    return false;
                }

                if (action?.Silent == true)
                {
                    // Hung: neither answer nor read, until the client closes the line or the test ends.
                    var discard = new byte[8192];
                    while (!server.stopping)
                    {
                        if (socket.Poll(100_000, SelectMode.SelectRead))
                        {
                            if (socket.Available == 0)
                            {
                                break;
                            }

                            socket.Receive(discard);
                        }
                    }

                    return false;
                }

                if (action?.Chunks is byte[][] chunks)
                {
                    for (var i = 0; i < chunks.Length; i++)
                    {
                        if (i > 0 && action.Gap > TimeSpan.Zero)
                        {
                            Thread.Sleep(action.Gap);
                        }

                        Send(chunks[i]);
                    }

                    return true;
                }

                // The script's reply wins over the default (at CONNECT, EHLO and the others too).
                reply = action?.ReplyText ?? reply;
                Send(Encoding.UTF8.GetBytes(reply + "\r\n"));
                if (reply.StartsWith("421", StringComparison.Ordinal))
                {
                    socket.Close();
                    return false;
                }

                return true;
            }

            private void Send(byte[] bytes)
            {
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }

            private bool Fill()
            {
                start = 0;
                end = stream.Read(buffer, 0, buffer.Length);
                return end > 0;
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
                    if (start == end && !Fill())
                    {
                        return null;
                    }

                    var b = buffer[start++];
                    capture?.WriteByte(b);
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
