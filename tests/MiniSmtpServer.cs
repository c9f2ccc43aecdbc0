// A small scripted SMTP server for the Pester tests (compiled with Add-Type): it greets as told (or
// never), speaks implicit TLS or offers STARTTLS with a given certificate, refuses recipients whose
// local part starts with a given prefix, and counts what it was asked, so a test can show that a
// diagnosis sent no DATA. It binds to 127.0.0.1 on a free port and stops when disposed.
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

namespace SmtpHandlerTests
{
    public sealed class MiniSmtpServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly Thread acceptor;
        private readonly ConcurrentBag<TcpClient> clients = new ConcurrentBag<TcpClient>();
        private volatile bool stopping;
        private int dataCommands;
        private int sessions;

        public MiniSmtpServer(string greeting, bool silent, X509Certificate2 certificate, bool implicitTls, string rejectPrefix)
        {
            Greeting = greeting;
            Silent = silent;
            Certificate = certificate;
            ImplicitTls = implicitTls;
            RejectPrefix = rejectPrefix;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptor = new Thread(Accept) { IsBackground = true, Name = "MiniSmtpServer " + Port };
            acceptor.Start();
        }

        public int Port { get; private set; }

        public string Greeting { get; private set; }

        public bool Silent { get; private set; }

        public X509Certificate2 Certificate { get; private set; }

        public bool ImplicitTls { get; private set; }

        public string RejectPrefix { get; private set; }

        /// <summary>Every command received, in order (AUTH data lines included: the tests send no real secret).</summary>
        public ConcurrentQueue<string> Commands { get; } = new ConcurrentQueue<string>();

        public int DataCommands { get { return dataCommands; } }

        public int Sessions { get { return sessions; } }

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            foreach (var client in clients)
            {
                client.Dispose();
            }
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
                catch (Exception)
                {
                    return;
                }

                clients.Add(client);
                Interlocked.Increment(ref sessions);
                var session = new Thread(() => Serve(client)) { IsBackground = true };
                session.Start();
            }
        }

        private void Serve(TcpClient client)
        {
            try
            {
                if (Silent)
                {
                    // Accepts the connection and never says a word until the test ends.
                    while (!stopping)
                    {
                        Thread.Sleep(100);
                    }

                    return;
                }

                client.ReceiveTimeout = 30000;
                Stream stream = client.GetStream();
                if (ImplicitTls)
                {
                    stream = Secure(stream);
                }

                Write(stream, Greeting);
                if (!Greeting.StartsWith("220", StringComparison.Ordinal))
                {
                    // A refusing greeting: only QUIT is answered.
                    string first = ReadLine(stream);
                    Commands.Enqueue(first ?? "(closed)");
                    Write(stream, "221 2.0.0 Bye");
                    return;
                }

                var secured = ImplicitTls;
                while (!stopping)
                {
                    var line = ReadLine(stream);
                    if (line == null)
                    {
                        return;
                    }

                    Commands.Enqueue(line);
                    var verb = (line.Length >= 4 ? line.Substring(0, 4) : line).ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            var lines = new List<string> { "scripted.test greets you", "PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "CHUNKING" };
                            if (Certificate != null && !secured)
                            {
                                lines.Add("STARTTLS");
                            }

                            for (var i = 0; i < lines.Count; i++)
                            {
                                Write(stream, (i == lines.Count - 1 ? "250 " : "250-") + lines[i]);
                            }

                            break;
                        case "HELO":
                            Write(stream, "250 scripted.test");
                            break;
                        case "STAR":
                            Write(stream, "220 2.0.0 Ready to start TLS");
                            stream = Secure(stream);
                            secured = true;
                            break;
                        case "MAIL":
                            Write(stream, "250 2.1.0 Sender OK");
                            break;
                        case "RCPT":
                            var address = line.Substring(line.IndexOf('<') + 1).TrimEnd('>');
                            Write(stream, RejectPrefix != null && address.StartsWith(RejectPrefix, StringComparison.OrdinalIgnoreCase)
                                ? "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
                                : "250 2.1.5 Recipient OK");
                            break;
                        case "DATA":
                            Interlocked.Increment(ref dataCommands);
                            Write(stream, "554 5.5.1 This test server takes no data");
                            break;
                        case "RSET":
                            Write(stream, "250 2.0.0 Reset");
                            break;
                        case "NOOP":
                            Write(stream, "250 2.0.0 OK");
                            break;
                        case "QUIT":
                            Write(stream, "221 2.0.0 Bye");
                            return;
                        default:
                            Write(stream, "502 5.5.2 Command not implemented");
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is AuthenticationException)
            {
                // The client went away, or refused the certificate: the session ends.
            }
            finally
            {
                client.Dispose();
            }
        }

        private Stream Secure(Stream stream)
        {
            var tls = new SslStream(stream, false);
            tls.AuthenticateAsServer(Certificate, false, SslProtocols.Tls12 | SslProtocols.Tls13, false);
            return tls;
        }

        private static void Write(Stream stream, string line)
        {
            var bytes = Encoding.ASCII.GetBytes(line + "\r\n");
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush();
        }

        private static string ReadLine(Stream stream)
        {
            var bytes = new List<byte>();
            while (true)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
                }

                if (b == '\n')
                {
                    return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
                }

                bytes.Add((byte)b);
            }
        }
    }
}
