using System;
using System.IO;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The reply-code classes delivery acts on, and which exceptions mean a lost connection.</summary>
    public sealed class ReplyCodesTests
    {
        [Theory]
        [InlineData(250, "Accepted")]
        [InlineData(251, "Accepted")]
        [InlineData(421, "Transient")]
        [InlineData(451, "Transient")]
        [InlineData(452, "Transient")]
        [InlineData(550, "Permanent")]
        [InlineData(554, "Permanent")]
        [InlineData(354, "Permanent")]
        public void Classifies_a_reply_by_its_first_digit(int code, string expected)
        {
            Assert.Equal(expected, ReplyCodes.Classify(code).ToString());
        }

        [Theory]
        [InlineData(452, "4.5.3 Error: too many recipients", true)]
        [InlineData(452, "4.2.2 Mailbox full", true)]
        [InlineData(552, "5.5.3 Recipient limit exceeded", true)]
        [InlineData(552, "Too Many Recipients", true)]
        [InlineData(552, "5.2.2 Mailbox full", false)]
        [InlineData(451, "4.5.3 too many recipients", false)]
        [InlineData(550, "too many", false)]
        public void Knows_the_replies_that_may_say_too_many_recipients(int code, string text, bool expected)
        {
            Assert.Equal(expected, ReplyCodes.SaysTooManyRecipients(code, text));
        }

        [Fact]
        public void Takes_a_broken_or_closed_line_as_a_lost_connection()
        {
            Assert.True(ConnectionLoss.Means(new IOException("reset")));
            Assert.True(ConnectionLoss.Means(new SocketException((int)SocketError.ConnectionReset)));
            Assert.True(ConnectionLoss.Means(new SmtpProtocolException("unexpected end")));
            Assert.True(ConnectionLoss.Means(new ServiceNotConnectedException()));
            Assert.True(ConnectionLoss.Means(new TimeoutException()));
            Assert.True(ConnectionLoss.Means(new OperationCanceledException()));
            Assert.True(ConnectionLoss.Means(new SmtpCommandException(SmtpErrorCode.UnexpectedStatusCode, (SmtpStatusCode)421, "closing")));
        }

        [Fact]
        public void Does_not_take_a_refusal_or_a_bug_as_a_lost_connection()
        {
            Assert.False(ConnectionLoss.Means(new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, (SmtpStatusCode)451, "later")));
            Assert.False(ConnectionLoss.Means(new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, (SmtpStatusCode)554, "no")));
            Assert.False(ConnectionLoss.Means(new InvalidOperationException()));
        }
    }
}
