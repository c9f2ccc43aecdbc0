using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Test-SmtpConnection names the SASL mechanism a password login uses; sending leaves that choice to MailKit's
    /// SmtpClient. For each list of mechanisms a server may offer, a real SmtpClient is replayed a server conversation
    /// (over TLS where the row says so, so that SCRAM-*-PLUS has a channel to bind to) and the AUTH it sends first is
    /// compared with what the diagnosis names for the same EHLO reply.
    /// </summary>
    public sealed class MechanismChoiceTests : IClassFixture<TestCertificates>
    {
        private readonly TestCertificates certificates;

        public MechanismChoiceTests(TestCertificates certificates) => this.certificates = certificates;

        /// <summary>The EHLO AUTH line, whether the replay is over TLS, and whether any offered mechanism takes a password.</summary>
        public static TheoryData<string, bool, bool> Offers => new()
        {
            { "AUTH PLAIN LOGIN", false, true },
            { "AUTH LOGIN PLAIN", true, true },
            { "AUTH LOGIN", false, true },
            { "AUTH=LOGIN", false, true },
            { "AUTH CRAM-MD5 PLAIN LOGIN", false, true },
            { "AUTH DIGEST-MD5 CRAM-MD5 LOGIN", true, true },
            { "AUTH NTLM PLAIN LOGIN", true, true },
            { "AUTH PLAIN SCRAM-SHA-1", true, true },
            { "AUTH SCRAM-SHA-1 SCRAM-SHA-256 PLAIN", true, true },
            { "AUTH SCRAM-SHA-256 SCRAM-SHA-512 PLAIN", true, true },
            { "AUTH SCRAM-SHA-256 SCRAM-SHA-256-PLUS PLAIN", true, true },
            { "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN", false, true },
            { "AUTH SCRAM-SHA-1-PLUS SCRAM-SHA-1 LOGIN", true, true },
            { "AUTH SCRAM-SHA-512-PLUS SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS", true, true },
            { "AUTH SCRAM-SHA-256-PLUS NTLM", true, true },
            { "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH", true, true },
            { "AUTH LOGIN XOAUTH2", true, true },
            { "AUTH XOAUTH2 OAUTHBEARER", true, false },
            { "AUTH GSSAPI ANONYMOUS", false, false },
            { "AUTH EXTERNAL", true, false },
        };

        [Theory]
        [MemberData(nameof(Offers))]
        public async Task Test_SmtpConnection_names_the_mechanism_MailKit_logs_in_with(string authLine, bool tls, bool passwordLoginPossible)
        {
            var ehlo = new[] { "replay.test greets you", "PIPELINING", authLine, "8BITMIME" };

            // What the diagnosis names: its own EHLO parser, then the one choice.
            var diagnosed = SaslMechanismChoice.ForPassword(EhloCapabilities.Parse(ehlo).AuthenticationMechanisms);

            // What sending does: MailKit's SmtpClient, logging in with a password, against a replayed server.
            var (sent, initialResponse) = await FirstAuthOfMailKit(ehlo, tls);

            Assert.Equal(passwordLoginPossible, sent != null);
            Assert.Equal(sent, diagnosed);
            if (sent != null && sent.EndsWith("-PLUS", StringComparison.Ordinal) && tls)
            {
                // Over TLS MailKit binds the channel: the SCRAM client-first message starts with p=, not n.
                Assert.StartsWith("p=", initialResponse);
            }
        }

        [Fact]
        public void A_password_login_never_picks_an_OAuth_mechanism()
        {
            Assert.Null(SaslMechanismChoice.ForPassword(new[] { "XOAUTH2", "OAUTHBEARER" }));
            Assert.Equal("PLAIN", SaslMechanismChoice.ForPassword(new[] { "XOAUTH2", "PLAIN" }));
        }

        /// <summary>The mechanism of the first AUTH command MailKit sends (null when it sends none), and its decoded initial response.</summary>
        private async Task<(string? Mechanism, string? InitialResponse)> FirstAuthOfMailKit(string[] ehlo, bool tls)
        {
            var (clientEnd, serverEnd) = MemoryPipe.Create();
            var auths = new ConcurrentQueue<string>();
            var server = Task.Run(() => Replay(serverEnd, ehlo, tls, auths));
            using (var client = new SmtpClient { Timeout = 10_000, ServerCertificateValidationCallback = (_, _, _, _) => true })
            {
                client.Connect(clientEnd, "localhost", 465, tls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.None);
                Assert.Equal(tls, client.IsSecure);
                try
                {
                    client.Authenticate(new NetworkCredential("ann", "secret"));
                }
                catch (Exception ex) when (ex is AuthenticationException or NotSupportedException)
                {
                    // The replayed server refuses every login: only what was tried first matters.
                }

                client.Disconnect(true);
            }

            await server.WaitAsync(TimeSpan.FromSeconds(10));
            if (!auths.TryPeek(out var first))
            {
                return (null, null);
            }

            var parts = first.Split(' ');
            var initial = parts.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[2])) : null;
            return (parts[1], initial);
        }

        /// <summary>A server that greets, answers EHLO with <paramref name="ehlo"/>, refuses every AUTH and says goodbye to QUIT.</summary>
        private void Replay(Stream connection, string[] ehlo, bool tls, ConcurrentQueue<string> auths)
        {
            Stream stream = connection;
            if (tls)
            {
                var ssl = new SslStream(connection, false);
                ssl.AuthenticateAsServer(TestCertificates.ForServer(certificates.Server), false, false);
                stream = ssl;
            }

            using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
            void Write(string text)
            {
                var bytes = Encoding.ASCII.GetBytes(text);
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }

            Write("220 replay.test ESMTP\r\n");
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        Write(string.Concat(ehlo.Select((l, i) => $"250{(i == ehlo.Length - 1 ? ' ' : '-')}{l}\r\n")));
                        break;
                    case "AUTH":
                        auths.Enqueue(line);
                        Write("535 5.7.8 Authentication credentials invalid\r\n");
                        break;
                    case "QUIT":
                        Write("221 2.0.0 Bye\r\n");
                        stream.Dispose();
                        return;
                    default:
                        // A SASL continuation line or "*": the exchange is over.
                        Write("535 5.7.8 Authentication credentials invalid\r\n");
                        break;
                }
            }
        }

        /// <summary>Two connected in-memory streams: what one end writes, the other reads. No socket, no port.</summary>
        private sealed class MemoryPipe : Stream
        {
            private readonly BlockingCollection<byte[]> incoming;
            private readonly BlockingCollection<byte[]> outgoing;
            private byte[] current = Array.Empty<byte>();
            private int offset;

            private MemoryPipe(BlockingCollection<byte[]> incoming, BlockingCollection<byte[]> outgoing)
            {
                this.incoming = incoming;
                this.outgoing = outgoing;
            }

            public static (MemoryPipe, MemoryPipe) Create()
            {
                var a = new BlockingCollection<byte[]>();
                var b = new BlockingCollection<byte[]>();
                return (new MemoryPipe(a, b), new MemoryPipe(b, a));
            }

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (this.offset == current.Length)
                {
                    if (!incoming.TryTake(out var next, TimeSpan.FromSeconds(10)))
                    {
                        return 0;
                    }

                    if (next.Length == 0)
                    {
                        return 0;
                    }

                    current = next;
                    this.offset = 0;
                }

                var n = Math.Min(count, current.Length - this.offset);
                Buffer.BlockCopy(current, this.offset, buffer, offset, n);
                this.offset += n;
                return n;
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (count > 0 && !outgoing.IsAddingCompleted)
                {
                    outgoing.Add(buffer.AsSpan(offset, count).ToArray());
                }
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing && !outgoing.IsAddingCompleted)
                {
                    // An empty block tells the other end the stream is closed.
                    outgoing.Add(Array.Empty<byte>());
                    outgoing.CompleteAdding();
                }

                base.Dispose(disposing);
            }
        }
    }
}
