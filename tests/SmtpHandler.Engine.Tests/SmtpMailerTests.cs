using System;
using System.Linq;
using System.Threading.Tasks;
using System.Text.RegularExpressions;
using Xunit;

namespace SmtpHandler.Tests
{
    public sealed class SmtpMailerTests
    {
        private static SmtpHandlerConfig ConfigFor(SmtpTestServer server, int recipientsPerMessage = 0) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = server.Port,
            RecipientsPerMessage = recipientsPerMessage,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
        }.Validate();

        private static SmtpMessage Message(string subject, params string[] to) => new()
        {
            From = "Reports <reports@example.test>",
            To = to,
            Subject = subject,
            TextBody = "Line one\nLine two",
        };

        [Fact]
        public async Task Delivers_one_message_with_its_envelope_and_content()
        {
            await using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(ConfigFor(server));

            var result = mailer.Send(new[] { mailer.Prepare(Message("Disk report", "ann@example.test")) }).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal("ann@example.test", Assert.Single(result.Accepted).Address);
            var received = Assert.Single(server.Delivered);
            Assert.Equal("reports@example.test", received.From);
            Assert.Equal(new[] { "ann@example.test" }, received.To);
            Assert.Contains("Subject: Disk report", received.Data);
            Assert.Contains("Line one\r\nLine two", received.Data);
            Assert.Contains($"Message-Id: <{result.MessageId}>", received.Data, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public async Task Sends_three_messages_over_one_connection()
        {
            await using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(ConfigFor(server));
            var messages = Enumerable.Range(1, 3).Select(i => mailer.Prepare(Message($"Report {i}", $"user{i}@example.test"))).ToList();

            var results = mailer.Send(messages).ToList();

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(3, server.Delivered.Count);
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public async Task Opens_no_connection_for_no_messages()
        {
            await using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(ConfigFor(server));

            Assert.Empty(mailer.Send(Array.Empty<PreparedMessage>()).ToList());

            await Task.Delay(200);
            Assert.Equal(0, server.Connections);
        }

        [Fact]
        public async Task A_refused_recipient_does_not_cancel_the_others_and_is_reported_with_the_reply()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RejectRecipients = new Regex("^nobody") });
            var mailer = new SmtpMailer(ConfigFor(server));

            var result = mailer.Send(new[] { mailer.Prepare(Message("Hello", "ann@example.test", "nobody@example.test", "bob@example.test")) }).Single();

            Assert.Equal(SmtpSendStatus.PartiallySent, result.Status);
            Assert.Equal(new[] { "ann@example.test", "bob@example.test" }, result.Accepted.Select(r => r.Address));
            var rejected = Assert.Single(result.Rejected);
            Assert.Equal("nobody@example.test", rejected.Address);
            Assert.Equal(550, rejected.ReplyCode);
            Assert.False(string.IsNullOrEmpty(rejected.Reply));
            Assert.Equal(new[] { "ann@example.test", "bob@example.test" }, Assert.Single(server.Delivered).To);
        }

        [Fact]
        public async Task Splits_recipients_into_transactions_of_RecipientsPerMessage_on_one_connection()
        {
            await using var server = new SmtpTestServer();
            var mailer = new SmtpMailer(ConfigFor(server, recipientsPerMessage: 4));
            var to = Enumerable.Range(1, 10).Select(i => $"user{i}@example.test").ToArray();

            var result = mailer.Send(new[] { mailer.Prepare(Message("Batched", to)) }).Single();

            Assert.Equal(10, result.Accepted.Count);
            Assert.Equal(3, result.Transactions);
            Assert.Equal(new[] { 4, 4, 2 }, server.Delivered.Select(t => t.To.Count));
            Assert.Equal(1, server.Connections);
            Assert.Single(server.Delivered.Select(t => t.Data).Distinct());
        }

        [Fact]
        public void Refuses_a_message_without_any_sender_before_connecting()
        {
            var mailer = new SmtpMailer(new SmtpHandlerConfig { SmtpServer = "127.0.0.1", Port = 9 }.Validate());
            var ex = Assert.Throws<SmtpHandlerException>(() => mailer.Prepare(new SmtpMessage { To = new[] { "ann@example.test" }, Subject = "x" }));
            Assert.Equal("NoSender", ex.ErrorId);
        }
    }
}
