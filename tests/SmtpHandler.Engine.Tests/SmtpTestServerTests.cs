using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The test server's own behaviour where no engine test pins it down: what other tests rely on it to do.</summary>
    public sealed class SmtpTestServerTests
    {
        [Fact]
        public void CRAM_MD5_logs_in_with_the_right_password_only()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { AuthMechanisms = "CRAM-MD5", Users = new Dictionary<string, string> { ["alice"] = "s3cret" } });

            foreach (var (password, expected) in new[] { ("s3cret", true), ("wrong", false) })
            {
                using var client = new SmtpClient();
                client.Connect("127.0.0.1", server.Port, SecureSocketOptions.None);
                if (expected)
                {
                    client.Authenticate("alice", password);
                }
                else
                {
                    Assert.Throws<AuthenticationException>(() => client.Authenticate("alice", password));
                }

                client.Disconnect(true);
            }

            Assert.Equal(new[] { true, false }, server.Logins.Select(l => l.Succeeded));
            Assert.All(server.Logins, l => Assert.Equal(("CRAM-MD5", "alice"), (l.Mechanism, l.User)));
        }

        [Fact]
        public void Refuses_recipients_by_rule_then_beyond_the_limit_and_counts_each_session()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { RecipientLimit = 2, RejectRecipients = new Regex("^nobody@") });

            var replies = Converse(server, "EHLO client.test", "MAIL FROM:<a@example.test>", "RCPT TO:<nobody@example.test>", "RCPT TO:<b@example.test>",
                "RCPT TO:<c@example.test>", "RCPT TO:<d@example.test>", "QUIT");

            Assert.Equal(new[] { "250", "550", "250", "250", "452", "221" }, replies.Skip(2).Take(6).Select(r => r!.Substring(0, 3)));
            Assert.Contains("User unknown", replies[3]);
            Assert.Equal(1, server.Connections);
            Assert.Equal(7, server.Commands.Count);
        }

        [Fact]
        public void Answers_an_over_long_line_with_500_and_closes_and_can_greet_late()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                MaxLineLength = 1000,
                Script = ServerScript.At("CONNECT", ServerAction.Wait(TimeSpan.FromMilliseconds(400))),
            });
            var clock = Stopwatch.StartNew();

            var replies = Converse(server, "NOOP " + new string('x', 1000));

            Assert.True(clock.ElapsedMilliseconds >= 350, $"greeted after {clock.ElapsedMilliseconds} ms");
            Assert.StartsWith("220 ", replies[0]);
            Assert.StartsWith("500 ", replies[1]);
            Assert.Null(replies[2]);
            Assert.Empty(server.Commands);
        }

        [Fact]
        public void Drips_an_endless_reply_a_byte_at_a_time_and_floods_a_reply_of_any_size_from_a_small_buffer()
        {
            using var server = new SmtpTestServer(c =>
                c.Verb == "CONNECT" && c.Connection == 1 ? ServerAction.Drip("220-slow\r\n", TimeSpan.FromMilliseconds(20)) :
                c.Verb == "EHLO" ? ServerAction.Flood("250-smtp.test\r\n", "250-XFILLER\r\n", 13L * 600_000, "250 OK\r\n") :
                null);

            using (var drip = new TcpClient("127.0.0.1", server.Port))
            {
                var stream = drip.GetStream();
                var buffer = new byte[64];
                var reads = new List<string>();
                var clock = Stopwatch.StartNew();
                while (clock.ElapsedMilliseconds < 600)
                {
                    reads.Add(Encoding.ASCII.GetString(buffer, 0, stream.Read(buffer, 0, buffer.Length)));
                }

                // Byte by byte, with the pattern wrapping round: continuation lines only, never a last line.
                Assert.InRange(reads.Count, 10, 40);
                Assert.All(reads, r => Assert.Single(r));
                Assert.StartsWith("220-slow\r\n220-slow\r\n", string.Concat(reads));
                Assert.DoesNotContain("220 ", string.Concat(reads));
            }

            var replies = Converse(server, "EHLO client.test", "QUIT");
            Assert.Equal("250 OK", replies[1]);
            using var flood = new TcpClient("127.0.0.1", server.Port);
            var reader = new StreamReader(flood.GetStream(), Encoding.ASCII);
            reader.ReadLine();
            flood.GetStream().Write(Encoding.ASCII.GetBytes("EHLO client.test\r\n"));
            var lines = 0;
            long bytes = 0;
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                lines++;
                bytes += line.Length + 2;
                if (line == "250 OK")
                {
                    break;
                }
            }

            // 7.8 MB in 600,000 lines, though the server writes it from one 64 KB buffer.
            Assert.Equal("250-smtp.test\r\n".Length + (13L * 600_000) + "250 OK\r\n".Length, bytes);
            Assert.Equal(1 + 600_000 + 1, lines);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_TLS_handshake_that_never_completes_on_implicit_TLS_and_after_STARTTLS(bool implicitTls)
        {
            using var certificates = new TestCertificates();
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                Certificate = TestCertificates.ForServer(certificates.Server),
                ImplicitTls = implicitTls,
                Script = ServerScript.At("TLS", ServerAction.Silence),
            });
            using var client = new TcpClient("127.0.0.1", server.Port);
            var stream = client.GetStream();
            if (!implicitTls)
            {
                var reader = new StreamReader(stream, Encoding.ASCII);
                Assert.StartsWith("220 ", reader.ReadLine());
                stream.Write(Encoding.ASCII.GetBytes("STARTTLS\r\n"));
                Assert.StartsWith("220 ", reader.ReadLine());
            }

            stream.ReadTimeout = 1000;
            using var tls = new System.Net.Security.SslStream(stream, false, (_, _, _, _) => true);
            var clock = Stopwatch.StartNew();

            Assert.ThrowsAny<IOException>(() => tls.AuthenticateAsClient("smtp.test"));
            Assert.InRange(clock.ElapsedMilliseconds, 900, 5000);
            Assert.False(Assert.Single(server.Sessions).Encrypted);
        }

        /// <summary>Reads the greeting, then sends each line and reads one reply line (the last of a multi-line reply); null once the server closed.</summary>
        private static List<string?> Converse(SmtpTestServer server, params string[] lines)
        {
            using var client = new TcpClient("127.0.0.1", server.Port);
            using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            string? ReadReply()
            {
                string? line;
                while ((line = reader.ReadLine()) != null && line.Length > 3 && line[3] == '-')
                {
                }

                return line;
            }

            var replies = new List<string?> { ReadReply() };
            foreach (var line in lines)
            {
                var bytes = Encoding.ASCII.GetBytes(line + "\r\n");
                stream.Write(bytes, 0, bytes.Length);
                replies.Add(ReadReply());
            }

            replies.Add(ReadReply());
            return replies;
        }
    }
}
