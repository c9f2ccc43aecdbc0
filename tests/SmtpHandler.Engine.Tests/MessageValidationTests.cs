using System;
using System.Linq;
using Xunit;

namespace SmtpHandler.Tests
{
    public sealed class MessageValidationTests
    {
        private static readonly SmtpMailer Mailer = new(new SmtpHandlerConfig { SmtpServer = "127.0.0.1", Port = 1 }.Validate());

        [Fact]
        public void Validate_checks_a_template_without_recipients()
        {
            Mailer.Validate(new SmtpMessage { From = "ops@example.test", Subject = "Hello {Name}", TextBody = "x" });
        }

        [Theory]
        [InlineData("NoSender", null, "x")]
        [InlineData("HeaderInjection", "ops@example.test", "a\r\nBcc: v@example.test")]
        [InlineData("InvalidMailAddress", "not an address", "x")]
        public void Validate_finds_what_is_wrong_with_a_template(string errorId, string? from, string subject)
        {
            var ex = Assert.Throws<SmtpHandlerException>(() => Mailer.Validate(new SmtpMessage { From = from, Subject = subject }));
            Assert.Equal(errorId, ex.ErrorId);
        }

        [Fact]
        public void An_invalid_recipient_is_kept_with_the_InvalidMailAddress_error_id()
        {
            var prepared = Mailer.Prepare(new SmtpMessage { From = "ops@example.test", To = { "ann@example.test", "bad@@example.test" } }, skipInvalidRecipients: true);

            Assert.Equal(new[] { "ann@example.test" }, prepared.Recipients);
            var refused = Assert.Single(prepared.RefusedBeforeSending);
            Assert.Equal("bad@@example.test", refused.Address);
            Assert.Equal("InvalidMailAddress", refused.ErrorId);
            Assert.Equal(SmtpRecipientStatus.NotAttempted, refused.Status);
        }

        [Theory]
        [InlineData("a@example.test", new[] { "a@example.test" })]
        [InlineData("a@example.test, b@example.test", new[] { "a@example.test", "b@example.test" })]
        [InlineData("\"Doe, John\" <j@example.test>", new[] { "\"Doe, John\" <j@example.test>" })]
        [InlineData("a@example.test, \"Doe, John\" <j@example.test>", new[] { "a@example.test", "\"Doe, John\" <j@example.test>" })]
        [InlineData("not, a list@", new[] { "not, a list@" })]
        public void MailAddressList_splits_comma_lists_as_Send_MailMessage_did(string text, string[] expected)
        {
            Assert.Equal(expected, MailAddressList.Split(text).ToArray());
        }
    }
}
