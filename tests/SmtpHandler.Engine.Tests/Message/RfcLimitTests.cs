using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Lines over the RFC limits are refused before any connection: a header line over 998 octets that can't be
    /// folded (RFC 5322), a local part over 64 octets, a domain over 255, an address that would make the path of
    /// MAIL FROM or RCPT TO over 256 octets (RFC 5321: the limit that keeps those commands within 512 octets
    /// with room for their parameters). A long value MimeKit can fold (it
    /// splits an unbreakable word into encoded-words) is sent, in lines of at most 998 octets.
    /// </summary>
    public sealed class RfcLimitTests : IDisposable
    {
        private static readonly string Label63 = new('d', 63);
        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-rfc-" + Guid.NewGuid().ToString("N"));

        public RfcLimitTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, true);

        [Fact]
        public void A_header_name_that_makes_a_line_over_998_octets_is_refused()
        {
            var error = Refused(Message(headers: new Dictionary<string, string> { [new string('X', 2000)] = "1" }));

            Assert.Equal("HeaderLineTooLong", error.ErrorId);
            Assert.Equal("Header", error.ParameterName);
            Assert.Contains("998", error.Message);
            Assert.True(error.Message.Length < 400, "the message must not repeat the whole name");
        }

        [Fact]
        public void A_Message_Id_that_makes_a_line_over_998_octets_is_refused()
        {
            var error = Refused(Message(messageId: new string('m', 3000) + "@example.test"));

            Assert.Equal("HeaderLineTooLong", error.ErrorId);
            Assert.Equal("MessageId", error.ParameterName);
        }

        [Fact]
        public void A_message_id_in_a_References_header_that_cannot_be_folded_is_refused()
        {
            var error = Refused(Message(headers: new Dictionary<string, string> { ["References"] = "<" + new string('r', 2000) + "@example.test>" }));

            Assert.Equal("HeaderLineTooLong", error.ErrorId);
            Assert.Equal("Header", error.ParameterName);
        }

        [Fact]
        public void A_local_part_over_64_octets_is_an_invalid_address_in_any_role()
        {
            var longLocal = new string('l', 1000) + "@example.test";

            var to = Refused(Message(to: longLocal));
            Assert.Equal("InvalidMailAddress", to.ErrorId);
            Assert.Equal("To", to.ParameterName);
            Assert.Contains("local part", to.Message);
            Assert.Contains("64", to.Message);

            var from = Refused(Message(from: longLocal));
            Assert.Equal("InvalidMailAddress", from.ErrorId);
            Assert.Equal("From", from.ParameterName);

            Assert.Equal("DefaultFrom", Assert.Throws<SmtpHandlerException>(() => new SmtpHandlerConfig { DefaultFrom = longLocal }.Validate()).ParameterName);

            var skipped = MessageBuilder.Prepare(Message(to: longLocal, also: "ok@example.test"), new SmtpHandlerConfig(), skipInvalidRecipients: true);
            var refused = Assert.Single(skipped.RefusedBeforeSending);
            Assert.Equal("InvalidMailAddress", refused.ErrorId);
        }

        [Fact]
        public void A_domain_over_255_octets_is_an_invalid_address()
        {
            var domain = string.Join(".", Enumerable.Repeat(Label63, 4)) + ".test"; // 256 + 5 octets
            var error = Refused(Message(to: "a@" + domain));

            Assert.Equal("InvalidMailAddress", error.ErrorId);
            Assert.Contains("domain", error.Message);
            Assert.Contains("255", error.Message);
        }

        [Fact]
        public void An_address_that_would_make_the_SMTP_path_over_256_octets_is_refused_and_254_is_not()
        {
            var local = new string('l', 64);
            var domain190 = string.Join(".", Enumerable.Repeat(Label63, 3)) + ".t"; // 63*3 + 2 + 2 = 193 octets
            var over = local + "@" + domain190; // 258 octets
            var error = Refused(Message(to: over));
            Assert.Equal("InvalidMailAddress", error.ErrorId);
            Assert.Contains("254", error.Message);

            var exactly254 = new string('l', 60) + "@" + domain190;
            Assert.Equal(254, exactly254.Length);
            Assert.Equal(exactly254, Assert.Single(MessageBuilder.Prepare(Message(to: exactly254), new SmtpHandlerConfig(), false).RecipientMailboxes).Address);
        }

        [Fact]
        public void An_unbreakable_2000_character_value_and_subject_are_folded_into_lines_of_at_most_998_octets_that_parse_back()
        {
            var token = new string('v', 2000);
            var config = new SmtpHandlerConfig { PickupDirectory = directory }.Validate();
            var mailer = new SmtpMailer(config);
            var message = Message(
                to: new string('l', 64) + "@" + string.Join(".", Enumerable.Repeat(Label63, 2)) + ".example.test",
                headers: new Dictionary<string, string> { ["X-Token"] = token, [new string('H', 900)] = "short" },
                subject: "s" + token);

            var file = Assert.Single(mailer.Send(new[] { mailer.Prepare(message) }).Single().PickupFiles);

            var longest = File.ReadAllBytes(file).Aggregate((Line: 0, Max: 0), (a, b) => b == (byte)'\n' ? (0, Math.Max(a.Max, a.Line)) : (a.Line + 1, a.Max)).Max;
            Assert.True(longest <= 999, $"a line of {longest} octets (CR included)");
            var parsed = MimeKit.MimeMessage.Load(file);
            Assert.Equal(token, parsed.Headers["X-Token"]);
            Assert.Equal("s" + token, parsed.Subject);
            PythonAgrees(file, token);
        }

        /// <summary>An independent reader: Python's email package parses the file, and every line is at most 998 octets.</summary>
        private static void PythonAgrees(string file, string token)
        {
            const string Script =
                "import sys, email, email.policy\n" +
                "raw = open(sys.argv[1], 'rb').read()\n" +
                "lines = raw.split(b'\\r\\n')\n" +
                "assert max(len(l) for l in lines) <= 998, max(len(l) for l in lines)\n" +
                "assert all(b'\\n' not in l and b'\\r' not in l for l in lines)\n" +
                "m = email.message_from_bytes(raw, policy=email.policy.default)\n" +
                "assert str(m['X-Token']) == sys.argv[2], 'X-Token differs'\n" +
                "assert str(m['Subject']) == 's' + sys.argv[2], 'Subject differs'\n" +
                "print('ok', max(len(l) for l in lines))\n";
            ProcessStartInfo start = new("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(file);
            start.ArgumentList.Add(token);
            Process? python;
            try
            {
                python = Process.Start(start);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return; // No python3 on this machine: the checks in .NET above stand alone.
            }

            using (python)
            {
                var output = python!.StandardOutput.ReadToEnd() + python.StandardError.ReadToEnd();
                python.WaitForExit();
                Assert.True(python.ExitCode == 0, output);
                Assert.StartsWith("ok", output);
            }
        }

        private static SmtpHandlerException Refused(SmtpMessage message) =>
            Assert.Throws<SmtpHandlerException>(() => MessageBuilder.Prepare(message, new SmtpHandlerConfig(), skipInvalidRecipients: false));

        private static SmtpMessage Message(
            string from = "a@example.test",
            string to = "b@example.test",
            string? also = null,
            string? messageId = null,
            string subject = "limits",
            Dictionary<string, string>? headers = null) => new()
        {
            From = from,
            To = also == null ? new[] { to } : new[] { to, also },
            MessageId = messageId,
            Subject = subject,
            Headers = headers ?? new Dictionary<string, string>(),
            TextBody = "body",
        };
    }
}
