using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Battery, faults (issue 9): what DeliveryTests does not already cover, each checked on the server side —
    /// what arrived, how often, over how many connections — and every recipient accounted for once.
    /// </summary>
    public sealed class FaultBatteryTests
    {
        [Fact]
        public void A_server_that_closes_after_every_banner_leaves_every_recipient_NotAttempted_with_why_after_RetryCount_connections()
        {
            using var server = new SmtpTestServer(c => c.Verb == "EHLO" ? ServerAction.Drop : null);
            var messages = new[] { Message("One", "ann@example.test", "bob@example.test"), Message("Two", "cat@example.test") };

            var results = Send(Config(server.Port, retryCount: 2), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Failed, r.Status));
            Assert.All(results, r => Assert.Equal("ProtocolError", r.ErrorId));
            Assert.All(results.SelectMany(r => r.Recipients), r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Status));
            Assert.All(results.SelectMany(r => r.Recipients), r => Assert.Contains("did not speak SMTP", r.Reason));
            AssertEachRecipientOnce(results[0], messages[0].To);
            AssertEachRecipientOnce(results[1], messages[1].To);
            Assert.Equal(3, server.Connections);
            Assert.Equal(0, server.CountCommands("MAIL"));
        }

        [Fact]
        public void A_drop_after_2_of_5_RCPTs_offers_the_transaction_again_and_delivers_each_recipient_once()
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument == "user3@example.test" && c.Seen == 1 ? ServerAction.Drop : null);
            var to = Users(5);

            var results = Send(Config(server.Port), Message("Five", to), Message("After", "eve@example.test"));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            AssertEachRecipientOnce(results[0], to);
            AssertNothingLostNothingTwice(server, results);
            var delivered = Assert.Single(server.Delivered, t => t.Data.Contains("Subject: Five\r\n"));
            Assert.Equal(to, delivered.To);
            Assert.Equal(2, server.Connections);

            // Nothing was accepted in a completed transaction before the drop: all five are offered again.
            Assert.Equal(2, server.CountCommands("RCPT TO:<user1@"));
            Assert.Equal(2, server.CountCommands("RCPT TO:<user3@"));
        }

        [Fact]
        public void A_drop_in_the_middle_of_the_data_sends_the_message_again_on_a_new_connection_once()
        {
            using var server = new SmtpTestServer(c => c.Verb == "DATA" && c.Seen == 1 ? ServerAction.DropMidData(64 * 1024) : null);
            var big = Message("Big", "ann@example.test", "bob@example.test");
            var line = new string('x', 70) + "\n";
            big.TextBody = new StringBuilder(line.Length * 200_000).Insert(0, line, 200_000).ToString();

            var result = Send(Config(server.Port), big).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            AssertEachRecipientOnce(result, big.To);
            AssertNothingLostNothingTwice(server, new[] { result });
            Assert.Equal(2, server.CountCommands("DATA"));
            Assert.Single(server.Delivered);
            Assert.True(server.Delivered[0].RawData.Length > 14_000_000, "the whole message arrived the second time");
            Assert.Equal(2, result.Connections);
        }

        [Fact]
        public void A_421_greeting_is_retried_on_a_new_connection()
        {
            using var server = new SmtpTestServer(c => c.Verb == "CONNECT" && c.Connection == 1 ? ServerAction.Reply("421 4.3.2 Service not available, try later") : null);

            var result = Send(Config(server.Port), Message("Busy", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(2, server.Connections);
            Assert.DoesNotContain(server.Commands, c => c.Connection == 1);
        }

        [Theory]
        [InlineData("MAIL")]
        [InlineData("RCPT")]
        [InlineData("DATA")]
        public void A_421_mid_session_closes_the_connection_and_the_transaction_is_sent_once_on_a_new_one(string verb)
        {
            using var server = new SmtpTestServer(c => c.Verb == verb && c.Connection == 1 && c.DeliveredOnConnection == 1 && (verb != "RCPT" || c.Argument == "bob@example.test")
                ? ServerAction.Reply("421 4.7.0 faulty.test Error: too many errors, closing")
                : null);
            var messages = new[] { Message("First", "ann@example.test"), Message("Second", "ann@example.test", "bob@example.test", "cat@example.test"), Message("Third", "dan@example.test") };

            var results = Send(Config(server.Port), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            for (var i = 0; i < messages.Length; i++)
            {
                AssertEachRecipientOnce(results[i], messages[i].To);
            }

            AssertNothingLostNothingTwice(server, results);
            Assert.Equal(2, server.Connections);
            Assert.All(server.Delivered.Where(t => !t.Data.Contains("Subject: First\r\n")), t => Assert.Equal(2, t.Connection));
        }

        [Theory]
        [InlineData("DATA", "451 4.3.0 Mail server temporarily rejected message")]
        [InlineData("DATA", "452 4.3.1 Insufficient system storage")]
        [InlineData(".", "452 4.3.1 Insufficient system storage")]
        public void A_4xx_to_the_data_is_retried_and_delivered_once(string verb, string reply)
        {
            using var server = new SmtpTestServer(c => c.Verb == verb && c.Seen == 1 ? ServerAction.Reply(reply) : null);

            var result = Send(Config(server.Port), Message("Storage", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            AssertEachRecipientOnce(result, new[] { "ann@example.test", "bob@example.test" });
            AssertNothingLostNothingTwice(server, new[] { result });
            Assert.Single(server.Delivered);
            Assert.Equal(2, server.CountCommands("DATA"));
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void A_554_greeting_is_final_every_recipient_of_every_message_NotAttempted_with_the_reply_on_one_connection()
        {
            using var server = new SmtpTestServer(c => c.Verb == "CONNECT" ? ServerAction.Reply("554 5.7.1 No SMTP service here for 127.0.0.1") : null);
            var messages = new[] { Message("One", "ann@example.test", "bob@example.test"), Message("Two", "cat@example.test") };

            var results = Send(Config(server.Port), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Failed, r.Status));
            Assert.All(results, r => Assert.Equal("ServerRefusedConnection", r.ErrorId));
            Assert.All(results.SelectMany(r => r.Recipients), r => Assert.Contains("No SMTP service here", r.Reason));
            AssertEachRecipientOnce(results[0], messages[0].To);
            AssertEachRecipientOnce(results[1], messages[1].To);
            Assert.Equal(1, server.Connections);
            Assert.Equal(0, server.CountCommands("MAIL"));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_server_that_never_greets_times_out_within_the_Timeout_for_each_try_and_every_recipient_is_NotAttempted(bool cancellable)
        {
            // With a token that can be cancelled (the cmdlets' Ctrl+C), MailKit waits on the socket without its
            // Timeout: the send hung for good. The engine's idle watchdog now keeps the Timeout either way.
            using var server = new SmtpTestServer(c => c.Verb == "CONNECT" ? ServerAction.Silence : null);
            var clock = Stopwatch.StartNew();

            var result = SendWithin(TimeSpan.FromSeconds(60), cancellable, Config(server.Port, retryCount: 1, timeoutSeconds: 2), Message("Hung", "ann@example.test", "bob@example.test")).Single();

            clock.Stop();
            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ConnectionTimedOut", result.ErrorId);
            Assert.All(result.Recipients, r => Assert.Contains("did not answer within 2 s", r.Reason));
            AssertEachRecipientOnce(result, new[] { "ann@example.test", "bob@example.test" });
            Assert.Equal(2, server.Connections);
            Assert.Empty(server.Commands);
            Assert.InRange(clock.Elapsed.TotalSeconds, 3.5, 30);
        }

        [Fact]
        public void Cancelling_still_stops_a_send_that_waits_on_a_silent_server_at_once()
        {
            // The watchdog that keeps the Timeout must not take Ctrl+C away: the caller's token still ends the wait.
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" ? ServerAction.Silence : null);
            using var stop = new CancellationTokenSource();
            var mailer = new SmtpMailer(Config(server.Port, timeoutSeconds: 60));
            var prepared = new[] { mailer.Prepare(Message("Stopped", "ann@example.test")) };
            var clock = Stopwatch.StartNew();
            stop.CancelAfter(TimeSpan.FromSeconds(1));

            Assert.ThrowsAny<OperationCanceledException>(() => mailer.Send(prepared, stop.Token).ToList());

            Assert.InRange(clock.Elapsed.TotalSeconds, 0.5, 15);
            Assert.Empty(server.Delivered);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_server_that_stops_answering_at_RCPT_is_given_up_after_the_Timeout_and_the_transaction_sent_once_on_a_new_connection(bool cancellable)
        {
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument == "bob@example.test" && c.Seen == 1 ? ServerAction.Silence : null);
            var clock = Stopwatch.StartNew();

            var result = SendWithin(TimeSpan.FromSeconds(60), cancellable, Config(server.Port, timeoutSeconds: 2), Message("Stalled", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            AssertEachRecipientOnce(result, new[] { "ann@example.test", "bob@example.test" });
            AssertNothingLostNothingTwice(server, new[] { result });
            Assert.Equal(2, server.Connections);
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 30);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_server_that_stops_answering_after_the_final_dot_leaves_the_message_Unknown_not_sent_again_and_the_next_goes_on_a_new_connection(bool cancellable)
        {
            // The server queued the message, then hung before its reply: sending again would deliver it twice.
            using var server = new SmtpTestServer(c => c.Verb == "." && c.Seen == 1 ? ServerAction.Silence : null);

            var results = SendWithin(TimeSpan.FromSeconds(60), cancellable, Config(server.Port, timeoutSeconds: 2), Message("Queued", "ann@example.test", "bob@example.test"), Message("Next", "cat@example.test"));

            Assert.Equal(SmtpSendStatus.Unknown, results[0].Status);
            Assert.All(results[0].Unknown, r => Assert.Contains("not sent again", r.Reason));
            AssertEachRecipientOnce(results[0], new[] { "ann@example.test", "bob@example.test" });
            Assert.Equal(SmtpSendStatus.Sent, results[1].Status);
            AssertNothingLostNothingTwice(server, results);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(1, server.CountCommands("RCPT TO:<ann@"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public void A_garbage_reply_to_MAIL_is_taken_as_a_broken_line_and_the_transaction_is_sent_once_on_a_new_connection()
        {
            using var server = new SmtpTestServer(c => c.Verb == "MAIL" && c.Seen == 1 ? ServerAction.Raw("hello? \u0001\u0002 this is not SMTP\r\n") : null);

            var result = Send(Config(server.Port), Message("Garbled", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            AssertNothingLostNothingTwice(server, new[] { result });
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public void A_binary_garbage_greeting_fails_with_ProtocolError_after_RetryCount_connections_and_nothing_is_sent()
        {
            var noise = new string(Enumerable.Range(0, 600).Select(i => (char)(i * 7919 % 256)).ToArray());
            using var server = new SmtpTestServer(c => c.Verb == "CONNECT" ? ServerAction.Raw(noise + "\r\n") : null);

            var result = Send(Config(server.Port, retryCount: 1), Message("Noise", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ProtocolError", result.ErrorId);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            Assert.Equal(2, server.Connections);
            Assert.Equal(0, server.CountCommands("MAIL"));
        }

        [Fact]
        public void An_over_long_reply_line_is_refused_with_ReplyTooLong_and_every_recipient_is_accounted_for()
        {
            // 1 MB in one reply line, far beyond RFC 5321's 512 octets (and the 8 KB cap): the connection is given up
            // with a clear error, nothing is sent, and the message after it is not tried on that server either.
            var longText = new string('z', 1024 * 1024);
            using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument == "bob@example.test" ? ServerAction.Reply("550 5.1.1 " + longText) : null);

            var results = Send(Config(server.Port), Message("Long", "ann@example.test", "bob@example.test"), Message("Next", "cat@example.test"));

            AssertEachRecipientOnce(results[0], new[] { "ann@example.test", "bob@example.test" });
            AssertEachRecipientOnce(results[1], new[] { "cat@example.test" });
            AssertNothingLostNothingTwice(server, results);
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Failed, r.Status));
            Assert.Equal("ReplyTooLong", results[0].ErrorId);
            Assert.Contains("a reply line longer than 8192 bytes", results[0].Error);
            Assert.All(results.SelectMany(r => r.Recipients), r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Status));
            Assert.Empty(server.Delivered);
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void Multi_line_replies_split_across_packets_mid_line_are_read_whole()
        {
            // The EHLO reply comes in four pieces, one of them cut inside the DSN line: DSN must still be seen
            // (RCPT then carries NOTIFY=). Each RCPT reply is a two-line reply in two packets.
            var gap = TimeSpan.FromMilliseconds(60);
            using var server = new SmtpTestServer(c =>
                c.Verb == "EHLO" ? ServerAction.Packets(gap, "250-faulty.test says hel", "lo\r\n250-PIPELINING\r\n250-D", "SN\r\n250-8BITMIME\r\n", "250 ENHANCEDSTATUSCODES\r\n") :
                c.Verb == "RCPT" ? ServerAction.Packets(gap, "250-2.1.5 first line of a\r\n", "250 2.1.5 two-line reply\r\n") :
                null);
            var message = Message("Split", "ann@example.test", "bob@example.test");
            message.DeliveryNotification = SmtpDeliveryNotification.OnFailure;

            var result = Send(Config(server.Port), message).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.All(result.Accepted, r => Assert.Contains("two-line reply", r.Reply));
            Assert.Equal(2, server.Commands.Count(c => c.Line.StartsWith("RCPT TO:", StringComparison.Ordinal) && c.Line.Contains("NOTIFY=FAILURE")));
            Assert.Single(server.Delivered);
            Assert.Equal(1, server.Connections);
        }
    }
}
