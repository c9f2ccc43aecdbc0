#nullable enable
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
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
    /// <summary>
    /// A small scripted SMTP server on a free loopback port, for what the other test servers can't do: it checks
    /// the exact SASL XOAUTH2 initial response ("user=NAME^Aauth=Bearer TOKEN^A^A", RFC-less but as Google
    /// and Microsoft document it) against the tokens it is told to accept, and answers a wrong one the way those
    /// services do (a 334 JSON challenge, then 535). Implicit TLS with the given certificate, or plaintext.
    /// Used by the xunit tests and, through Add-Type, by the Pester tests; only BCL types.
    /// </summary>
    public sealed class ScriptedSmtpServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly X509Certificate2? certificate;
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        private readonly ConcurrentBag<TcpClient> clients = new ConcurrentBag<TcpClient>();
        private int connections;
        private int messages;
        private int logins;

        public ScriptedSmtpServer(X509Certificate2? certificate, string userName, params string[] acceptedTokens)
        {
            this.certificate = certificate;
            UserName = userName;
            foreach (var token in acceptedTokens)
            {
                AcceptedTokens[token] = 0;
            }

            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Task.Run(AcceptLoop);
        }

        public int Port { get; }

        /// <summary>The mailbox XOAUTH2 must name.</summary>
        public string UserName { get; }

        /// <summary>Tokens the server takes (the value is unused); tests may add or remove while it runs.</summary>
        public ConcurrentDictionary<string, int> AcceptedTokens { get; } = new ConcurrentDictionary<string, int>();

        /// <summary>The AUTH mechanisms advertised in EHLO.</summary>
        public string AuthMechanisms { get; set; } = "LOGIN XOAUTH2";

        /// <summary>Every XOAUTH2 initial response received, decoded, in order.</summary>
        public ConcurrentQueue<string> InitialResponses { get; } = new ConcurrentQueue<string>();

        /// <summary>Every command line received (AUTH lines included as sent), prefixed with the connection number.</summary>
        public ConcurrentQueue<string> Transcript { get; } = new ConcurrentQueue<string>();

        public int Connections => Volatile.Read(ref connections);

        public int SuccessfulLogins => Volatile.Read(ref logins);

        public int Messages => Volatile.Read(ref messages);

        /// <summary>The exact initial response a client must send for <paramref name="token"/>.</summary>
        public string ExpectedInitialResponse(string token) => "user=" + UserName + "\u0001auth=Bearer " + token + "\u0001\u0001";

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        private async Task AcceptLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    return;
                }

                clients.Add(client);
                var number = Interlocked.Increment(ref connections);
                _ = Task.Run(() => Serve(client, number));
            }
        }

        private async Task Serve(TcpClient client, int number)
        {
            try
            {
                using (client)
                {
                    Stream stream = client.GetStream();
                    if (certificate != null)
                    {
                        var tls = new SslStream(stream, false);
                        await tls.AuthenticateAsServerAsync(certificate, false, SslProtocols.Tls12 | SslProtocols.Tls13, false).ConfigureAwait(false);
                        stream = tls;
                    }

                    using var reader = new StreamReader(stream, Encoding.Latin1, false, 4096, leaveOpen: true);
                    using var writer = new StreamWriter(stream, Encoding.Latin1, 4096, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
                    await Session(reader, writer, number).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is AuthenticationException || ex is SocketException)
            {
                // The client went away, or the test ended.
            }
        }

        private async Task Session(StreamReader reader, StreamWriter writer, int number)
        {
            var authenticated = false;
            await writer.WriteLineAsync("220 scripted.test ESMTP ready").ConfigureAwait(false);
            while (true)
            {
                var line = await reader.ReadLineAsync().ConfigureAwait(false);
                if (line == null)
                {
                    return;
                }

                Transcript.Enqueue($"{number}: {line}");
                var verb = (line.Length >= 4 ? line.Substring(0, 4) : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-scripted.test").ConfigureAwait(false);
                        await writer.WriteLineAsync("250-8BITMIME").ConfigureAwait(false);
                        await writer.WriteLineAsync("250-ENHANCEDSTATUSCODES").ConfigureAwait(false);
                        if (AuthMechanisms.Length > 0)
                        {
                            await writer.WriteLineAsync("250-AUTH " + AuthMechanisms).ConfigureAwait(false);
                        }

                        await writer.WriteLineAsync("250 SIZE 10485760").ConfigureAwait(false);
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 scripted.test").ConfigureAwait(false);
                        break;
                    case "AUTH":
                        authenticated = await Authenticate(line, reader, writer, number).ConfigureAwait(false);
                        break;
                    case "MAIL":
                        await writer.WriteLineAsync(authenticated ? "250 2.1.0 Sender OK" : "530 5.7.57 Client not authenticated to send mail").ConfigureAwait(false);
                        break;
                    case "RCPT":
                        await writer.WriteLineAsync("250 2.1.5 Recipient OK").ConfigureAwait(false);
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 Start mail input; end with <CRLF>.<CRLF>").ConfigureAwait(false);
                        string? data;
                        while ((data = await reader.ReadLineAsync().ConfigureAwait(false)) != null && data != ".")
                        {
                        }

                        Interlocked.Increment(ref messages);
                        await writer.WriteLineAsync("250 2.0.0 OK queued").ConfigureAwait(false);
                        break;
                    case "RSET":
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 OK").ConfigureAwait(false);
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye").ConfigureAwait(false);
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not implemented").ConfigureAwait(false);
                        break;
                }
            }
        }

        private async Task<bool> Authenticate(string line, StreamReader reader, StreamWriter writer, int number)
        {
            var parts = line.Split(' ');
            if (parts.Length < 2 || !string.Equals(parts[1], "XOAUTH2", StringComparison.OrdinalIgnoreCase) || AuthMechanisms.IndexOf("XOAUTH2", StringComparison.OrdinalIgnoreCase) < 0)
            {
                await writer.WriteLineAsync("504 5.7.4 Unrecognized authentication type").ConfigureAwait(false);
                return false;
            }

            var encoded = parts.Length > 2 ? parts[2] : null;
            if (encoded == null)
            {
                await writer.WriteLineAsync("334 ").ConfigureAwait(false);
                encoded = await reader.ReadLineAsync().ConfigureAwait(false) ?? string.Empty;
                Transcript.Enqueue($"{number}: {encoded}");
            }

            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                await writer.WriteLineAsync("501 5.5.2 Cannot decode the XOAUTH2 response").ConfigureAwait(false);
                return false;
            }

            InitialResponses.Enqueue(decoded);
            foreach (var token in AcceptedTokens.Keys)
            {
                if (decoded == ExpectedInitialResponse(token))
                {
                    Interlocked.Increment(ref logins);
                    await writer.WriteLineAsync("235 2.7.0 Authentication successful").ConfigureAwait(false);
                    return true;
                }
            }

            // As Google and Microsoft do: an error challenge, the client's empty answer, then the failure.
            var challenge = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://outlook.office365.com/.default\"}"));
            await writer.WriteLineAsync("334 " + challenge).ConfigureAwait(false);
            var answer = await reader.ReadLineAsync().ConfigureAwait(false);
            Transcript.Enqueue($"{number}: {answer}");
            await writer.WriteLineAsync("535 5.7.3 Authentication unsuccessful [scripted.test]").ConfigureAwait(false);
            return false;
        }
    }
}
