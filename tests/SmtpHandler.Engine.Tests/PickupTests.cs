using System;
using System.IO;
using System.Linq;
using MimeKit;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Pickup-folder mode: each transaction an .eml file that MimeKit parses back, with its envelope.</summary>
    public sealed class PickupTests : IDisposable
    {
        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-pickup-" + Guid.NewGuid().ToString("N"));

        public PickupTests() => Directory.CreateDirectory(directory);

        public void Dispose()
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, true);
            }
        }

        private SmtpHandlerConfig Config(int recipientsPerMessage = 0) =>
            new SmtpHandlerConfig { PickupDirectory = directory, RecipientsPerMessage = recipientsPerMessage }.Validate();

        private static SmtpMessage Message() => new()
        {
            From = "Reports <reports@example.test>",
            To = new[] { "ann@example.test", "bob@example.test" },
            Cc = new[] { "cat@example.test" },
            Bcc = new[] { "dan@example.test", "eve@example.test" },
            Subject = "Pickup report",
            TextBody = "All good.",
        };

        [Fact]
        public void Writes_one_parseable_eml_per_transaction_with_the_envelope_and_no_Bcc_header()
        {
            var mailer = new SmtpMailer(Config(recipientsPerMessage: 2));

            var result = mailer.Send(new[] { mailer.Prepare(Message()) }).Single();

            Assert.Equal(SmtpSendStatus.WrittenToPickup, result.Status);
            Assert.True(result.Success);
            Assert.Equal(3, result.Transactions);
            Assert.Equal(0, result.Connections);
            Assert.Equal(3, result.PickupFiles.Count);
            Assert.Equal(result.PickupFiles.OrderBy(f => f), Directory.GetFiles(directory).OrderBy(f => f));
            Assert.All(result.PickupFiles, f => Assert.EndsWith(".eml", f));
            Assert.Equal(5, result.Accepted.Count);

            var receivers = result.PickupFiles.Select(file =>
            {
                var parsed = MimeMessage.Load(file);
                Assert.Equal("reports@example.test", parsed.Headers["X-Sender"]);
                Assert.Equal("Pickup report", parsed.Subject);
                Assert.Equal(result.MessageId, parsed.MessageId);
                Assert.Equal(new[] { "ann@example.test", "bob@example.test" }, parsed.To.Mailboxes.Select(m => m.Address));
                Assert.Equal("cat@example.test", parsed.Cc.Mailboxes.Single().Address);
                Assert.Empty(parsed.Bcc);
                Assert.False(parsed.Headers.Contains(HeaderId.Bcc));
                Assert.Equal("All good.", parsed.TextBody?.Trim());
                Assert.DoesNotMatch("(?<!\r)\n", File.ReadAllText(file));
                var fileReceivers = parsed.Headers.Where(h => h.Field == "X-Receiver").Select(h => h.Value).ToList();
                Assert.InRange(fileReceivers.Count, 1, 2);
                return fileReceivers;
            }).SelectMany(r => r).ToList();

            Assert.Equal(new[] { "ann@example.test", "bob@example.test", "cat@example.test", "dan@example.test", "eve@example.test" }, receivers.OrderBy(r => r));
        }

        [Fact]
        public void Reports_recipients_NotAttempted_when_the_folder_disappears_and_leaves_no_partial_file()
        {
            var config = Config();
            var mailer = new SmtpMailer(config);
            var prepared = mailer.Prepare(Message());
            Directory.Delete(directory, true);

            var result = mailer.Send(new[] { prepared }).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("PickupWriteFailed", result.ErrorId);
            Assert.Equal(5, result.NotAttempted.Count);
            Assert.All(result.NotAttempted, r => Assert.Contains(directory, r.Reason));
            Assert.Empty(result.PickupFiles);
        }

        [Fact]
        public void Refuses_a_pickup_directory_that_does_not_exist_naming_the_parameter()
        {
            var missing = Path.Combine(directory, "missing");

            var ex = Assert.Throws<SmtpHandlerException>(() => new SmtpHandlerConfig { PickupDirectory = missing }.Validate());

            Assert.Equal("InvalidConfiguration", ex.ErrorId);
            Assert.Equal("PickupDirectory", ex.ParameterName);
            Assert.Contains(missing, ex.Message);
        }
    }
}
