using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Retries, faults and accounting, each checked on the server side: what arrived, how often, over how many
    /// connections. The test server gives 4xx/5xx replies and what a real server won't on demand (drops, a reply
    /// lost after the final ".", 4xx to the DATA command).
    /// </summary>
    public sealed class DeliveryTests
    {
        /// <summary>The battery's configuration, with three retries unless a test says otherwise.</summary>
        private static SmtpHandlerConfig ConfigFor(int port, int recipientsPerMessage = 0, int retryCount = 3, int maxMessagesPerConnection = 0, int retryDelayMs = 10) =>
            Config(port, retryCount, recipientsPerMessage: recipientsPerMessage, maxMessagesPerConnection: maxMessagesPerConnection, retryDelayMs: retryDelayMs);

        [Fact]
        public async Task Retries_a_4xx_at_RCPT_once_then_delivers_once()
        {
            var offered = 0;
            await using var server = new SmtpTestServer(c =>
                c.Verb == "RCPT" && c.Argument == "ann@example.test" && Interlocked.Increment(ref offered) == 1 ? ServerAction.Reply("451 4.3.0 Try again later") : null);

            var result = Send(ConfigFor(server.Port), Message("Greylisted", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(2, offered);
            Assert.Equal(1, server.Delivered.Count(t => t.To.Contains("ann@example.test")));
            Assert.Equal(1, server.Delivered.Count(t => t.To.Contains("bob@example.test")));
            Assert.Equal(1, server.Connections);
            AssertEachRecipientOnce(result, new[] { "ann@example.test", "bob@example.test" });
        }

        [Fact]
        public async Task Retries_a_4xx_after_the_data_once_then_delivers_once()
        {
            var attempts = 0;
            await using var server = new SmtpTestServer(c =>
                c.Verb == "." && Interlocked.Increment(ref attempts) == 1 ? ServerAction.Reply("451 4.3.0 Queue busy") : null);

            var result = Send(ConfigFor(server.Port), Message("Busy", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(2, attempts);
            var received = Assert.Single(server.Delivered);
            Assert.Equal(new[] { "ann@example.test", "bob@example.test" }, received.To);
            Assert.Equal(1, result.Transactions);
        }

        [Fact]
        public void Retries_a_4xx_to_the_DATA_command_once_then_delivers_once()
        {
            using var server = new SmtpTestServer(c => c.Verb == "DATA" && c.Seen == 1 ? ServerAction.Reply("451 4.3.0 Not now") : null);

            var result = Send(ConfigFor(server.Port), Message("Later", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(2, server.CountCommands("DATA"));
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
        }

        [Fact]
        public void Does_not_retry_a_5xx_at_RCPT_and_reports_the_servers_code_and_text()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument.StartsWith("nobody", StringComparison.Ordinal)
                ? ServerAction.Reply("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown")
                : null);

            var result = Send(ConfigFor(server.Port), Message("Hello", "ann@example.test", "nobody@example.test")).Single();

            Assert.Equal(SmtpSendStatus.PartiallySent, result.Status);
            var rejected = Assert.Single(result.Rejected);
            Assert.Equal("nobody@example.test", rejected.Address);
            Assert.Equal(550, rejected.ReplyCode);
            Assert.Contains("User unknown", rejected.Reply);
            Assert.Equal(1, server.CountCommands("RCPT TO:<nobody@"));
            Assert.Equal(0, server.DeliveriesTo("nobody@example.test"));
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
        }

        [Fact]
        public void Does_not_retry_a_5xx_after_the_data_and_rejects_its_recipients_with_the_reply()
        {
            using var server = new SmtpTestServer(c => c.Verb == "." ? ServerAction.Reply("554 5.7.1 Message refused as spam") : null);

            var result = Send(ConfigFor(server.Port), Message("Offer", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal(2, result.Rejected.Count);
            Assert.All(result.Rejected, r => Assert.Equal(554, r.ReplyCode));
            Assert.All(result.Rejected, r => Assert.Contains("refused as spam", r.Reply));
            Assert.Equal(1, server.CountCommands("DATA"));
            Assert.Empty(server.Delivered);
        }

        [Fact]
        public void Reconnects_when_the_connection_drops_after_2_of_5_messages_and_delivers_each_once()
        {
            using var server = new SmtpTestServer(c => c.Verb == "MAIL" && c.Connection == 1 && c.DeliveredOnConnection == 2 ? ServerAction.Drop : null);
            var messages = Enumerable.Range(1, 5).Select(i => Message($"Report {i}", $"user{i}@example.test")).ToArray();

            var results = Send(ConfigFor(server.Port), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(5, server.Delivered.Count);
            for (var i = 1; i <= 5; i++)
            {
                Assert.Equal(1, server.DeliveriesTo($"user{i}@example.test"));
                Assert.Single(server.Delivered, t => t.Data.Contains($"Subject: Report {i}\r\n"));
            }

            Assert.Equal(2, server.Connections);
            Assert.Equal(new[] { 1, 1, 2, 1, 1 }, results.Select(r => r.Connections));
            Assert.Equal(new[] { 1, 1, 2, 2, 2 }, server.Delivered.Select(t => t.Connection));
        }

        [Fact]
        public void Reports_a_reply_lost_after_the_final_dot_as_Unknown_and_does_not_send_it_again()
        {
            using var server = new SmtpTestServer(c => c.Verb == "." && c.Seen == 1 ? ServerAction.KeepAndDrop : null);

            var results = Send(ConfigFor(server.Port), Message("First", "ann@example.test", "bob@example.test"), Message("Second", "cat@example.test"));

            Assert.Equal(SmtpSendStatus.Unknown, results[0].Status);
            Assert.Equal(2, results[0].Unknown.Count);
            Assert.All(results[0].Unknown, r => Assert.Contains("not sent again", r.Reason));
            Assert.Equal(SmtpSendStatus.Sent, results[1].Status);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(1, server.DeliveriesTo("bob@example.test"));
            Assert.Equal(1, server.CountCommands("RCPT TO:<ann@"));
            Assert.Equal(2, server.CountCommands("MAIL FROM"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public void Never_sends_again_to_a_recipient_accepted_in_a_completed_transaction()
        {
            // Transaction 2 is refused with 4xx after its data, and a later MAIL loses the connection:
            // only the recipients not yet accepted are offered again.
            using var server = new SmtpTestServer(c =>
                c.Verb == "." && c.Seen == 2 ? ServerAction.Reply("451 4.3.0 Try again") :
                c.Verb == "MAIL" && c.Seen == 4 ? ServerAction.Drop :
                null);
            var to = Users(7);

            var result = Send(ConfigFor(server.Port, recipientsPerMessage: 2), Message("Batched", to)).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            foreach (var address in to)
            {
                Assert.Equal(1, server.DeliveriesTo(address));
            }

            Assert.Equal(1, server.CountCommands("RCPT TO:<user1@"));
            Assert.Equal(1, server.CountCommands("RCPT TO:<user2@"));
            Assert.Equal(2, server.CountCommands("RCPT TO:<user3@"));
            Assert.Equal(2, server.Connections);
            AssertEachRecipientOnce(result, to);
        }

        [Fact]
        public void Rejects_every_recipient_with_the_reply_when_the_sender_is_refused()
        {
            using var server = new SmtpTestServer(c => c.Verb == "MAIL" ? ServerAction.Reply("550 5.7.1 <reports@example.test>: Sender address rejected: Access denied") : null);
            var to = Users(5);

            var result = Send(ConfigFor(server.Port, recipientsPerMessage: 2), Message("Refused", to)).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal(5, result.Rejected.Count);
            Assert.All(result.Rejected, r => Assert.Equal(550, r.ReplyCode));
            Assert.All(result.Rejected, r => Assert.Contains("Access denied", r.Reply));
            Assert.Equal(1, server.CountCommands("MAIL FROM"));
            AssertEachRecipientOnce(result, to);
        }

        [Fact]
        public async Task Rejects_every_recipient_when_the_server_refuses_the_sender()
        {
            await using var server = new SmtpTestServer(c => c.Verb == "MAIL" ? ServerAction.Reply("550 5.7.1 Sender refused") : null);

            var result = Send(ConfigFor(server.Port), Message("Refused", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.All(result.Rejected, r => Assert.True(r.ReplyCode >= 500));
            Assert.Empty(server.Delivered);
        }

        [Fact]
        public void Ends_as_Rejected_with_the_last_reply_when_4xx_retries_run_out()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument.StartsWith("bob", StringComparison.Ordinal) ? ServerAction.Reply("451 4.7.1 Greylisted, try later") : null);

            var result = Send(ConfigFor(server.Port, retryCount: 2), Message("Grey", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.PartiallySent, result.Status);
            var bob = Assert.Single(result.Rejected);
            Assert.Equal(451, bob.ReplyCode);
            Assert.Contains("Greylisted", bob.Reply);
            Assert.Contains("after 2 retries", bob.Reason);
            Assert.Equal(3, server.CountCommands("RCPT TO:<bob@"));
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
        }

        [Fact]
        public void Ends_as_NotAttempted_with_why_when_the_connection_keeps_dropping()
        {
            using var server = new SmtpTestServer(c => c.Verb == "MAIL" ? ServerAction.Drop : null);

            var result = Send(ConfigFor(server.Port, retryCount: 2), Message("Dropped", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            var ann = Assert.Single(result.NotAttempted);
            Assert.Contains("gave up after 2 retries", ann.Reason);
            Assert.Empty(server.Delivered);
            Assert.Equal(3, server.Connections);
        }

        [Fact]
        public void Connects_again_when_the_line_breaks_while_the_session_is_set_up()
        {
            using var server = new SmtpTestServer(c => c.Verb == "EHLO" && c.Connection == 1 ? ServerAction.Drop : null);

            var result = Send(ConfigFor(server.Port), Message("Flaky", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public void Reports_every_recipient_of_every_message_NotAttempted_with_the_error_when_the_server_is_unreachable()
        {
            var port = SmtpTestServer.FreePort();

            var results = Send(ConfigFor(port, retryCount: 1), Message("One", "ann@example.test", "bob@example.test"), Message("Two", "cat@example.test"));

            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Failed, r.Status));
            Assert.All(results, r => Assert.Equal("ConnectionFailed", r.ErrorId));
            Assert.All(results.SelectMany(r => r.Recipients), r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Status));
            AssertEachRecipientOnce(results[0], new[] { "ann@example.test", "bob@example.test" });
        }

        [Fact]
        public async Task Splits_on_452_too_many_recipients_without_RecipientsPerMessage_on_one_connection()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RecipientLimit = 3 });
            var to = Users(10);

            var result = Send(ConfigFor(server.Port), Message("Limited", to)).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(10, result.Accepted.Count);
            Assert.Equal(new[] { 3, 3, 3, 1 }, server.Delivered.Select(t => t.To.Count));
            Assert.Equal(to.OrderBy(a => a), server.Delivered.SelectMany(t => t.To).OrderBy(a => a));
            Assert.Equal(4, result.Transactions);
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void Remembers_the_servers_recipient_limit_for_the_messages_that_follow()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { RecipientLimit = 3 });

            var results = Send(ConfigFor(server.Port), Message("First", Users(10, "a")), Message("Second", Users(10, "b")));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(new[] { 3, 3, 3, 1, 3, 3, 3, 1 }, server.Delivered.Select(t => t.To.Count));

            // The first message offered 7 recipients beyond the limit once; the second none.
            Assert.Equal(17, server.Commands.Count(c => c.Line.StartsWith("RCPT TO:<a", StringComparison.Ordinal)));
            Assert.Equal(10, server.Commands.Count(c => c.Line.StartsWith("RCPT TO:<b", StringComparison.Ordinal)));
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void Takes_a_452_followed_by_an_accepted_recipient_as_that_mailbox_s_trouble_not_the_limit()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument.StartsWith("bob", StringComparison.Ordinal) && c.Seen == 1
                ? ServerAction.Reply("452 4.2.2 Mailbox full")
                : null);
            var to = new[] { "ann@example.test", "bob@example.test", "cat@example.test", "dan@example.test", "eve@example.test", "fay@example.test" };

            var results = Send(ConfigFor(server.Port, recipientsPerMessage: 3), Message("First", to), Message("Second", Users(3)));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(1, server.DeliveriesTo("bob@example.test"));
            Assert.Equal(2, server.CountCommands("RCPT TO:<bob@"));

            // No limit of 2 was learned: the next batch and the next message still go 3 at a time.
            Assert.Equal(new[] { 2, 3, 1, 3 }, server.Delivered.Select(t => t.To.Count));
        }

        [Fact]
        public void Retries_recipients_refused_with_different_4xx_replies_together_in_one_transaction()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Seen == 1 && !c.Argument.StartsWith("dan", StringComparison.Ordinal)
                ? ServerAction.Reply($"451 4.3.0 Try {c.Argument} later")
                : null);

            var result = Send(ConfigFor(server.Port), Message("Later", "ann@example.test", "bob@example.test", "cat@example.test", "dan@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(new[] { 1, 3 }, server.Delivered.Select(t => t.To.Count));
            Assert.Equal(2, result.Transactions);
        }

        [Fact]
        public void Rejects_with_530_and_stops_when_the_server_demands_authentication()
        {
            using var server = new SmtpTestServer(c => c.Verb == "MAIL" ? ServerAction.Reply("530 5.7.0 Authentication required") : null);

            var results = Send(ConfigFor(server.Port), Message("One", "ann@example.test", "bob@example.test"), Message("Two", "cat@example.test"));

            Assert.Equal(2, results.Count);
            Assert.All(results[0].Recipients, r => Assert.Equal(SmtpRecipientStatus.Rejected, r.Status));
            Assert.All(results[0].Recipients, r => Assert.Equal(530, r.ReplyCode));
            var cat = Assert.Single(results[1].NotAttempted);
            Assert.Contains("requires authentication", cat.Reason);
            Assert.Equal("AuthenticationRequired", results[1].ErrorId);
            Assert.Equal(1, server.CountCommands("MAIL FROM"));
        }

        [Fact]
        public void Retries_when_the_server_answers_421_after_the_data_and_closes()
        {
            using var server = new SmtpTestServer(c => c.Verb == "." && c.Seen == 1 ? ServerAction.Reply("421 4.3.2 Shutting down") : null);

            var result = Send(ConfigFor(server.Port), Message("Restart", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(2, server.CountCommands("DATA"));
            Assert.Equal(2, result.Connections);
        }

        [Fact]
        public async Task Fails_only_the_message_whose_attachment_went_away_after_it_was_checked()
        {
            await using var server = new SmtpTestServer();
            var file = System.IO.Path.GetTempFileName();
            System.IO.File.WriteAllText(file, "report");
            var mailer = new SmtpMailer(ConfigFor(server.Port));
            var gone = Message("Gone", "bob@example.test");
            gone.Attachments.Add(new SmtpAttachment(file));
            var prepared = new[] { Message("First", "ann@example.test"), gone, Message("Third", "cat@example.test") }.Select(m => mailer.Prepare(m)).ToList();
            System.IO.File.Delete(file);

            var results = mailer.Send(prepared).ToList();

            Assert.Equal(new[] { SmtpSendStatus.Sent, SmtpSendStatus.Failed, SmtpSendStatus.Sent }, results.Select(r => r.Status));
            Assert.Equal("AttachmentNotFound", results[1].ErrorId);
            Assert.Equal(SmtpRecipientStatus.NotAttempted, results[1].Recipients.Single().Status);
            Assert.Equal(new[] { "ann@example.test", "cat@example.test" }, server.Delivered.SelectMany(t => t.To).OrderBy(a => a));
        }

        [Fact]
        public async Task Connects_by_host_name_trying_each_address_it_resolves_to()
        {
            // localhost may resolve to ::1 first, where nothing listens: the next address (127.0.0.1) is tried.
            await using var server = new SmtpTestServer();
            var config = ConfigFor(server.Port) with { SmtpServer = "localhost" };

            var result = Send(config, Message("By name", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Single(server.Delivered);
        }

        [Fact]
        public void Reports_a_refused_connection_as_ConnectionFailed_after_its_retries()
        {
            var port = SmtpTestServer.FreePort();

            var result = Send(ConfigFor(port, retryCount: 1), Message("Refused", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ConnectionFailed", result.ErrorId);
            Assert.Contains($"127.0.0.1:{port}", result.Error);
        }

        [Fact]
        public async Task Reconnects_after_MaxMessagesPerConnection_messages()
        {
            await using var server = new SmtpTestServer();
            var messages = Enumerable.Range(1, 5).Select(i => Message($"Report {i}", $"user{i}@example.test")).ToArray();

            var results = Send(ConfigFor(server.Port, maxMessagesPerConnection: 2), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(5, server.Delivered.Count);
            Assert.Equal(3, server.Connections);
            Assert.Equal(new[] { 2, 2, 1 }, server.Delivered.GroupBy(t => t.Connection).Select(g => g.Count()));
        }

        [Fact]
        public void Counts_each_DATA_transaction_toward_MaxMessagesPerConnection()
        {
            using var server = new SmtpTestServer();

            var result = Send(ConfigFor(server.Port, recipientsPerMessage: 2, maxMessagesPerConnection: 2), Message("Split", Users(5))).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(3, result.Transactions);
            Assert.Equal(2, server.Connections);
            Assert.Equal(2, result.Connections);
            Assert.Equal(new[] { 1, 1, 2 }, server.Delivered.Select(t => t.Connection));
        }

        [Fact]
        public void Waits_RetryDelay_then_twice_as_long_between_retries()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Seen <= 2 ? ServerAction.Reply("451 4.3.0 Try again") : null);
            var clock = Stopwatch.StartNew();

            var result = Send(ConfigFor(server.Port, retryDelayMs: 150), Message("Slow", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.True(clock.ElapsedMilliseconds >= 150 + 300, $"Took {clock.ElapsedMilliseconds} ms");
        }

        [Theory]
        [InlineData(2000, 1, 2000)]
        [InlineData(2000, 2, 4000)]
        [InlineData(2000, 3, 8000)]
        [InlineData(2000, 10, 60000)]
        [InlineData(120000, 1, 120000)]
        [InlineData(120000, 4, 120000)]
        [InlineData(0, 3, 0)]
        [InlineData(1000, 100, 60000)]
        public void Backs_off_from_RetryDelay_doubling_up_to_a_minute_and_never_below_RetryDelay(int retryDelayMs, int attempt, int expectedMs)
        {
            Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RetryPolicy.BackoffDelay(TimeSpan.FromMilliseconds(retryDelayMs), attempt));
        }

        [Fact]
        public void Accounts_for_every_recipient_of_every_message_exactly_once_through_mixed_faults()
        {
            using var server = new SmtpTestServer(c =>
                c.Verb == "RCPT" && c.Argument == "gone@example.test" ? ServerAction.Reply("550 5.1.1 User unknown") :
                c.Verb == "RCPT" && c.Argument == "grey@example.test" && c.Seen == 1 ? ServerAction.Reply("450 4.2.0 Greylisted") :
                c.Verb == "RCPT" && c.Argument == "never@example.test" ? ServerAction.Reply("451 4.3.0 Always later") :
                c.Verb == "." && c.Seen == 3 ? ServerAction.KeepAndDrop :
                c.Verb == "MAIL" && c.Seen == 6 ? ServerAction.Drop :
                null);
            var messages = new[]
            {
                Message("M1", "ann@example.test", "gone@example.test", "grey@example.test"),
                Message("M2", "bob@example.test", "never@example.test", "cat@example.test", "dan@example.test"),
                Message("M3", Users(5)),
                Message("M4", "eve@example.test"),
            };

            var results = Send(ConfigFor(server.Port, recipientsPerMessage: 2, retryCount: 2), messages);

            Assert.Equal(4, results.Count);
            for (var i = 0; i < messages.Length; i++)
            {
                AssertEachRecipientOnce(results[i], messages[i].To);
            }

            // Nothing reached the server twice, and everything reported Accepted reached it.
            foreach (var address in messages.SelectMany(m => m.To))
            {
                Assert.True(server.DeliveriesTo(address) <= 1, $"{address} was delivered {server.DeliveriesTo(address)} times");
            }

            Assert.All(results.SelectMany(r => r.Accepted), r => Assert.Equal(1, server.DeliveriesTo(r.Address)));
            Assert.Equal(SmtpRecipientStatus.Rejected, results[0].Recipients.Single(r => r.Address == "gone@example.test").Status);
            Assert.Equal(SmtpRecipientStatus.Accepted, results[0].Recipients.Single(r => r.Address == "grey@example.test").Status);
            Assert.Equal(SmtpRecipientStatus.Rejected, results[1].Recipients.Single(r => r.Address == "never@example.test").Status);
        }
    }
}
