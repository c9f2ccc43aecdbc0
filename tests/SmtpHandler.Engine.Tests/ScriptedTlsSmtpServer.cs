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
    /// <summary>What a <see cref="ScriptedTlsSmtpServer"/> does; every setting optional.</summary>
    public sealed class ScriptedTlsSmtpServerOptions
    {
        /// <summary>The server certificate (with its key). Needed for implicit TLS and to offer STARTTLS.</summary>
        public X509Certificate2? Certificate { get; init; }

        /// <summary>TLS from the first byte (as on port 465) instead of a plain greeting.</summary>
        public bool ImplicitTls { get; init; }

        /// <summary>Whether EHLO offers STARTTLS on a plain connection (only with a certificate).</summary>
        public bool OfferStartTls { get; init; } = true;

        /// <summary>Demand a client certificate in the TLS handshake; a client without one fails it.</summary>
        public bool RequireClientCertificate { get; init; }

        /// <summary>The TLS versions the server allows; the system's choice when null.</summary>
        public SslProtocols? TlsProtocols { get; init; }

        /// <summary>When set, a client certificate must chain to this CA.</summary>
        public X509Certificate2? ClientCertificateAuthority { get; init; }

        /// <summary>User name to password. When not empty, EHLO offers AUTH PLAIN LOGIN.</summary>
        public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

        /// <summary>Whether AUTH is offered (and accepted) before TLS, as some servers do.</summary>
        public bool OfferAuthInPlaintext { get; init; } = true;

        /// <summary>
        /// A hook for fault injection, called for every command line before the server acts on it. Return
        /// null to go on as usual, a reply line (or several, CRLF-separated) to send instead, or
        /// <see cref="ScriptedTlsSmtpServer.Drop"/> to close the connection without a word.
        /// </summary>
        public Func<ScriptedTlsSession, string, string?>? OnCommand { get; init; }

        public string ServerName { get; init; } = "scripted.test";
    }

    /// <summary>One connection as the server saw it.</summary>
    public sealed class ScriptedTlsSession
    {
        internal ScriptedTlsSession(int number) => Number = number;

        public int Number { get; }

        /// <summary>Every command line received, in order; AUTH as "AUTH MECHANISM" only, its secrets never kept.</summary>
        public ConcurrentQueue<string> Commands { get; } = new();

        public bool Encrypted { get; internal set; }

        public SslProtocols? TlsProtocol { get; internal set; }

        /// <summary>The certificate the client presented, if any.</summary>
        public X509Certificate2? ClientCertificate { get; internal set; }

        /// <summary>Why the TLS handshake failed on the server's side, if it did.</summary>
        public string? TlsFailure { get; internal set; }

        public string? AuthenticatedUser { get; internal set; }

        public IEnumerable<string> Verbs => Commands.Select(c => c.Split(' ', ':')[0].ToUpperInvariant());
    }

    /// <summary>
    /// A small SMTP server written for tests, on a free loopback port: greeting, EHLO/HELO, STARTTLS, AUTH
    /// PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; implicit TLS; a required client certificate; a
    /// record of every command; and a hook (<see cref="ScriptedTlsSmtpServerOptions.OnCommand"/>) to answer or
    /// drop at any point. For what real servers won't do on demand.
    /// </summary>
    public sealed class ScriptedTlsSmtpServer : IAsyncDisposable
    {
        /// <summary>Returned by <see cref="ScriptedTlsSmtpServerOptions.OnCommand"/> to close the connection.</summary>
        public const string Drop = "\u0000drop";

        private readonly ScriptedTlsSmtpServerOptions options;
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new();
        private readonly Task accepting;
        private readonly ConcurrentBag<Task> connections = new();
        private int sessionCount;

        public ScriptedTlsSmtpServer(ScriptedTlsSmtpServerOptions? options = null)
        {
            this.options = options ?? new ScriptedTlsSmtpServerOptions();
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            accepting = AcceptAsync();
        }

        public int Port { get; }

        public ConcurrentQueue<ScriptedTlsSession> Sessions { get; } = new();

        /// <summary>Transactions whose DATA was accepted.</summary>
        public ConcurrentQueue<ReceivedTransaction> Transactions { get; } = new();

        /// <summary>Every command of every session, in session order.</summary>
        public IEnumerable<string> AllCommands => Sessions.SelectMany(s => s.Commands);

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            listener.Stop();
            try
            {
                await accepting.WaitAsync(TimeSpan.FromSeconds(5));
                await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // Stopping: whatever a connection was doing no longer matters.
            }

            stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient tcp;
                try
                {
                    tcp = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                var session = new ScriptedTlsSession(Interlocked.Increment(ref sessionCount));
                Sessions.Enqueue(session);
                connections.Add(Task.Run(() => ServeAsync(tcp, session)));
            }
        }

        private async Task ServeAsync(TcpClient tcp, ScriptedTlsSession session)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var token = timeout.Token;
            using (tcp)
            {
                try
                {
                    Stream stream = tcp.GetStream();
                    if (options.ImplicitTls)
                    {
                        stream = await SecureAsync(stream, session, token);
                    }

                    await new Conversation(this, session, stream, token).RunAsync();
                }
                catch (Exception ex) when (ex is IOException || ex is AuthenticationException || ex is OperationCanceledException || ex is SocketException || ex is ObjectDisposedException)
                {
                    // The client went away or the handshake failed (recorded in the session).
                }
            }
        }

        private async Task<Stream> SecureAsync(Stream inner, ScriptedTlsSession session, CancellationToken token)
        {
            var ssl = new SslStream(inner, false);
            var authentication = new SslServerAuthenticationOptions
            {
                ServerCertificate = options.Certificate ?? throw new InvalidOperationException("TLS needs ScriptedTlsSmtpServerOptions.Certificate."),
                ClientCertificateRequired = options.RequireClientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => CheckClient(session, certificate),
            };
            if (options.TlsProtocols is { } protocols)
            {
                authentication.EnabledSslProtocols = protocols;
            }

            try
            {
                await ssl.AuthenticateAsServerAsync(authentication, token);
            }
            catch (Exception ex)
            {
                session.TlsFailure ??= ex.Message;
                await ssl.DisposeAsync();
                throw;
            }

            session.Encrypted = true;
            session.TlsProtocol = ssl.SslProtocol;
            return ssl;
        }

        private bool CheckClient(ScriptedTlsSession session, X509Certificate? certificate)
        {
            if (certificate == null)
            {
                if (options.RequireClientCertificate)
                {
                    session.TlsFailure = "the client sent no certificate";
                    return false;
                }

                return true;
            }

            var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            session.ClientCertificate = presented;
            if (options.ClientCertificateAuthority == null)
            {
                return true;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(options.ClientCertificateAuthority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(presented))
            {
                session.TlsFailure = "the client certificate does not chain to the expected CA";
                return false;
            }

            return true;
        }

        /// <summary>Reads CRLF-terminated lines from one stream; replaced (buffer dropped) when TLS starts.</summary>
        private sealed class LineReader
        {
            private readonly Stream stream;
            private readonly byte[] buffer = new byte[8192];
            private int start;
            private int end;

            public LineReader(Stream stream) => this.stream = stream;

            public async Task<string?> ReadLineAsync(CancellationToken token)
            {
                var line = new List<byte>();
                while (true)
                {
                    if (start == end)
                    {
                        start = 0;
                        end = await stream.ReadAsync(buffer, token);
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

        /// <summary>One SMTP conversation: the state of a session between its greeting and QUIT.</summary>
        private sealed class Conversation
        {
            private readonly ScriptedTlsSmtpServer server;
            private readonly ScriptedTlsSession session;
            private readonly CancellationToken token;
            private Stream stream;
            private LineReader reader;
            private string? from;
            private List<string> to = new();

            public Conversation(ScriptedTlsSmtpServer server, ScriptedTlsSession session, Stream stream, CancellationToken token)
            {
                this.server = server;
                this.session = session;
                this.stream = stream;
                this.token = token;
                reader = new LineReader(stream);
            }

            private ScriptedTlsSmtpServerOptions Options => server.options;

            private bool CanStartTls => Options.Certificate != null && Options.OfferStartTls && !session.Encrypted;

            private bool OffersAuth => Options.Users.Count > 0 && (session.Encrypted || Options.OfferAuthInPlaintext);

            public async Task RunAsync()
            {
                await ReplyAsync($"220 {Options.ServerName} ESMTP scripted test server");
                while (true)
                {
                    var line = await reader.ReadLineAsync(token);
                    if (line == null)
                    {
                        return;
                    }

                    var space = line.IndexOf(' ');
                    var verb = (space < 0 ? line : line.Substring(0, space)).ToUpperInvariant();
                    var argument = space < 0 ? string.Empty : line.Substring(space + 1).Trim();
                    session.Commands.Enqueue(verb == "AUTH" ? $"AUTH {argument.Split(' ')[0].ToUpperInvariant()}" : line);

                    var injected = Options.OnCommand?.Invoke(session, line);
                    if (injected == Drop)
                    {
                        return;
                    }

                    if (injected != null)
                    {
                        await ReplyAsync(injected);
                        continue;
                    }

                    if (!await HandleAsync(verb, argument))
                    {
                        return;
                    }
                }
            }

            /// <summary>Acts on one command; false ends the conversation.</summary>
            private async Task<bool> HandleAsync(string verb, string argument)
            {
                switch (verb)
                {
                    case "EHLO":
                        var lines = new List<string> { Options.ServerName, "8BITMIME", "ENHANCEDSTATUSCODES" };
                        if (CanStartTls)
                        {
                            lines.Add("STARTTLS");
                        }

                        if (OffersAuth)
                        {
                            lines.Add("AUTH PLAIN LOGIN");
                        }

                        lines.Add("HELP");
                        await ReplyAsync(string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l)));
                        return true;
                    case "HELO":
                        await ReplyAsync($"250 {Options.ServerName}");
                        return true;
                    case "STARTTLS" when CanStartTls:
                        await ReplyAsync("220 2.0.0 Ready to start TLS");

                        // Anything the client sent after STARTTLS in plaintext is dropped with the old reader.
                        stream = await server.SecureAsync(stream, session, token);
                        reader = new LineReader(stream);
                        Reset();
                        session.AuthenticatedUser = null;
                        return true;
                    case "AUTH" when OffersAuth:
                        await AuthenticateAsync(argument);
                        return true;
                    case "MAIL":
                        from = Address(argument);
                        to = new List<string>();
                        await ReplyAsync("250 2.1.0 Sender OK");
                        return true;
                    case "RCPT" when from == null:
                        await ReplyAsync("503 5.5.1 MAIL first");
                        return true;
                    case "RCPT":
                        to.Add(Address(argument));
                        await ReplyAsync("250 2.1.5 Recipient OK");
                        return true;
                    case "DATA" when to.Count == 0:
                        await ReplyAsync("503 5.5.1 RCPT first");
                        return true;
                    case "DATA":
                        await ReplyAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        string? line;
                        while ((line = await reader.ReadLineAsync(token)) != null && line != ".")
                        {
                            data.Append(line.StartsWith("..", StringComparison.Ordinal) ? line.Substring(1) : line).Append("\r\n");
                        }

                        if (line == null)
                        {
                            return false;
                        }

                        server.Transactions.Enqueue(new ReceivedTransaction(session.Number.ToString(), from!, to.ToList(), data.ToString()));
                        Reset();
                        await ReplyAsync("250 2.0.0 Queued");
                        return true;
                    case "RSET":
                        Reset();
                        await ReplyAsync("250 2.0.0 OK");
                        return true;
                    case "NOOP":
                        await ReplyAsync("250 2.0.0 OK");
                        return true;
                    case "QUIT":
                        await ReplyAsync("221 2.0.0 Bye");
                        return false;
                    default:
                        await ReplyAsync("502 5.5.2 Command not implemented");
                        return true;
                }
            }

            private async Task AuthenticateAsync(string argument)
            {
                var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var mechanism = parts.Length > 0 ? parts[0].ToUpperInvariant() : string.Empty;
                string? user;
                string? password;
                if (mechanism == "PLAIN")
                {
                    var initial = parts.Length > 1 ? parts[1] : await ChallengeAsync(string.Empty);
                    var fields = Decode(initial)?.Split('\0');
                    user = fields?.Length == 3 ? fields[1] : null;
                    password = fields?.Length == 3 ? fields[2] : null;
                }
                else if (mechanism == "LOGIN")
                {
                    user = Decode(parts.Length > 1 ? parts[1] : await ChallengeAsync("VXNlcm5hbWU6"));
                    password = Decode(await ChallengeAsync("UGFzc3dvcmQ6"));
                }
                else
                {
                    await ReplyAsync("504 5.5.4 Unrecognized authentication type");
                    return;
                }

                if (user != null && Options.Users.TryGetValue(user, out var expected) && expected == password)
                {
                    session.AuthenticatedUser = user;
                    await ReplyAsync("235 2.7.0 Authentication successful");
                }
                else
                {
                    await ReplyAsync("535 5.7.8 Authentication credentials invalid");
                }
            }

            private async Task<string> ChallengeAsync(string challenge)
            {
                await ReplyAsync("334 " + challenge);
                return await reader.ReadLineAsync(token) ?? string.Empty;
            }

            private static string? Decode(string base64)
            {
                try
                {
                    return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
                }
                catch (FormatException)
                {
                    return null;
                }
            }

            private static string Address(string argument)
            {
                var open = argument.IndexOf('<');
                var close = argument.IndexOf('>', open + 1);
                return open >= 0 && close > open ? argument.Substring(open + 1, close - open - 1) : argument;
            }

            private void Reset()
            {
                from = null;
                to = new List<string>();
            }

            private async Task ReplyAsync(string reply)
            {
                var bytes = Encoding.UTF8.GetBytes(reply + "\r\n");
                await stream.WriteAsync(bytes, token);
                await stream.FlushAsync(token);
            }
        }
    }
}
