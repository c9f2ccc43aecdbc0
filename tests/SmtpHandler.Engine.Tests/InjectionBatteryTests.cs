using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Battery, injection (issue 9): SMTP smuggling through the body, and CR/LF in every header-bound input. What
    /// the server received is checked byte by byte: the data of each transaction as it came off the wire, and the
    /// envelope (MAIL, RCPT) it was given. The server ends a line at a bare LF, as lenient MTAs do, so a smuggled
    /// "LF . LF" would end the data early and show up as commands of their own.
    /// </summary>
    public sealed class InjectionBatteryTests : IDisposable
    {
        private static readonly string[] Fragments =
        {
            "\r", "\n", "\r\n", ".", "..", "\r\n.\r\n", "\n.\n", "\r.\r", "\r\n.\r", "\n.\r\n", "\r.\n", ".\r\n", "\r\n..\r\n",
            "x", "Report line", " ", "\t", "é", "€", "MAIL FROM:<evil@attacker.test>", "RCPT TO:<victim@example.test>", "DATA", "QUIT",
            "\r\n\r\n", "=2E", "From: forged@attacker.test",
        };

        private static readonly string[] Payloads =
        {
            "\r\nBcc: evil@attacker.test",
            "\nX-Injected: lf",
            "\rX-Injected: cr",
            "\r\n\r\nX-Injected: body",
            "\r\n X-Injected: folded",
            "\u0085X-Injected: nel",
            "\u2028X-Injected: line-separator",
            "\0X-Injected: nul",
            ">\r\nRCPT TO:<evil@attacker.test>",
            "%0d%0aX-Injected: escaped",
        };

        private static readonly HashSet<string> RefusalIds = new(StringComparer.Ordinal) { "HeaderInjection", "InvalidMailAddress", "InvalidHeaderName", "InvalidMessageId" };

        private static readonly Regex InjectedHeader = new(@"^(X-Injected|Bcc|RCPT|MAIL)\b", RegexOptions.IgnoreCase | RegexOptions.Multiline);

        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-injection-" + Guid.NewGuid().ToString("N"));

        public InjectionBatteryTests() => Directory.CreateDirectory(directory);

        public static IEnumerable<object[]> Fields() => new[]
        {
            "Subject", "FromDisplayName", "QuotedFromDisplayName", "FromAddress", "ToDisplayName", "ToAddress", "Cc", "Bcc", "ReplyTo", "Sender",
            "HeaderValue", "HeaderName", "MessageId", "AttachmentFileName", "InlineImageContentId",
        }.Select(f => new object[] { f });

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

        [Fact]
        public void Bodies_with_bare_CR_LF_and_dot_lines_reach_the_wire_only_as_CRLF_dot_stuffed_lines_seeded_random_200()
        {
            var random = new Random(20240917);
            using var server = new SmtpTestServer();
            var bodies = new List<string>
            {
                "\n.\nMAIL FROM:<evil@attacker.test>\nRCPT TO:<victim@example.test>\nDATA\nsmuggled\n.\n",
                "a\r.\rMAIL FROM:<evil@attacker.test>\r",
                "a\r\n.\rb",
                ".\r\n",
                "\r",
                "\n",
                ".",
                "..\n...\n.",
                "line\r\n.\r\nQUIT\r\n",
            };
            while (bodies.Count < 200)
            {
                bodies.Add(string.Concat(Enumerable.Range(0, random.Next(0, 60)).Select(_ => Fragments[random.Next(Fragments.Length)])));
            }

            var messages = bodies.Select((body, i) =>
            {
                var message = Message($"Smuggle {i}", "ann@example.test");
                if (i % 3 == 2)
                {
                    message.TextBody = null;
                    message.HtmlBody = "<p>" + body + "</p>";
                }
                else
                {
                    message.TextBody = body;
                }

                return message;
            }).ToArray();

            var results = Send(Config(server.Port), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(bodies.Count, server.Delivered.Count);
            Assert.Equal(bodies.Count, server.CountCommands("MAIL FROM:"));
            Assert.All(server.Commands, c => Assert.Contains(c.Line.Split(' ', ':')[0], new[] { "EHLO", "MAIL", "RCPT", "DATA", "QUIT" }));
            Assert.DoesNotContain(server.Commands, c => c.Line.IndexOf("attacker", StringComparison.OrdinalIgnoreCase) >= 0);
            Assert.Equal(1, server.Connections);
            for (var i = 0; i < bodies.Count; i++)
            {
                var delivered = Assert.Single(server.Delivered, t => t.Data.Contains($"Subject: Smuggle {i}\r\n"));
                AssertCleanData(delivered.RawData, $"message {i}");
                if (i % 3 != 2)
                {
                    // What arrives is the text given, each CR, LF or CRLF one line break: no more, no less. MimeKit
                    // hands decoded text back with LF line breaks (the wire itself is checked above), and the data
                    // ends with a line break, as SMTP wants the line before the final "." to.
                    var parsed = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered.Data)));
                    var expected = MessageBuilder.NormalizeLineEndings(bodies[i]).Replace("\r\n", "\n");
                    expected = expected.EndsWith("\n", StringComparison.Ordinal) ? expected : expected + "\n";
                    Assert.Equal(expected, (parsed.TextBody ?? string.Empty).Replace("\r\n", "\n"));
                }
            }
        }

        [Theory]
        [InlineData("Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@attacker.test>\r\n.\r\n")]
        [InlineData("Subject: x\r\n\r\nbody\r.\rmore\r\n.\r\n")]
        [InlineData("Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<evil@attacker.test>\r\n.\r\n")]
        [InlineData("Subject: x\r\n\r\nbody\r\n.\rmore\r\n.\r\n")]
        public void The_wire_check_itself_catches_smuggled_data(string raw)
        {
            // The check the battery relies on fails on what a smuggling client would send.
            Assert.ThrowsAny<Exception>(() => AssertCleanData(Encoding.ASCII.GetBytes(raw), "smuggled"));
            AssertCleanData(Encoding.ASCII.GetBytes("Subject: x\r\n\r\nbody\r\n..\r\n.\r\n"), "clean");
        }

        [Theory]
        [MemberData(nameof(Fields))]
        public void A_line_break_in_any_header_input_is_refused_before_connecting_or_never_creates_a_header_or_a_recipient(string field)
        {
            using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(Config(server.Port));
            var baseline = mailer.Prepare(Build(field, string.Empty));
            var prepared = new List<(string Payload, PreparedMessage Message)> { (string.Empty, baseline) };
            var refused = 0;
            var skipped = 0;
            foreach (var payload in Payloads)
            {
                if (field == "AttachmentFileName" && payload.IndexOf('\0') >= 0)
                {
                    skipped++;
                    continue; // no file system takes NUL in a name
                }

                SmtpMessage message;
                try
                {
                    message = Build(field, payload);
                }
                catch (IOException)
                {
                    skipped++;
                    continue; // a name this file system refuses can't be attached
                }

                try
                {
                    prepared.Add((payload, mailer.Prepare(message)));
                }
                catch (SmtpHandlerException ex)
                {
                    Assert.True(RefusalIds.Contains(ex.ErrorId), $"{field} + {Escape(payload)}: unexpected ErrorId {ex.ErrorId}: {ex.Message}");
                    Assert.False(string.IsNullOrEmpty(ex.ParameterName));
                    refused++;
                }
            }

            // Refused input opened no connection.
            Assert.Equal(0, server.Connections);

            var results = mailer.Send(prepared.Select(p => p.Message).ToList()).ToList();

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(prepared.Count, server.Delivered.Count);
            Assert.DoesNotContain(server.Commands, c => c.Line.IndexOf("attacker", StringComparison.OrdinalIgnoreCase) >= 0);
            var expectedHeaders = HeaderNames(server.Delivered[0].Data);
            for (var i = 0; i < prepared.Count; i++)
            {
                var delivered = server.Delivered[i];
                var what = $"{field} + {Escape(prepared[i].Payload)}";
                AssertCleanData(delivered.RawData, what);
                Assert.Equal(prepared[i].Message.Recipients.OrderBy(a => a), delivered.To.OrderBy(a => a));
                Assert.DoesNotContain(delivered.To, a => a.Contains("attacker"));
                Assert.Equal(expectedHeaders, HeaderNames(delivered.Data));
                Assert.False(InjectedHeader.IsMatch(delivered.Data), $"{what}: a line of the message starts like an injected header:\n{delivered.Data}");
            }

            // Every field is checked: either something was refused, or everything was sent harmlessly.
            Assert.Equal(Payloads.Length + 1, prepared.Count + refused + skipped);
            Assert.True(skipped <= 1, $"{skipped} payloads could not be tried");
        }

        /// <summary>Data as it came off the wire: CRLF only, ended by the one and only "CRLF . CRLF".</summary>
        private static void AssertCleanData(byte[] raw, string what)
        {
            var text = Encoding.Latin1.GetString(raw);
            Assert.True(text.EndsWith("\r\n.\r\n", StringComparison.Ordinal), $"{what}: the data does not end with CRLF . CRLF");
            Assert.True(text.IndexOf("\r\n.\r\n", StringComparison.Ordinal) == text.Length - 5, $"{what}: CRLF . CRLF before the end of the data");
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\r')
                {
                    Assert.True(i + 1 < text.Length && text[i + 1] == '\n', $"{what}: bare CR at byte {i}");
                }
                else if (text[i] == '\n')
                {
                    Assert.True(i > 0 && text[i - 1] == '\r', $"{what}: bare LF at byte {i}");
                }
            }

            var lines = text.Substring(0, text.Length - 2).Split("\r\n");
            Assert.Equal(".", lines[^1]);
            Assert.DoesNotContain(".", lines.Take(lines.Length - 1));
        }

        /// <summary>The names of the top-level header fields, in order.</summary>
        private static List<string> HeaderNames(string data)
        {
            var block = data.Substring(0, data.IndexOf("\r\n\r\n", StringComparison.Ordinal));
            return block.Split("\r\n").Where(l => l.Length > 0 && l[0] != ' ' && l[0] != '\t').Select(l => l.Substring(0, l.IndexOf(':'))).ToList();
        }

        private static string Escape(string text) => string.Concat(text.Select(c => c < 32 || c > 126 ? $"\\u{(int)c:x4}" : c.ToString()));

        /// <summary>A message whose <paramref name="field"/> carries <paramref name="payload"/>; every field present in each.</summary>
        private SmtpMessage Build(string field, string payload)
        {
            var message = new SmtpMessage
            {
                From = "Reports <reports@example.test>",
                To = new[] { "Ann <ann@example.test>" },
                Cc = new[] { "cc@example.test" },
                Bcc = new[] { "bcc@example.test" },
                ReplyTo = new[] { "replies@example.test" },
                Sender = "bounces@example.test",
                Subject = "Report",
                TextBody = "Body",
                Headers = { ["X-Report"] = "v" },
            };
            switch (field)
            {
                case "Subject":
                    message.Subject = "Report" + payload;
                    break;
                case "FromDisplayName":
                    message.From = $"Reports{payload} <reports@example.test>";
                    break;
                case "QuotedFromDisplayName":
                    message.From = $"\"Reports{payload}\" <reports@example.test>";
                    break;
                case "FromAddress":
                    message.From = "reports@example.test" + payload;
                    break;
                case "ToDisplayName":
                    message.To = new[] { $"Ann{payload} <ann@example.test>" };
                    break;
                case "ToAddress":
                    message.To = new[] { "ann@example.test" + payload };
                    break;
                case "Cc":
                    message.Cc = new[] { "cc@example.test" + payload };
                    break;
                case "Bcc":
                    message.Bcc = new[] { "bcc@example.test" + payload };
                    break;
                case "ReplyTo":
                    message.ReplyTo = new[] { "replies@example.test" + payload };
                    break;
                case "Sender":
                    message.Sender = "bounces@example.test" + payload;
                    break;
                case "HeaderValue":
                    message.Headers["X-Report"] = "v" + payload;
                    break;
                case "HeaderName":
                    message.Headers.Clear();
                    message.Headers["X-Report" + payload] = "v";
                    break;
                case "MessageId":
                    message.MessageId = $"id{Guid.NewGuid():N}{payload}@example.test";
                    break;
                case "AttachmentFileName":
                {
                    var folder = Path.Combine(directory, Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(folder);
                    var path = Path.Combine(folder, "report" + payload.Replace('/', '_') + ".txt");
                    File.WriteAllText(path, "attached");
                    message.Attachments.Add(new SmtpAttachment(path));
                    break;
                }

                case "InlineImageContentId":
                {
                    var path = Path.Combine(directory, "logo.png");
                    File.WriteAllBytes(path, new byte[] { 0x89, 0x50, 0x4E, 0x47 });
                    message.HtmlBody = "<img src=\"cid:logo\">";
                    message.InlineImages.Add(new SmtpAttachment(path, "logo" + payload));
                    break;
                }
            }

            return message;
        }
    }
}
