using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The protocol logger decides whether a message's final "." went out (so a lost reply means "unknown",
    /// not "send again") and keeps message content out of the verbose log. Fed byte by byte as MailKit would.
    /// </summary>
    public sealed class ProtocolLoggerTests
    {
        private sealed class CapturingLog : ISmtpLog
        {
            public CapturingLog(bool protocol = true)
            {
                IsProtocolEnabled = protocol;
            }

            public List<string> Lines { get; } = new();

            public bool IsProtocolEnabled { get; }

            public void Step(string text) => Lines.Add(text);

            public void Protocol(string line) => Lines.Add(line);
        }

        private static void Client(ProtocolHook logger, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            logger.LogClient(bytes, 0, bytes.Length);
        }

        private static void Server(ProtocolHook logger, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            logger.LogServer(bytes, 0, bytes.Length);
        }

        private static ProtocolHook StartData(CapturingLog log)
        {
            var logger = new ProtocolHook(log);
            logger.LogConnect(new Uri("smtp://127.0.0.1:25"));
            Server(logger, "220 ready\r\n");
            logger.Transaction.Begin();
            Client(logger, "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
            Server(logger, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
            Client(logger, "DATA\r\n");
            Server(logger, "354 End data with <CR><LF>.<CR><LF>\r\n");
            return logger;
        }

        [Fact]
        public void Sees_the_final_dot_when_it_is_split_across_writes()
        {
            var logger = StartData(new CapturingLog());

            Client(logger, "Subject: x\r\n\r\nbody\r");
            Assert.False(logger.Transaction.DataTerminatorSent);
            Client(logger, "\n.");
            Assert.False(logger.Transaction.DataTerminatorSent);
            Client(logger, "\r\n");

            Assert.True(logger.Transaction.DataTerminatorSent);
            Assert.True(logger.Transaction.DataStarted);
            Assert.Null(logger.Transaction.DataReplyCode);
        }

        [Fact]
        public void Tracks_the_data_its_reply_and_the_login_mechanism_with_protocol_logging_off()
        {
            var log = new CapturingLog(protocol: false);
            var logger = new ProtocolHook(log);
            logger.LogConnect(new Uri("smtp://127.0.0.1:25"));
            Server(logger, "220 quiet.test ESMTP\r\n");
            Client(logger, "auth plain AGFubgBzZWNyZXQ=\r\n");
            Server(logger, "235 2.7.0 Ok\r\n");
            logger.Transaction.Begin();
            Client(logger, "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
            Server(logger, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
            Client(logger, "DATA\r\n");
            Server(logger, "354 go ahead\r\n");
            Client(logger, "Subject: x\r\n\r\n" + new string('a', 5000) + "\r\n.");
            Assert.False(logger.Transaction.DataTerminatorSent);
            Client(logger, "\r\n");
            Server(logger, "250 2.0.0 queued\r\n");

            Assert.Equal("PLAIN", logger.AuthenticationMechanism);
            Assert.True(logger.Transaction.DataStarted);
            Assert.True(logger.Transaction.DataTerminatorSent);
            Assert.Equal(250, logger.Transaction.DataReplyCode);
            Assert.Empty(log.Lines);
        }

        [Fact]
        public void Does_not_take_a_dot_stuffed_line_for_the_end_of_the_data()
        {
            var logger = StartData(new CapturingLog());

            Client(logger, "Subject: x\r\n\r\n..\r\n.. not the end\r\n");

            Assert.False(logger.Transaction.DataTerminatorSent);
        }

        [Fact]
        public void Keeps_the_rest_of_the_message_out_of_the_log_when_the_server_answers_before_the_final_dot()
        {
            var log = new CapturingLog();
            var logger = StartData(log);

            Client(logger, "Subject: x\r\n\r\nfirst part\r\n");
            Server(logger, "552 5.3.4 Message too big\r\n");
            Client(logger, "SECRET-BODY-LINE\r\n.\r\n");

            Assert.DoesNotContain(log.Lines, l => l.Contains("SECRET-BODY-LINE") || l.Contains("first part"));
            Assert.Contains(log.Lines, l => l.StartsWith("C: [message data,", StringComparison.Ordinal));
            Assert.Equal(552, logger.Transaction.DataReplyCode);
            Assert.Contains("too big", logger.Transaction.DataReplyText);
            Assert.True(logger.Transaction.DataTerminatorSent);
        }

        [Fact]
        public void Records_the_reply_to_the_data_and_logs_later_commands_again()
        {
            var log = new CapturingLog();
            var logger = StartData(log);

            Client(logger, "Subject: x\r\n\r\nbody\r\n.\r\nRSET\r\n");
            Server(logger, "451 4.3.0 Try later\r\n");

            Assert.Equal(451, logger.Transaction.DataReplyCode);
            Assert.Contains("C: RSET", log.Lines);
            Assert.DoesNotContain(log.Lines, l => l.Contains("body"));
        }

        [Fact]
        public void Forgets_the_previous_transaction_s_data_when_a_new_one_begins()
        {
            var logger = StartData(new CapturingLog());
            Client(logger, "Subject: x\r\n\r\nbody\r\n.\r\n");
            Server(logger, "250 2.0.0 Ok\r\n");

            logger.Transaction.Begin();

            Assert.False(logger.Transaction.DataStarted);
            Assert.False(logger.Transaction.DataTerminatorSent);
            Assert.Null(logger.Transaction.DataReplyCode);
        }

        [Fact]
        public void Does_not_start_the_data_when_DATA_is_refused()
        {
            var log = new CapturingLog();
            var logger = new ProtocolHook(log);
            logger.LogConnect(new Uri("smtp://127.0.0.1:25"));
            logger.Transaction.Begin();
            Client(logger, "DATA\r\n");
            Server(logger, "451 4.3.0 Not now\r\n");
            Client(logger, "RSET\r\n");

            Assert.False(logger.Transaction.DataStarted);
            Assert.Contains("C: RSET", log.Lines);
        }
    }
}
