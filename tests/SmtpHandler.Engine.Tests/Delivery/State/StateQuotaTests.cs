using System;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The state file's quota line: written when a quota is met, read back by a rerun; files without it read as before.</summary>
    public sealed class StateQuotaTests
    {
        private const string Header = "{\"smtpHandlerState\":1,\"created\":\"2026-12-06T00:00:00Z\",\"from\":\"news@example.test\",\"sender\":null,\"subject\":\"Hello\",\"textBody\":null,\"htmlBody\":null,\"attachments\":[]}\n";
        private const string Accepted = "{\"at\":\"2026-12-06T08:00:00.000Z\",\"rcpt\":\"ann@example.test\",\"status\":\"Accepted\",\"code\":250}\n";

        [Fact]
        public void A_file_written_before_quotas_were_recorded_reads_as_before_with_no_quota()
        {
            var content = StateFileContent.Parse(Encoding.UTF8.GetBytes(Header + Accepted));

            Assert.Null(content.Quota);
            Assert.Single(content.Last);
        }

        [Fact]
        public void Reads_back_the_quota_line_it_writes_the_latest_winning()
        {
            var until = new DateTime(2026, 12, 7, 8, 0, 0, DateTimeKind.Utc);
            var earlier = new StateQuota(until.AddHours(-5), "older").ToJsonLine();
            var line = new StateQuota(until, "554 5.2.0 SubmissionQuotaExceededException \"quoted\"").ToJsonLine();

            var content = StateFileContent.Parse(Encoding.UTF8.GetBytes(Header + Accepted + earlier + line));

            Assert.Equal(until, content.Quota!.UntilUtc);
            Assert.Equal("554 5.2.0 SubmissionQuotaExceededException \"quoted\"", content.Quota.Reason);
            Assert.Single(content.Last);
        }

        [Fact]
        public void A_quota_line_with_an_unreadable_time_is_refused_like_any_unknown_line()
        {
            var text = Header + "{\"at\":\"2026-12-06T08:00:00.000Z\",\"quotaUntil\":\"tomorrow\"}\n";

            var error = Assert.Throws<FormatException>(() => StateFileContent.Parse(Encoding.UTF8.GetBytes(text)));
            Assert.Contains("line 2", error.Message);
        }
    }
}
