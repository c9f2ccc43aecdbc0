using System;
using System.Linq;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The DATA state is followed from complete reply lines, however the network cuts them: a 354 that arrives
    /// in two TCP segments still starts the message data, so a reply lost after the final "." leaves the message
    /// Unknown (not sent twice), and each DATA counts toward MaxMessagesPerConnection.
    /// </summary>
    public sealed class SplitReplyTests
    {
        private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(80);

        /// <summary>"354" cut after its first two digits: two writes, far enough apart to arrive as two reads.</summary>
        private static ServerAction Split354 => ServerAction.Packets(Gap, "35", "4 End data with <CR><LF>.<CR><LF>\r\n");

        [Fact]
        public void A_354_split_over_two_segments_and_a_reply_lost_after_the_final_dot_leave_the_message_Unknown_and_received_once()
        {
            using var server = new SmtpTestServer(c =>
                c.Verb == "DATA" ? Split354 :
                c.Verb == "." && c.Seen == 1 ? ServerAction.KeepAndDrop :
                null);

            var results = Send(Config(server.Port, retryCount: 3), Message("Split once", "ann@example.test", "bob@example.test"), Message("Next", "cat@example.test"));

            Assert.Equal(SmtpSendStatus.Unknown, results[0].Status);
            Assert.Equal(2, results[0].Unknown.Count);
            Assert.All(results[0].Unknown, r => Assert.Contains("not sent again", r.Reason));
            AssertEachRecipientOnce(results[0], new[] { "ann@example.test", "bob@example.test" });
            Assert.Single(server.Delivered, t => t.Data.Contains("Subject: Split once\r\n"));
            Assert.Equal(1, server.CountCommands("RCPT TO:<ann@"));
            Assert.Equal(SmtpSendStatus.Sent, results[1].Status);
            Assert.Equal(1, server.DeliveriesTo("cat@example.test"));
            AssertNothingLostNothingTwice(server, results);
        }

        [Fact]
        public void With_MaxMessagesPerConnection_1_a_split_354_still_counts_and_each_message_gets_its_own_connection()
        {
            using var server = new SmtpTestServer(c => c.Verb == "DATA" ? Split354 : null);
            var messages = Enumerable.Range(1, 3).Select(i => Message($"Split {i}", $"user{i}@example.test")).ToArray();

            var results = Send(Config(server.Port, maxMessagesPerConnection: 1), messages);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(3, server.Delivered.Count);
            Assert.Equal(3, server.Connections);
            Assert.Equal(new[] { 1, 2, 3 }, server.Delivered.Select(t => t.Connection));
            Assert.All(server.Sessions, s => Assert.Equal(1, s.Commands.Count(line => line.StartsWith("MAIL FROM", StringComparison.OrdinalIgnoreCase))));
            AssertNothingLostNothingTwice(server, results);
        }
    }
}
