using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The transaction tracker reads the server's replies as complete lines, however the network splits them:
    /// a 354 or a reply to the data cut over two reads is still seen.
    /// </summary>
    public sealed class TransactionTrackerTests
    {
        private static int Client(TransactionTracker tracker, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            return tracker.Client(bytes, 0, bytes.Length);
        }

        private static void Server(TransactionTracker tracker, params string[] reads)
        {
            foreach (var read in reads)
            {
                // Each read sits inside a larger buffer, as MailKit's are.
                var bytes = Encoding.ASCII.GetBytes("xx" + read + "yy");
                tracker.Server(bytes, 2, bytes.Length - 4);
            }
        }

        private static TransactionTracker AfterRecipients()
        {
            var tracker = new TransactionTracker();
            tracker.Reset();
            Server(tracker, "220 ready\r\n");
            tracker.Begin();
            Client(tracker, "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
            Server(tracker, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
            return tracker;
        }

        [Theory]
        [InlineData("3", "54 go ahead\r\n")]
        [InlineData("354", " go ahead\r\n")]
        [InlineData("354 go ahead\r", "\n")]
        [InlineData("354 go ahead", "\r\n")]
        public void Sees_a_354_split_over_two_reads(string first, string second)
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");

            Server(tracker, first);
            Assert.False(tracker.DataStarted);
            Server(tracker, second);

            Assert.True(tracker.DataStarted);
            Assert.True(tracker.InData);
            Assert.Equal(6, Client(tracker, "body\r\n"));
        }

        [Fact]
        public void Sees_a_354_after_pipelined_replies_in_separate_reads()
        {
            var tracker = new TransactionTracker();
            tracker.Begin();
            Client(tracker, "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");

            Server(tracker, "250 2.1.0 Ok\r\n250 2.1", ".5 Ok\r\n", "354 go ahead\r\n");

            Assert.True(tracker.DataStarted);
        }

        [Fact]
        public void Takes_a_refused_DATA_as_no_data()
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");

            Server(tracker, "45", "1 4.3.0 Not now\r\n");
            Assert.Equal(0, Client(tracker, "RSET\r\n"));

            Assert.False(tracker.DataStarted);
            Assert.False(tracker.InData);
        }

        [Theory]
        [InlineData("2", "50 2.0.0 queued as 42\r\n")]
        [InlineData("250 2.0.0 queued", " as 42\r\n")]
        [InlineData("250 2.0.0 queued as 42\r", "\n")]
        public void Reads_the_reply_to_the_data_split_over_two_reads(string first, string second)
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");
            Server(tracker, "354 go ahead\r\n");
            Assert.Equal(17, Client(tracker, "Subject: x\r\n\r\n.\r\n"));
            Assert.True(tracker.DataTerminatorSent);

            Server(tracker, first);
            Assert.Null(tracker.DataReplyCode);
            Server(tracker, second);

            Assert.Equal(250, tracker.DataReplyCode);
            Assert.Equal("2.0.0 queued as 42", tracker.DataReplyText);
        }

        [Fact]
        public void Reads_an_early_reply_to_the_data_cut_across_reads()
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");
            Server(tracker, "354 go ahead\r\n");
            Client(tracker, "Subject: x\r\n\r\nfirst part\r\n");

            Server(tracker, "55", "2 5.3.4 Message ", "too big\r\n");

            Assert.Equal(552, tracker.DataReplyCode);
            Assert.Equal("5.3.4 Message too big", tracker.DataReplyText);
            Assert.False(tracker.DataTerminatorSent);
        }

        [Fact]
        public void Counts_the_data_and_hands_back_the_commands_written_after_it()
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");
            Server(tracker, "354 go ahead\r\n");

            var data = Client(tracker, "Subject: x\r\n\r\nbody\r\n.\r\nRSET\r\n");

            Assert.Equal("Subject: x\r\n\r\nbody\r\n.\r\n".Length, data);
            Assert.Equal(data, tracker.DataBytes);
            Assert.False(tracker.InData);
        }

        [Fact]
        public void Keeps_only_the_start_of_an_endless_reply_line_to_the_data()
        {
            var tracker = AfterRecipients();
            Client(tracker, "DATA\r\n");
            Server(tracker, "354 go ahead\r\n");
            Client(tracker, "body\r\n.\r\n");

            // 8 MB of one reply line, in reads of 64 KB: the tracker keeps its first 1 KB, not the line.
            Server(tracker, "250 2.0.0 queued as ");
            var chunk = new string('x', 64 * 1024);
            for (var i = 0; i < 128; i++)
            {
                Server(tracker, chunk);
            }

            Server(tracker, "\r\n");

            Assert.Equal(250, tracker.DataReplyCode);
            Assert.StartsWith("2.0.0 queued as xxx", tracker.DataReplyText);
            Assert.True(tracker.DataReplyText!.Length < 1024);
        }
}
}
