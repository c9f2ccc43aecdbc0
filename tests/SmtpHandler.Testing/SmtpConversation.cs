using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

namespace SmtpHandler.Testing
{
    /// <summary>One SMTP session on the server's side: the state between the greeting and QUIT, on the session's own thread.</summary>
    internal sealed partial class SmtpConversation
    {
        private static readonly byte[] LineEnd = { (byte)'\r', (byte)'\n' };
        private readonly SmtpTestServer server;
        private readonly SmtpTestSession session;
        private readonly Socket socket;
        private readonly List<string> recipients = new();
        private Stream stream;
        private LineReader reader;
        private string? from;
        private int deliveredHere;
        private bool authenticated;

        public SmtpConversation(SmtpTestServer server, SmtpTestSession session, TcpClient client)
        {
            this.server = server;
            this.session = session;
            socket = client.Client;
            stream = client.GetStream();
            reader = new LineReader(stream, Options.MaxLineLength);
        }

        private SmtpTestServerOptions Options => server.Options;

        private bool CanStartTls => Options.Certificate != null && Options.OfferStartTls && !session.Encrypted;

        private bool OffersAuth => Options.AuthMechanisms.Trim().Length > 0 && (session.Encrypted || Options.OfferAuthInPlaintext);

        public void Run()
        {
            try
            {
                Converse();
            }
            finally
            {
                if (admitted)
                {
                    server.Leave();
                }
            }
        }

        private void Converse()
        {
            if (Options.ImplicitTls)
            {
                if (!BeforeHandshake())
                {
                    return;
                }

                Secure();
                reader = new LineReader(stream, Options.MaxLineLength);
            }

            if (!AdmitAtGreeting())
            {
                return;
            }

            if (!Respond(Ask("CONNECT", string.Empty), Options.Greeting ?? $"220 {Options.ServerName} ESMTP ready"))
            {
                return;
            }

            while (ReadCommand() is string line)
            {
                var space = line.IndexOf(' ');
                var verb = (space < 0 ? line : line.Substring(0, space)).ToUpperInvariant();
                var argument = space < 0 ? string.Empty : line.Substring(space + 1);
                if (!Handle(verb, argument))
                {
                    return;
                }
            }
        }

        /// <summary>Acts on one command; false ends the session.</summary>
        private bool Handle(string verb, string argument)
        {
            switch (verb)
            {
                case "EHLO":
                {
                    var lines = new List<string> { Options.ServerName };
                    lines.AddRange(Options.Extensions);
                    if (CanStartTls)
                    {
                        lines.Add("STARTTLS");
                    }

                    if (OffersAuth)
                    {
                        lines.Add("AUTH " + Options.AuthMechanisms.Trim());
                    }

                    return Respond(Ask(verb, argument), string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l)));
                }

                case "HELO":
                    return Respond(Ask(verb, argument), $"250 {Options.ServerName}");
                case "STARTTLS":
                {
                    var action = Ask(verb, string.Empty);
                    if (!CanStartTls || (action != null && !action.StartsTls))
                    {
                        return Respond(action, "502 5.5.1 Error: command not implemented");
                    }

                    Send((action?.ReplyText ?? "220 2.0.0 Ready to start TLS") + "\r\n");
                    if (!BeforeHandshake())
                    {
                        return false;
                    }

                    Secure();

                    // A conforming server forgets anything sent before the handshake, the transaction and the login.
                    reader = new LineReader(stream, Options.MaxLineLength);
                    Reset();
                    authenticated = false;
                    session.AuthenticatedUser = null;
                    return true;
                }

                case "AUTH":
                    return Authenticate(argument);
                case "MAIL":
                {
                    var address = Address(argument);
                    var action = Ask(verb, address);
                    if (LimitAtMail() is string refusal)
                    {
                        return Respond(null, refusal);
                    }

                    if (from != null)
                    {
                        return Respond(action, "503 5.5.1 Error: nested MAIL command");
                    }

                    var reply = action?.ReplyText ??
                        (Options.RequireAuthentication && !authenticated ? "530 5.7.57 Client not authenticated to send mail" : "250 2.1.0 Ok");
                    if (reply.StartsWith("2", StringComparison.Ordinal) && action?.DropsConnection != true)
                    {
                        from = address;
                    }

                    return Respond(action, reply);
                }

                case "RCPT":
                    return Recipient(Address(argument));
                case "DATA":
                    return Data();
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

