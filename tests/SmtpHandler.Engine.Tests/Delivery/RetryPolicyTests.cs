using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Whether a transient failure is tried again, and how a recipient ends once retries are used up.</summary>
    public sealed class RetryPolicyTests
    {
        [Theory]
        [InlineData(0, 0, false)]
        [InlineData(0, 2, true)]
        [InlineData(1, 2, true)]
        [InlineData(2, 2, false)]
        public void Retries_until_RetryCount_retries_are_used(int used, int retryCount, bool expected)
        {
            Assert.Equal(expected, RetryPolicy.MayRetry(used, retryCount));
        }

        [Fact]
        public void Gives_up_as_Rejected_with_the_server_s_last_reply()
        {
            var result = RetryPolicy.GiveUp("ann@example.test", 451, "4.3.0 Try later", 3);

            Assert.Equal(SmtpRecipientStatus.Rejected, result.Status);
            Assert.Equal(451, result.ReplyCode);
            Assert.Equal("4.3.0 Try later", result.Reply);
            Assert.Equal("Still refused after 3 retries.", result.Reason);
        }

        [Fact]
        public void Gives_up_as_NotAttempted_with_why_when_the_server_never_answered()
        {
            var result = RetryPolicy.GiveUp("ann@example.test", null, "Connection lost: reset", 2);

            Assert.Equal(SmtpRecipientStatus.NotAttempted, result.Status);
            Assert.Null(result.ReplyCode);
            Assert.Equal("Connection lost: reset (gave up after 2 retries).", result.Reason);
        }
    }
}
