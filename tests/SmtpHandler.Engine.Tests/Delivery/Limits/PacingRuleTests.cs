using System;
using System.Linq;
using System.Net.Sockets;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The pure rules of the governor, without a socket: pacing, the day's budget, what limit replies mean, service profiles.</summary>
    public sealed class PacingRuleTests
    {
        private static readonly DateTime Start = new(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc);

        [Fact]
        public void Spaces_240_a_minute_a_quarter_second_apart_with_no_burst()
        {
            var pacer = new MessagePacer(240);

            // Twelve wanted at the same instant (four connections at once): each gets its own slot, 250 ms apart.
            var slots = Enumerable.Range(0, 12).Select(_ => pacer.Reserve(Start)).ToList();

            Assert.Equal(Start, slots[0]);
            Assert.All(slots.Zip(slots.Skip(1), (a, b) => b - a), gap => Assert.Equal(TimeSpan.FromMilliseconds(250), gap));
            Assert.Equal(TimeSpan.FromSeconds(2.75), slots[^1] - slots[0]);
        }

        [Fact]
        public void Gives_the_slot_at_once_when_the_interval_has_passed_and_never_stores_up_credit()
        {
            var pacer = new MessagePacer(30);

            Assert.Equal(Start, pacer.Reserve(Start));
            Assert.Equal(Start.AddSeconds(2), pacer.Reserve(Start.AddSeconds(1)));

            // A long pause gives no burst afterwards: the next after it waits the full interval again.
            var late = Start.AddMinutes(10);
            Assert.Equal(late, pacer.Reserve(late));
            Assert.Equal(late.AddSeconds(2), pacer.Reserve(late));
        }

        [Fact]
        public void Does_not_pace_without_a_rate_until_a_server_throttles_then_doubles_up_to_a_minute()
        {
            var pacer = new MessagePacer(0);
            Assert.Equal(TimeSpan.Zero, pacer.Interval);
            Assert.Equal(Start, pacer.Reserve(Start));
            Assert.Equal(Start, pacer.Reserve(Start));

            Assert.Equal(MessagePacer.FirstThrottledInterval, pacer.SlowDown());
            Assert.Equal(TimeSpan.FromSeconds(1), pacer.SlowDown());
            for (var i = 0; i < 10; i++)
            {
                pacer.SlowDown();
            }

            Assert.Equal(MessagePacer.LongestInterval, pacer.Interval);
        }

        [Fact]
        public void Budget_grants_what_is_left_of_the_day_and_frees_it_24_hours_after_each_send()
        {
            var budget = new RecipientBudget(25);

            Assert.Equal(20, budget.Take(20, Start));
            Assert.Equal(5, budget.Take(10, Start.AddHours(1)));
            Assert.Equal(0, budget.Take(1, Start.AddHours(2)));
            Assert.Equal(Start.AddHours(24), budget.NextRoomUtc(Start.AddHours(2)));

            // A day after the first 20, they leave the window; the 5 of an hour later are still in it.
            Assert.Equal(20, budget.Take(30, Start.AddHours(24)));
            Assert.Equal(25, budget.Used(Start.AddHours(24)));
        }

        [Fact]
        public void Budget_counts_earlier_runs_from_the_state_file_and_takes_back_what_was_not_accepted()
        {
            var earlier = Enumerable.Range(0, 8).Select(i => Start.AddHours(-30 + i * 2)).ToList();
            var budget = new RecipientBudget(10, earlier);

            // Of the eight earlier, those of the last 24 hours count: -30 h to -24 h have left the window.
            Assert.Equal(4, budget.Used(Start));
            Assert.Equal(6, budget.Take(9, Start));
            budget.Refund(2);
            Assert.Equal(8, budget.Used(Start));
            Assert.Equal(2, budget.Take(5, Start));
        }

        [Fact]
        public void No_budget_grants_everything()
        {
            var budget = new RecipientBudget(0);

            Assert.Equal(100_000, budget.Take(100_000, Start));
            Assert.Null(budget.NextRoomUtc(Start));
        }

        [Theory]
        [InlineData(554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message", "QuotaExceeded")]
        [InlineData(550, "5.5.105 Recipient not allowed by the quota of this account", "QuotaExceeded")]
        [InlineData(550, "5.4.5 Daily user sending limit exceeded.", "QuotaExceeded")]
        [InlineData(550, "5.7.1 Daily SMTP relay limit exceeded for user", "QuotaExceeded")]
        [InlineData(432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", "TooManyConnections")]
        [InlineData(421, "4.7.0 smtp.test Error: too many connections, try again later", "TooManyConnections")]
        [InlineData(421, "4.3.2 Service shutting down", "None")]
        [InlineData(451, "4.7.500 Server busy. Please try again later", "Throttled")]
        [InlineData(450, "4.2.1 Peak SMTP relay limit exceeded for customer", "Throttled")]
        [InlineData(451, "4.3.0 Slow down, please", "Throttled")]
        [InlineData(451, "4.3.0 Error: queue file write error", "None")]
        [InlineData(451, "4.3.0 Please try again at a separate time", "None")]
        [InlineData(421, "4.7.28 Our system has detected an unusual rate of unsolicited mail", "Throttled")]
        [InlineData(550, "5.1.1 <x@example.test>: Recipient address rejected: User unknown", "None")]
        [InlineData(452, "4.5.3 Error: too many recipients", "None")]
        public void Tells_a_limit_reply_from_any_other(int code, string text, string expected)
        {
            Assert.Equal(expected, ServerLimitReply.Classify(code, text).ToString());
        }

        [Fact]
        public void A_refused_first_connection_is_not_retried_but_a_refused_reconnect_is()
        {
            var refused = new SmtpHandlerException("ConnectionFailed", SmtpFailureKind.ConnectionFailed, "Could not connect", null, new SocketException((int)SocketError.ConnectionRefused)) { Transient = true };
            var timedOut = new SmtpHandlerException("ConnectionTimedOut", SmtpFailureKind.Timeout, "No answer", null, new TimeoutException()) { Transient = true };

            Assert.False(RetryPolicy.MayRetryConnect(refused, connectionsMade: 0));
            Assert.True(RetryPolicy.MayRetryConnect(refused, connectionsMade: 1));
            Assert.True(RetryPolicy.MayRetryConnect(timedOut, connectionsMade: 0));
        }

        [Theory]
        [InlineData(SmtpService.ExchangeOnline, "smtp.office365.com", 30.0, 500, 3, 10_000)]
        [InlineData(SmtpService.ExchangeOnlineHve, "smtp.hve.mx.microsoft", 0.0, 500, 0, 100_000)]
        [InlineData(SmtpService.AzureCommunicationServices, "smtp.azurecomm.net", 30.0, 50, 250, 0)]
        [InlineData(SmtpService.Gmail, "smtp.gmail.com", 0.0, 100, 0, 10_000)]
        public void A_service_config_starts_from_its_documented_endpoint_and_limits(SmtpService service, string host, double perMinute, int perMessage, int connections, int perDay)
        {
            var config = SmtpHandlerConfig.ForService(service).Validate();

            Assert.Equal(host, config.SmtpServer);
            Assert.Equal(587, config.Port);
            Assert.Equal(SmtpTlsMode.StartTls, config.TlsMode);
            Assert.Equal(perMinute, config.MaxMessagesPerMinute);
            Assert.Equal(perMessage, config.RecipientsPerMessage);
            Assert.Equal(connections, config.MaxConnections);
            Assert.Equal(perDay, config.RecipientsPerDay);
            Assert.StartsWith("https://", ServiceProfile.For(service)!.Source);
        }

        [Fact]
        public void Describes_each_limit_and_where_it_came_from()
        {
            var config = SmtpHandlerConfig.ForService(SmtpService.ExchangeOnline) with { MaxMessagesPerMinute = 20, MaxConnections = 0 };

            Assert.Equal("20 (given)", config.DescribeLimit(nameof(SmtpHandlerConfig.MaxMessagesPerMinute)));
            Assert.Equal("500 (ExchangeOnline default)", config.DescribeLimit(nameof(SmtpHandlerConfig.RecipientsPerMessage)));
            Assert.Equal("none (given)", config.DescribeLimit(nameof(SmtpHandlerConfig.MaxConnections)));
            Assert.Equal("none", new SmtpHandlerConfig().DescribeLimit(nameof(SmtpHandlerConfig.RecipientsPerDay)));
        }
    }
}
