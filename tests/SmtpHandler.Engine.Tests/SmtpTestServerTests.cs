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
