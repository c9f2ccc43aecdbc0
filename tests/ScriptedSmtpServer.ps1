# A small scripted SMTP server for what smtp4dev can't do on demand: a server without SMTPUTF8, and a sink
# that swallows a very large message quickly. It answers every command of a plain session, records the
# commands it got, counts the data bytes and discards them. It refuses recipients whose address starts with "reject". Loopback only, a port of its own.
Set-StrictMode -Version Latest

if (-not ('SmtpHandlerTests.ScriptedSmtpServer' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace SmtpHandlerTests
{
    public sealed class ScriptedSmtpServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly string[] extensions;
        private readonly Thread acceptor;
        private volatile bool stopping;
        private long dataBytes;
        private int sessions;

        public ScriptedSmtpServer(params string[] extensions)
        {
            this.extensions = extensions;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptor = new Thread(Accept) { IsBackground = true };
            acceptor.Start();
        }

        public int Port { get; private set; }

        public ConcurrentQueue<string> Commands { get; } = new ConcurrentQueue<string>();

        public long DataBytes { get { return Interlocked.Read(ref dataBytes); } }

        public int Sessions { get { return sessions; } }

        public int Messages { get; private set; }

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
        }

        private void Accept()
        {
            while (!stopping)
            {
                TcpClient client;
                try { client = listener.AcceptTcpClient(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref sessions);
                new Thread(() => Serve(client)) { IsBackground = true }.Start();
            }
        }

        private void Serve(TcpClient client)
        {
            using (client)
            using (var stream = client.GetStream())
            {
                var reader = new StreamReader(stream, new UTF8Encoding(false), false, 1 << 16);
                var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
                try
                {
                    writer.WriteLine("220 scripted.test ESMTP");
                    string line;
                    while ((line = reader.ReadLine()) != null)
                    {
                        Commands.Enqueue(line);
                        var verb = line.Split(' ')[0].ToUpperInvariant();
                        if (verb == "EHLO")
                        {
                            writer.WriteLine(extensions.Length == 0 ? "250 scripted.test" : "250-scripted.test");
                            for (var i = 0; i < extensions.Length; i++)
                            {
                                writer.WriteLine((i == extensions.Length - 1 ? "250 " : "250-") + extensions[i]);
                            }
                        }
                        else if (verb == "DATA")
                        {
                            writer.WriteLine("354 go ahead");
                            while ((line = reader.ReadLine()) != null && line != ".")
                            {
                                Interlocked.Add(ref dataBytes, line.Length + 2);
                            }

                            Messages++;
                            writer.WriteLine("250 2.0.0 queued");
                        }
                        else if (verb == "RCPT" && line.IndexOf("<reject", StringComparison.OrdinalIgnoreCase) >= 0)
                        {
                            writer.WriteLine("550 5.1.1 No such user here");
                        }
                        else if (verb == "QUIT")
                        {
                            writer.WriteLine("221 bye");
                            return;
                        }
                        else
                        {
                            writer.WriteLine("250 ok");
                        }
                    }
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
'@
}

function Start-ScriptedSmtpServer {
    # -Extension: the EHLO keywords to offer (e.g. 8BITMIME, PIPELINING); SMTPUTF8 only when listed.
    param([string[]] $Extension = @('8BITMIME'))
    [SmtpHandlerTests.ScriptedSmtpServer]::new([string[]]$Extension)
}
