using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using MimeKit;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Battery, bad input (issue 9), property-style: generated inputs from a fixed seed (a failure names its
    /// input and reproduces), each a clear error with a stable ErrorId before any connection, or delivered intact;
    /// never another exception, a hang or a partial send.
    /// </summary>
    public sealed class InputBatteryTests : IDisposable
    {
        private static readonly string[] AddressPieces =
        {
            "a", "bob", "z9", "0", ".", "..", "@", "@@", "-", "_", "+", "\"", "<", ">", "(", ")", "[", "]", ",", ";", ":", "\\", " ", "\t",
            "\r", "\n", "\r\n", "\0", "\u0085", "é", "ü", "中", "xn--", "example.test", "localhost", "=?utf-8?q?x?=", "'", "%", "!", "#",
            "$", "&", "*", "/", "=", "?", "^", "`", "{", "|", "}", "~", "IPv6:", "127.0.0.1", "\u200b", "\u00ad",
        };

        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-input-" + Guid.NewGuid().ToString("N"));

        public InputBatteryTests() => Directory.CreateDirectory(directory);

        public void Dispose()
        {
            try
            {
                Directory.Delete(directory, true);
            }
            catch (IOException)
            {
            }
        }

        /// <summary>Random strings from address-ish pieces, and random well-formed ones with a random display name.</summary>
        private static List<string> RandomAddresses(int seed, int count)
        {
            var random = new Random(seed);
            string Pieces(int max) => string.Concat(Enumerable.Range(0, random.Next(0, max)).Select(_ => AddressPieces[random.Next(AddressPieces.Length)]));
            var list = new List<string>();
            while (list.Count < count)
            {
                list.Add((list.Count % 3) switch
                {
                    0 => Pieces(12),
                    1 => $"{Pieces(4)}@{Pieces(4)}",
                    _ => $"{Pieces(3)} <{Pieces(3)}user{list.Count}@{Pieces(2)}example.test{Pieces(2)}>",
                });
            }

            return list;
        }

        [Fact]
        public void Random_and_malformed_addresses_are_refused_as_InvalidMailAddress_before_connecting_or_delivered_as_one_clean_RCPT_seeded_2000()
        {
            // SMTPUTF8 offered: an address with a non-ASCII local part can be sent too.
            using var server = new SmtpTestServer(new SmtpTestServerOptions { Extensions = { "SMTPUTF8" } });
            var mailer = new SmtpMailer(Config(server.Port));
            var accepted = new List<(string Input, PreparedMessage Message)>();
            foreach (var input in RandomAddresses(4242, 2000))
            {
                try
                {
                    var prepared = mailer.Prepare(new SmtpMessage { From = Sender, To = new[] { input }, Subject = $"Address {accepted.Count}", TextBody = "x" });
                    var address = Assert.Single(prepared.Recipients);
                    Assert.False(address.Any(char.IsControl), $"'{input}' became an address with a control character");
                    Assert.Contains("@", address);
                    accepted.Add((input, prepared));
                }
                catch (SmtpHandlerException ex)
                {
                    Assert.True(ex.ErrorId == "InvalidMailAddress", $"'{input}': {ex.ErrorId} {ex.Message}");
                    Assert.Equal("To", ex.ParameterName);
                    Assert.Contains("not a valid mail address", ex.Message);
                }
            }

            Assert.Equal(0, server.Connections);
            Assert.InRange(accepted.Count, 100, 1900);

            var results = mailer.Send(accepted.Select(a => a.Message).ToList()).ToList();

            // Every accepted address was one RCPT of its own transaction, and nothing else reached the server.
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(accepted.Count, server.Delivered.Count);
            Assert.Equal(accepted.Count, server.CountCommands("MAIL FROM:"));
            Assert.Equal(accepted.Count, server.CountCommands("RCPT TO:"));
            Assert.Equal(accepted.Count, server.CountCommands("DATA"));
            Assert.All(server.Commands, c => Assert.Contains(c.Line.Split(' ', ':')[0], new[] { "EHLO", "MAIL", "RCPT", "DATA", "QUIT" }));
            Assert.All(server.Delivered, t => Assert.Single(t.To));
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void With_skipInvalidRecipients_invalid_addresses_end_NotAttempted_with_why_and_the_valid_ones_are_sent_seeded_500()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { Extensions = { "SMTPUTF8" } });
            var mailer = new SmtpMailer(Config(server.Port));
            var inputs = RandomAddresses(777, 500).Select((a, i) => i % 3 == 2 ? a : a + i).Distinct().ToList();

            var prepared = mailer.Prepare(new SmtpMessage { From = Sender, Bcc = inputs, Subject = "Mixed", TextBody = "x" }, skipInvalidRecipients: true);
            var result = mailer.Send(new[] { prepared }).Single();

            Assert.NotEmpty(prepared.RefusedBeforeSending);
            Assert.All(result.NotAttempted, r => Assert.StartsWith("Invalid address: ", r.Reason));
            Assert.Equal(prepared.RefusedBeforeSending.Count, result.NotAttempted.Count);
            Assert.Equal(prepared.Recipients.Count, result.Accepted.Count);
            Assert.Equal(prepared.Recipients.Count + prepared.RefusedBeforeSending.Count, result.Recipients.Count);
            var delivered = Assert.Single(server.Delivered);
            Assert.Equal(prepared.Recipients.Count, delivered.To.Count);
        }

        [Theory]
        [InlineData(null, null)]
        [InlineData("", "")]
        [InlineData(" ", " ")]
        public void Empty_subjects_and_bodies_are_sent_as_such(string? subject, string? body)
        {
            using var server = new SmtpTestServer();
            var message = new SmtpMessage { From = Sender, To = new[] { "ann@example.test" }, Subject = subject, TextBody = body };

            var result = Send(Config(server.Port), message).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            var parsed = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Assert.Single(server.Delivered).Data)));
            Assert.Equal(subject?.Trim() ?? string.Empty, (parsed.Subject ?? string.Empty).Trim());
            Assert.Equal(body?.Trim() ?? string.Empty, (parsed.TextBody ?? string.Empty).Trim());
        }

        [Fact]
        public void A_100_KB_subject_and_a_5_MB_body_without_line_breaks_arrive_intact_in_lines_of_at_most_1000_octets()
        {
            var random = new Random(99);
            var words = new[] { "disk", "report", "größe", "注意", "ok", ":", ";", "\"", "<", ">", "," };
            var subject = string.Join(" ", Enumerable.Range(0, 20_000).Select(_ => words[random.Next(words.Length)]));
            var body = new string('x', 5 * 1024 * 1024);
            using var server = new SmtpTestServer();
            var message = new SmtpMessage { From = Sender, To = new[] { "ann@example.test" }, Subject = subject, TextBody = body };

            var result = Send(Config(server.Port), message).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            var delivered = Assert.Single(server.Delivered);
            var longest = Encoding.Latin1.GetString(delivered.RawData).Split("\r\n").Max(l => l.Length);
            Assert.True(longest <= 998, $"a line of {longest} octets went on the wire (RFC 5321 allows 998 and CRLF)");
            var parsed = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered.Data)));
            Assert.Equal(subject, parsed.Subject);
            Assert.Equal(body, parsed.TextBody?.TrimEnd('\r', '\n'));
        }

        [Fact]
        public void A_message_to_100000_recipients_is_one_transaction_each_recipient_once()
        {
            using var server = new SmtpTestServer();
            var to = Users(100_000);
            var clock = Stopwatch.StartNew();

            var result = Send(Config(server.Port, timeoutSeconds: 60), new SmtpMessage { From = Sender, Bcc = to, Subject = "Everyone", TextBody = "x" }).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(100_000, result.Accepted.Count);
            var delivered = Assert.Single(server.Delivered);
            Assert.Equal(to, delivered.To);
            Assert.DoesNotContain("user1@example.test", delivered.Data);
            Assert.InRange(clock.Elapsed.TotalSeconds, 0, 60);
        }

        [Fact]
        public void A_drop_after_90000_of_100000_RCPTs_is_sorted_out_in_seconds_and_each_recipient_gets_it_once()
        {
            // Finding which of 100,000 recipients the server had not answered, pair by pair against 90,000 replies,
            // took 14 s of CPU here (quadratic: minutes for larger sends); a set does it at once.
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument == "user90000@example.test" && c.Seen == 1 ? ServerAction.Drop : null);
            var to = Users(100_000);
            var log = new TimedLog();
            var clock = Stopwatch.StartNew();

            var result = Send(Config(server.Port, timeoutSeconds: 60), log, new SmtpMessage { From = Sender, Bcc = to, Subject = "Everyone again", TextBody = "x" }).Single();

            clock.Stop();
            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            AssertEachRecipientOnce(result, to);
            var delivered = Assert.Single(server.Delivered);
            Assert.Equal(to, delivered.To);
            Assert.Equal(2, server.Connections);
            var lost = log.Steps.Single(s => s.Text.StartsWith("The connection was lost", StringComparison.Ordinal)).At;
            var queued = log.Steps.First(s => s.At >= lost && s.Text.StartsWith("Transient failure", StringComparison.Ordinal)).At;
            Assert.True(queued - lost < TimeSpan.FromSeconds(3), $"sorting out the recipients after the drop took {(queued - lost).TotalSeconds:0.0} s");
            Assert.True(clock.Elapsed.TotalSeconds < 60, $"took {clock.Elapsed.TotalSeconds:0.0} s");
        }

        /// <summary>Steps with the time they were logged; no protocol lines (200,000 RCPT lines would cost more than they show).</summary>
        private sealed class TimedLog : ISmtpLog
        {
            private readonly Stopwatch clock = Stopwatch.StartNew();

            public List<(TimeSpan At, string Text)> Steps { get; } = new();

            public bool IsProtocolEnabled => false;

            public void Step(string text) => Steps.Add((clock.Elapsed, text));

            public void Protocol(string line)
            {
            }
        }

        [Fact]
        public void Missing_directory_and_locked_attachments_are_refused_before_connecting_each_with_its_ErrorId()
        {
            using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(Config(server.Port));
            var locked = Path.Combine(directory, "locked.txt");
            File.WriteAllText(locked, "in use");
            var cases = new Dictionary<string, string>
            {
                [Path.Combine(directory, "missing.txt")] = "AttachmentNotFound",
                [directory] = "AttachmentIsDirectory",
                [locked] = "AttachmentUnreadable",
            };

            using (new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                foreach (var (path, errorId) in cases)
                {
                    var message = Message("Attached", "ann@example.test");
                    message.Attachments.Add(new SmtpAttachment(path));
                    var ex = Assert.Throws<SmtpHandlerException>(() => mailer.Prepare(message));
                    Assert.Equal(errorId, ex.ErrorId);
                    Assert.Equal("Attachments", ex.ParameterName);
                    Assert.Equal(path, ex.Target);
                    Assert.Contains(path, ex.Message);
                }
            }

            Assert.Equal(0, server.Connections);
        }

        [Fact]
        public void An_attachment_deleted_after_Prepare_fails_its_message_with_AttachmentNotFound_before_MAIL_and_the_others_go_on_the_same_connection()
        {
            using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(Config(server.Port));
            var path = Path.Combine(directory, "report.csv");
            File.WriteAllText(path, "a,b\n1,2\n");
            var attached = Message("With file", "ann@example.test", "bob@example.test");
            attached.Attachments.Add(new SmtpAttachment(path));
            var prepared = new[] { mailer.Prepare(Message("Before", "cat@example.test")), mailer.Prepare(attached), mailer.Prepare(Message("After", "dan@example.test")) };
            File.Delete(path);

            var results = mailer.Send(prepared).ToList();

            Assert.Equal(SmtpSendStatus.Sent, results[0].Status);
            Assert.Equal(SmtpSendStatus.Failed, results[1].Status);
            Assert.Equal("AttachmentNotFound", results[1].ErrorId);
            Assert.All(results[1].NotAttempted, r => Assert.Contains(path, r.Reason));
            AssertEachRecipientOnce(results[1], attached.To);
            Assert.Equal(SmtpSendStatus.Sent, results[2].Status);
            Assert.Equal(2, server.Delivered.Count);
            Assert.Equal(2, server.CountCommands("MAIL FROM:"));
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void An_attachment_that_fails_while_the_data_is_written_fails_its_message_once_not_as_a_broken_line_and_the_others_go_on()
        {
            // The second file is deleted by the server when DATA arrives: after the client's last check, before it reads the file.
            var first = Path.Combine(directory, "first.bin");
            var second = Path.Combine(directory, "second.bin");
            File.WriteAllBytes(first, new byte[300_000]);
            File.WriteAllText(second, "gone soon");
            using var server = new SmtpTestServer(c =>
            {
                if (c.Verb == "DATA" && c.Seen == 2)
                {
                    File.Delete(second);
                }

                return null;
            });
            var mailer = new SmtpMailer(Config(server.Port));
            var attached = Message("Two files", "ann@example.test", "bob@example.test");
            attached.Attachments.Add(new SmtpAttachment(first));
            attached.Attachments.Add(new SmtpAttachment(second));
            var prepared = new[] { mailer.Prepare(Message("Before", "cat@example.test")), mailer.Prepare(attached), mailer.Prepare(Message("After", "dan@example.test")) };

            var results = mailer.Send(prepared).ToList();

            Assert.Equal(SmtpSendStatus.Failed, results[1].Status);
            Assert.Equal("AttachmentUnreadable", results[1].ErrorId);
            Assert.All(results[1].Recipients, r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Status));
            Assert.All(results[1].NotAttempted, r => Assert.Contains(second, r.Reason));
            AssertEachRecipientOnce(results[1], attached.To);
            Assert.Equal(SmtpSendStatus.Sent, results[0].Status);
            Assert.Equal(SmtpSendStatus.Sent, results[2].Status);

            // Not retried as if the line had broken: one DATA for it, nothing of it delivered; the next message on a new connection.
            Assert.Equal(3, server.CountCommands("DATA"));
            Assert.Equal(new[] { "Before", "After" }, server.Delivered.Select(t => t.Data.Contains("Subject: Before\r\n") ? "Before" : "After"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public void In_pickup_mode_an_attachment_deleted_after_Prepare_fails_its_message_with_AttachmentNotFound_and_leaves_no_file()
        {
            var pickup = Path.Combine(directory, "pickup");
            Directory.CreateDirectory(pickup);
            var mailer = new SmtpMailer(new SmtpHandlerConfig { PickupDirectory = pickup }.Validate());
            var path = Path.Combine(directory, "report.txt");
            File.WriteAllText(path, "x");
            var attached = Message("With file", "ann@example.test");
            attached.Attachments.Add(new SmtpAttachment(path));
            var prepared = new[] { mailer.Prepare(attached), mailer.Prepare(Message("After", "dan@example.test")) };
            File.Delete(path);

            var results = mailer.Send(prepared).ToList();

            Assert.Equal("AttachmentNotFound", results[0].ErrorId);
            Assert.Equal(SmtpRecipientStatus.NotAttempted, Assert.Single(results[0].Recipients).Status);
            Assert.Equal(SmtpSendStatus.WrittenToPickup, results[1].Status);
            Assert.Single(Directory.GetFiles(pickup));
        }

        [Fact]
        public void Configurations_with_random_values_are_valid_exactly_when_every_value_is_in_range_otherwise_InvalidConfiguration_naming_it_seeded_3000()
        {
            var random = new Random(31337);
            int AnyInt() => random.Next(6) switch
            {
                0 => random.Next(-5, 5),
                1 => random.Next(65530, 65540),
                2 => int.MinValue,
                3 => int.MaxValue,
                _ => random.Next(-100_000, 100_000),
            };
            TimeSpan AnySpan() => random.Next(5) switch
            {
                0 => TimeSpan.Zero,
                1 => TimeSpan.FromMilliseconds(-random.Next(1, 10_000)),
                2 => TimeSpan.FromDays(random.Next(1, 40)),
                3 => TimeSpan.FromHours(random.NextDouble() * 2),
                _ => TimeSpan.FromSeconds(random.Next(0, 100)),
            };
            var hosts = new[] { "smtp.example.test", "127.0.0.1", "", " ", "smtp example", "smtp\r\nexample", "[::1]", "\t", "mx.example.test." };

            for (var i = 0; i < 3000; i++)
            {
                var config = new SmtpHandlerConfig
                {
                    SmtpServer = hosts[random.Next(hosts.Length)],
                    Port = AnyInt(),
                    Timeout = AnySpan(),
                    RetryCount = random.Next(-3, 110),
                    RetryDelay = AnySpan(),
                    RecipientsPerMessage = AnyInt(),
                    MaxMessagesPerConnection = AnyInt(),
                };
                var problems = new List<string>();
                if (string.IsNullOrWhiteSpace(config.SmtpServer) || config.SmtpServer.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    problems.Add("SmtpServer");
                }

                if (config.Port < 1 || config.Port > 65535)
                {
                    problems.Add("Port");
                }

                if (config.Timeout <= TimeSpan.Zero || config.Timeout.TotalMilliseconds > int.MaxValue)
                {
                    problems.Add("Timeout");
                }

                if (config.RecipientsPerMessage < 0)
                {
                    problems.Add("RecipientsPerMessage");
                }

                if (config.MaxMessagesPerConnection < 0)
                {
                    problems.Add("MaxMessagesPerConnection");
                }

                if (config.RetryCount < 0 || config.RetryCount > 100)
                {
                    problems.Add("RetryCount");
                }

                if (config.RetryDelay < TimeSpan.Zero || config.RetryDelay > TimeSpan.FromHours(1))
                {
                    problems.Add("RetryDelay");
                }

                if (problems.Count == 0)
                {
                    config.Validate();
                    continue;
                }

                var ex = Assert.Throws<SmtpHandlerException>(() => config.Validate());
                Assert.Equal("InvalidConfiguration", ex.ErrorId);
                Assert.True(problems.Contains(ex.ParameterName!), $"case {i}: expected one of {string.Join(", ", problems)}, got {ex.ParameterName}: {ex.Message}");
                Assert.StartsWith(ex.ParameterName + ":", ex.Message);
            }
        }
    }
}
