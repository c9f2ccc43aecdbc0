using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// A proxy whose handshake a test writes (what a real proxy will not do on demand: SOCKS 4, a wrong version, a
    /// reply glued to the server's greeting); after a handshake that opens the tunnel it relays bytes to a real
    /// test server, so the SMTP side is the real one.
    /// </summary>
    internal sealed class ScriptedProxy : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();

        /// <param name="handshake">Reads the client's request from the stream and answers it; returns the port to relay to, or null to close.</param>
        public ScriptedProxy(Func<Stream, int?> handshake)
        {
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                    }
                    catch (Exception) when (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    _ = Task.Run(() => Serve(client, handshake));
                }
            });
        }

        public int Port { get; }

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public static byte[] ReadExactly(Stream stream, int count)
        {
            var bytes = new byte[count];
            var read = 0;
            while (read < count)
            {
                var n = stream.Read(bytes, read, count - read);
                if (n == 0)
                {
                    throw new EndOfStreamException();
                }

                read += n;
            }

            return bytes;
        }

        /// <summary>Bytes up to and including <paramref name="end"/>.</summary>
        public static byte[] ReadUntil(Stream stream, byte end)
        {
            var bytes = new MemoryStream();
            int b;
            while ((b = stream.ReadByte()) >= 0)
            {
                bytes.WriteByte((byte)b);
                if (b == end)
                {
                    break;
                }
            }

            return bytes.ToArray();
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
        }

        private void Serve(TcpClient client, Func<Stream, int?> handshake)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    if (handshake(stream) is not int port)
                    {
                        return;
                    }

                    using var server = new TcpClient();
                    server.Connect(IPAddress.Loopback, port);
                    var upstream = server.GetStream();
                    var up = stream.CopyToAsync(upstream);
                    var down = upstream.CopyToAsync(stream);
                    Task.WaitAny(up, down);
                }
                catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException)
                {
                    // The client went away.
                }
                catch (Exception ex)
                {
                    Failures.Enqueue(ex);
                }
            }
        }
    }
}