        private bool Recipient(string address)
        {
            var action = Ask("RCPT", address);
            string reply;
            if (from == null)
            {
                reply = "503 5.5.1 Error: need MAIL command";
            }
            else if (action?.ReplyText != null)
            {
                reply = action.ReplyText;
            }
            else if (QuotaAtRecipient() is string refusal)
            {
                reply = refusal;
            }
            else if (Options.RejectRecipients?.IsMatch(address) == true)
            {
                reply = $"550 5.1.1 <{address}>: Recipient address rejected: User unknown";
            }
            else if (Options.RecipientLimit > 0 && recipients.Count >= Options.RecipientLimit)
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

        private bool Data()
        {
            var action = Ask("DATA", string.Empty);
            var reply = recipients.Count == 0 ? "554 5.5.1 Error: no valid recipients" : action?.ReplyText ?? "354 End data with <CR><LF>.<CR><LF>";
            if (action?.DropAfterDataBytes is int take && recipients.Count > 0)
            {
                Send(reply + "\r\n");
                if (reader.Skip(take))
                {
                    // Stop reading long enough for the client's buffers to fill, so that it is still writing when the line goes.
                    Thread.Sleep(300);
                }

                socket.Close();
                return false;
            }

            if (!Respond(action, reply))
            {
                return false;
            }

            return !reply.StartsWith("354", StringComparison.Ordinal) || ReceiveData();
        }

        private bool ReceiveData()
        {
            var raw = Options.KeepData ? new MemoryStream() : null;
            var text = Options.KeepData ? new MemoryStream() : null;
            long size = 0;
            while (true)
            {
                if (!reader.ReadLine())
                {
                    return false;
                }

                size += reader.RawLength;
                raw?.Write(reader.Bytes, 0, reader.RawLength);
                if (reader.Length == 1 && reader.Bytes[0] == '.')
                {
                    break;
                }

                if (text != null)
                {
                    var stuffed = reader.Length > 0 && reader.Bytes[0] == '.' ? 1 : 0;
                    text.Write(reader.Bytes, stuffed, reader.Length - stuffed);
                    text.Write(LineEnd, 0, LineEnd.Length);
                }
            }

            var data = text == null ? string.Empty : Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
            var transaction = new CompletedTransaction(session.Number, from!, recipients.ToList(), data, raw?.ToArray() ?? Array.Empty<byte>(), size);
            var action = Ask(".", string.Empty);
            var reply = action?.ReplyText ?? LimitAtEndOfData() ?? $"250 2.0.0 Ok: queued as {server.Delivered.Count + 1}";
            if (action?.KeepsMessage == true || (action?.DropsConnection != true && reply.StartsWith("2", StringComparison.Ordinal)))
            {
                server.Record(transaction);
                deliveredHere++;
            }

            Reset();
            return Respond(action, reply);
        }

        private void Secure()
        {
            var tls = new SslStream(stream, false);
            var authentication = new SslServerAuthenticationOptions
            {
                ServerCertificate = Options.Certificate ?? throw new InvalidOperationException("TLS needs SmtpTestServerOptions.Certificate."),
                ClientCertificateRequired = Options.RequireClientCertificate || Options.RequestClientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => CheckClient(certificate),
                EnabledSslProtocols = Options.TlsProtocols ?? SslProtocols.None,
            };
            try
            {
                tls.AuthenticateAsServer(authentication);
            }
            catch (Exception ex)
            {
                session.TlsFailure ??= ex.Message;
                tls.Dispose();
                throw;
            }

            stream = tls;
            session.Encrypted = true;
            session.TlsProtocol = tls.SslProtocol;
        }

        private bool CheckClient(X509Certificate? certificate)
        {
            if (certificate == null)
            {
                if (Options.RequireClientCertificate)
                {
                    session.TlsFailure = "the client sent no certificate";
                    return false;
                }

                return true;
            }

            var presented = new X509Certificate2(certificate);
            session.ClientCertificate = presented;
            if (Options.ClientCertificateAuthority == null)
            {
                return true;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Options.ClientCertificateAuthority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(presented))
            {
                session.TlsFailure = "the client certificate does not chain to the expected CA";
                return false;
            }

            return true;
        }

        private ServerAction? Ask(string verb, string argument) => server.Ask(session.Number, verb, argument, recipients.Count, deliveredHere);

        /// <summary>Sends the script's action, or else <paramref name="reply"/>; false when the connection is to end.</summary>
        private bool Respond(ServerAction? action, string reply)
        {
            if (action != null && action.Delay > TimeSpan.Zero)
            {
                Thread.Sleep(action.Delay);
            }

            if (action?.DropsConnection == true)
            {
                socket.Close();
                return false;
            }

            if (action?.Silent == true)
            {
                // Hung: neither answer nor read (what arrives is discarded), until the client closes the line or the test ends.
                var discard = new byte[8192];
                while (!server.Stopping)
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
            }

            if (action?.Pattern != null)
            {
                SendPattern(action);
            }

            if (action?.Chunks != null || action?.Pattern != null)
            {
                return true;
            }

            reply = action?.ReplyText ?? reply;
            Send(reply + "\r\n");
            if (reply.StartsWith("421", StringComparison.Ordinal))
            {
                socket.Close();
                return false;
            }

            return true;
        }

        /// <summary>The next line outside message data, recorded; null when the client closed. An over-long line ends the session.</summary>
        private string? ReadCommand()
        {
            try
            {
                if (!reader.ReadLine())
                {
                    return null;
                }
            }
            catch (InvalidDataException)
            {
                Send("500 5.5.6 Error: line too long\r\n");
                return null;
            }

            var line = reader.Text;
            session.Add(line);
            server.Record(new CommandLine(session.Number, line, session.Encrypted));
            return line;
        }

        private void Send(string text) => Send(Encoding.UTF8.GetBytes(text));

        private void Send(byte[] bytes)
        {
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush();
        }

        private void Reset()
        {
            from = null;
            recipients.Clear();
        }

        private static string Address(string argument)
        {
            var open = argument.IndexOf('<');
            var close = open < 0 ? -1 : argument.IndexOf('>', open + 1);
            return open >= 0 && close > open ? argument.Substring(open + 1, close - open - 1) : argument;
        }
    }
}
