using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using System.Text.RegularExpressions;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// ConnectionCount: messages shared out over several connections at once, checked on the server side (sessions,
    /// transactions per session, each recipient once), and the caller-thread rules (log lines, token requests).
    /// </summary>
    public sealed class ParallelSendTests : IClassFixture<OAuthTestCertificates>
    {
        private const string Sender = "reports@example.test";
        private readonly OAuthTestCertificates certificates;

        public ParallelSendTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        private static SmtpHandlerConfig ConfigFor(int port, int connections, int maxMessagesPerConnection = 0, int retryCount = 3) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = port,
            ConnectionCount = connections,
            MaxMessagesPerConnection = maxMessagesPerConnection,
            RetryCount = retryCount,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
        }.Validate();

        private static SmtpMessage Message(string subject, params string[] to) => new()
        {
            From = $"Reports <{Sender}>",
            To = to,
            Subject = subject,
            TextBody = "Body of " + subject,
        };

        private static List<SmtpMessage> Messages(int count) =>
            Enumerable.Range(1, count).Select(i => Message($"Report {i}", $"user{i}@example.test")).ToList();

        private static List<SmtpSendResult> Send(SmtpHandlerConfig config, IEnumerable<SmtpMessage> messages, ISmtpLog? log = null)
        {
            var mailer = new SmtpMailer(config, log);
            return mailer.Send(messages.Select(m => mailer.Prepare(m)).ToList()).ToList();
        }

        [Fact]
        public async Task Sends_40_messages_over_4_connections_each_delivered_once_results_in_message_order()
        {
            await using var server = new SmtpTestServer();

            var results = Send(ConfigFor(server.Port, connections: 4), Messages(40));

            Assert.Equal(Enumerable.Range(1, 40).Select(i => $"Report {i}"), results.Select(r => r.Subject));
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.All(results, r => Assert.Equal(1, r.Connections));
            Assert.Equal(4, server.Connections);
            Assert.Equal(40, server.Delivered.Count);
            for (var i = 1; i <= 40; i++)
            {
                Assert.Single(server.Delivered, t => t.To.Contains($"user{i}@example.test"));
            }

            Assert.Equal(4, server.Delivered.Select(t => t.Connection).Distinct().Count());
        }

        [Fact]
        public async Task Keeps_MaxMessagesPerConnection_per_connection_with_3_connections()
        {
            await using var server = new SmtpTestServer();

            var results = Send(ConfigFor(server.Port, connections: 3, maxMessagesPerConnection: 2), Messages(13));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(13, server.Delivered.Count);
            Assert.Equal(13, server.Delivered.SelectMany(t => t.To).Distinct().Count());
            Assert.All(server.Delivered.GroupBy(t => t.Connection), session => Assert.True(session.Count() <= 2, $"{session.Count()} messages on one connection"));
            Assert.True(server.Connections >= 7, $"{server.Connections} connections for 13 messages at 2 per connection");
        }

        [Fact]
        public async Task Opens_no_more_connections_than_messages()
        {
            await using var server = new SmtpTestServer();

            var results = Send(ConfigFor(server.Port, connections: 8), Messages(2));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.True(server.Connections <= 2, $"{server.Connections} connections for 2 messages");
            Assert.Equal(2, server.Delivered.Count);
        }

        [Fact]
        public async Task Accounts_for_every_recipient_refused_or_accepted_over_2_connections()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RejectRecipients = new Regex("^bad") });
            var messages = Enumerable.Range(1, 10).Select(i => Message($"Report {i}", $"good{i}@example.test", $"bad{i}@example.test")).ToList();

            var results = Send(ConfigFor(server.Port, connections: 2), messages);

            for (var i = 0; i < 10; i++)
            {
                var result = results[i];
                Assert.Equal($"Report {i + 1}", result.Subject);
                Assert.Equal(new[] { $"good{i + 1}@example.test" }, result.Accepted.Select(r => r.Address));
                Assert.Equal(new[] { $"bad{i + 1}@example.test" }, result.Rejected.Select(r => r.Address));
                Assert.Equal(550, result.Rejected.Single().ReplyCode);
                Assert.Equal(2, result.Recipients.Count);
            }

            Assert.Equal(10, server.Delivered.Count);
            Assert.Equal(Enumerable.Range(1, 10).Select(i => $"good{i}@example.test").OrderBy(a => a), server.Delivered.SelectMany(t => t.To).OrderBy(a => a));
        }

        [Fact]
        public void Reports_every_message_as_failed_when_no_connection_can_be_made()
        {
            var port = SmtpTestServer.FreePort();

            var results = Send(ConfigFor(port, connections: 3, retryCount: 0), Messages(9));

            Assert.Equal(9, results.Count);
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Failed, r.Status));
            Assert.All(results, r => Assert.Equal("ConnectionFailed", r.ErrorId));
            Assert.All(results, r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Recipients.Single().Status));
        }

        [Fact]
        public async Task Writes_every_log_line_on_the_enumerating_thread_headed_by_its_connection()
        {
            await using var server = new SmtpTestServer();
            var log = new ThreadRecordingLog();

            var results = Send(ConfigFor(server.Port, connections: 3), Messages(12), log);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.NotEmpty(log.Lines);
            Assert.All(log.Lines, line => Assert.Equal(Environment.CurrentManagedThreadId, line.Thread));
            foreach (var connection in new[] { "Connection 1: ", "Connection 2: ", "Connection 3: " })
            {
                Assert.Contains(log.Lines, line => line.Text.StartsWith(connection + "Connecting to", StringComparison.Ordinal));
                Assert.Contains(log.Lines, line => line.Text.StartsWith(connection + "C: MAIL FROM:", StringComparison.Ordinal));
                Assert.Contains(log.Lines, line => line.Text.StartsWith(connection + "Closing the connection", StringComparison.Ordinal));
            }
        }

        [Fact]
        public void Asks_for_OAuth_tokens_on_the_enumerating_thread_once_per_connection()
        {
            const string token = "parallel-token-51d2";
            using var server = new SmtpTestServer(SmtpTestServerOptions.XOAuth2(certificates.Server, "reports@contoso.test", token));
            var threads = new ConcurrentBag<int>();
            var source = new DelegateTokenSource(
                _ =>
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    return new OAuthToken(token);
                },
                "the token function");
            var config = new SmtpHandlerConfig
            {
                SmtpServer = "127.0.0.1",
                Port = server.Port,
                TlsMode = SmtpTlsMode.ImplicitTls,
                UserName = server.Options.OAuthUser,
                TokenSource = source,
                TrustedCertificatePaths = new[] { certificates.ServerPemPath },
                ConnectionCount = 3,
                Timeout = TimeSpan.FromSeconds(20),
            }.Validate();
            var messages = Enumerable.Range(1, 9).Select(i => new SmtpMessage { From = "reports@contoso.test", To = new[] { $"user{i}@example.test" }, Subject = $"Report {i}", TextBody = "Body" });

            var results = Send(config, messages);

            Assert.All(results, r => Assert.True(r.Status == SmtpSendStatus.Sent, $"{r.Status}: {r.ErrorId} {r.Error}"));
            Assert.Equal(3, server.Connections);
            Assert.Equal(3, source.Calls);
            Assert.All(threads, thread => Assert.Equal(Environment.CurrentManagedThreadId, thread));
            Assert.Equal(9, server.Delivered.Count);
        }

        [Fact]
        public async Task Cancelling_stops_the_send_on_the_enumerating_thread_and_ends_every_connection()
        {
            await using var server = new SmtpTestServer(c => c.Verb == "." ? ServerAction.Wait(TimeSpan.FromMilliseconds(200)) : null);
            using var cancel = new CancellationTokenSource();
            var mailer = new SmtpMailer(ConfigFor(server.Port, connections: 2));
            var prepared = Messages(40).Select(m => mailer.Prepare(m)).ToList();
            var seen = 0;

            var thrown = Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                foreach (var unused in mailer.Send(prepared, cancel.Token))
                {
                    if (++seen == 2)
                    {
                        cancel.Cancel();
                    }
                }
            });

            Assert.NotNull(thrown);
            await AssertNoMoreTransactionsStart(server, 40);
        }

        [Fact]
        public async Task A_consumer_that_stops_early_leaves_no_connection_sending()
        {
            await using var server = new SmtpTestServer(c => c.Verb == "." ? ServerAction.Wait(TimeSpan.FromMilliseconds(100)) : null);
            var mailer = new SmtpMailer(ConfigFor(server.Port, connections: 2));
            var prepared = Messages(30).Select(m => mailer.Prepare(m)).ToList();

            var first = mailer.Send(prepared).First();

            Assert.Equal("Report 1", first.Subject);
            await AssertNoMoreTransactionsStart(server, 30);
        }

        /// <summary>
        /// Once the send has returned, no session starts another transaction: the MAIL commands the server has seen
        /// (after a moment for ones already on the wire) stay as they are, fewer than the messages.
        /// </summary>
        private static async Task AssertNoMoreTransactionsStart(SmtpTestServer server, int messages)
        {
            await Task.Delay(300);
            var started = server.CountCommands("MAIL");
            Assert.True(started < messages, $"{started} of {messages} transactions started");
            await Task.Delay(500);
            Assert.Equal(started, server.CountCommands("MAIL"));
        }

        [Fact]
        public async Task Ends_every_time_it_is_run_40_sends_of_6_messages_over_3_connections()
        {
            // The end of a send races with the sessions' threads finishing: repeated, a lost wake-up would hang.
            await using var server = new SmtpTestServer();
            var config = ConfigFor(server.Port, connections: 3);
            var run = Task.Run(() =>
            {
                for (var i = 0; i < 40; i++)
                {
                    var results = Send(config, Messages(6), new ThreadRecordingLog());
                    Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
                }
            });

            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120)));

            Assert.Same(run, finished);
            await run;
            Assert.Equal(240, server.Delivered.Count);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(65)]
        public void Refuses_a_ConnectionCount_outside_1_to_64(int count)
        {
            var ex = Assert.Throws<SmtpHandlerException>(() => new SmtpHandlerConfig { ConnectionCount = count }.Validate());
            Assert.Equal("ConnectionCount", ex.ParameterName);
        }

        private sealed class ThreadRecordingLog : ISmtpLog
        {
            public List<(int Thread, string Text)> Lines { get; } = new();

            public bool IsProtocolEnabled => true;

            public void Step(string text) => Lines.Add((Environment.CurrentManagedThreadId, text));

            public void Protocol(string line) => Lines.Add((Environment.CurrentManagedThreadId, line));
        }
    }
}
