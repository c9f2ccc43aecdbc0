using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SmtpHandler.Testing;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The governor against the shared test server scripted like the services: a connection limit, a recipient quota,
    /// throttling, pacing, and the day's budget with and without a state file. Timing is asserted as lower bounds only.
    /// </summary>
    public sealed class GovernorServerTests
    {
        private const string Sender = "reports@example.test";

        private static SmtpHandlerConfig ConfigFor(int port, int connections = 1, double perMinute = 0, int perDay = 0, int perMessage = 0) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = port,
            ConnectionCount = connections,
            MaxMessagesPerMinute = perMinute,
            RecipientsPerDay = perDay,
            RecipientsPerMessage = perMessage,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
        }.Validate();

        private static List<SmtpMessage> Messages(int count) =>
            Enumerable.Range(1, count).Select(i => new SmtpMessage { From = Sender, To = new[] { $"user{i}@example.test" }, Subject = $"Report {i}", TextBody = "Body" }).ToList();

        private static List<SmtpSendResult> Send(SmtpHandlerConfig config, IEnumerable<SmtpMessage> messages, ConcurrentQueue<SmtpSendWait>? waits = null, SendStateFile? state = null)
        {
            var mailer = new SmtpMailer(config) { Waiting = waits == null ? null : waits.Enqueue };
            return mailer.Send(messages.Select(m => mailer.Prepare(m)).ToList(), state).ToList();
        }

        [Fact]
        public async Task Sends_120_messages_over_4_connections_to_a_server_that_allows_2_each_once_and_never_more_than_2_sessions()
        {
            // Each message takes the server 10 ms, so the first two sessions are still busy when the other two knock.
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { MaxConcurrentSessions = 2, Script = ServerScript.At(".", ServerAction.Wait(TimeSpan.FromMilliseconds(10))) });

            var results = Send(ConfigFor(server.Port, connections: 4), Messages(120));

            Assert.Equal(120, results.Count);
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(120, server.Delivered.Count);
            Assert.All(Enumerable.Range(1, 120), i => Assert.Equal(1, server.DeliveriesTo($"user{i}@example.test")));
            // The server never admits more than 2: what can fail is that refused connections keep knocking. The 2 of
            // the 4 asked it has no room for are refused once each, and stop.
            Assert.True(server.RefusedSessions >= 1, "the server never refused a connection: the limit was not met");
            Assert.True(server.RefusedSessions <= 2, $"{server.RefusedSessions} connections refused: refused ones kept knocking");
        }

        [Fact]
        public async Task Closes_the_connection_Exchange_refuses_at_MAIL_with_432_and_carries_on_with_fewer()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                MaxConcurrentSessions = 2,
                RefuseConcurrencyAtMail = true,
                ConcurrencyReply = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
                Script = ServerScript.At(".", ServerAction.Wait(TimeSpan.FromMilliseconds(10))),
            });

            var results = Send(ConfigFor(server.Port, connections: 4), Messages(60));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.All(Enumerable.Range(1, 60), i => Assert.Equal(1, server.DeliveriesTo($"user{i}@example.test")));
            Assert.InRange(server.RefusedSessions, 1, 2);

            // A refused session said MAIL once, and nothing after it but QUIT or nothing.
            Assert.All(server.Sessions.Where(s => s.RefusedAsTooMany), s => Assert.Equal(1, s.Verbs.Count(v => v == "MAIL")));
        }

        [Fact]
        public async Task Hands_a_message_Exchange_refuses_after_its_data_with_432_to_another_connection_and_each_is_delivered_once()
        {
            // Exchange Online also answers the final "." with 432 when the mailbox has too many connections.
            await using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                MaxConcurrentSessions = 2,
                RefuseConcurrencyAtEndOfData = true,
                ConcurrencyReply = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
                Script = ServerScript.At(".", ServerAction.Wait(TimeSpan.FromMilliseconds(10))),
            });

            var results = Send(ConfigFor(server.Port, connections: 4), Messages(120));

            Assert.Equal(120, results.Count);
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(120, server.Delivered.Count);
            Assert.All(Enumerable.Range(1, 120), i => Assert.Equal(1, server.DeliveriesTo($"user{i}@example.test")));
            Assert.InRange(server.RefusedSessions, 1, 2);
        }

        [Fact]
        public async Task Leaves_every_recipient_Accepted_last_in_the_state_file_when_messages_change_connection_and_a_rerun_sends_none()
        {
            // Refused after the data, a message was written Sending on one connection and then handed to another.
            await using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                MaxConcurrentSessions = 2,
                RefuseConcurrencyAtEndOfData = true,
                ConcurrencyReply = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
                Script = ServerScript.At(".", ServerAction.Wait(TimeSpan.FromMilliseconds(10))),
            });
            var path = Path.Combine(Path.GetTempPath(), $"governor-{Guid.NewGuid():N}.state");
            var messages = Messages(40);
            try
            {
                using (var state = SendStateFile.Open(path, messages[0]))
                {
                    Assert.All(Send(ConfigFor(server.Port, connections: 4), messages, state: state), r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
                }

                Assert.True(server.RefusedSessions >= 1, "no message changed connection");
                var last = new Dictionary<string, string>();
                foreach (var line in File.ReadAllLines(path).Where(l => l.Contains("\"rcpt\"")))
                {
                    var record = System.Text.Json.JsonDocument.Parse(line).RootElement;
                    last[record.GetProperty("rcpt").GetString()!] = record.GetProperty("status").GetString()!;
                }

                Assert.Equal(40, last.Count);
                Assert.All(last, pair => Assert.Equal("Accepted", pair.Value));

                // A rerun finds every recipient settled and sends nothing.
                using (var state = SendStateFile.Open(path, messages[0]))
                {
                    Send(ConfigFor(server.Port, connections: 4), messages, state: state);
                }

                Assert.Equal(40, server.Delivered.Count);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public async Task Sends_exactly_25_under_a_quota_of_25_and_stops_with_QuotaExceeded_and_one_refusal_per_connection()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RecipientQuota = 25 });
            var before = DateTime.UtcNow;

            var results = Send(ConfigFor(server.Port, connections: 2), Messages(40));

            Assert.Equal(25, results.Count(r => r.Status == SmtpSendStatus.Sent));
            Assert.Equal(25, server.Delivered.Count);
            var stopped = results.Where(r => r.Status != SmtpSendStatus.Sent).ToList();
            Assert.Equal(15, stopped.Count);
            Assert.All(stopped, r =>
            {
                Assert.Equal("QuotaExceeded", r.ErrorId);
                Assert.Equal(SmtpFailureKind.QuotaExceeded, r.FailureKind);
                Assert.True(r.RetryAfter >= before.AddHours(24));
                Assert.All(r.Recipients, x => Assert.Equal("QuotaExceeded", x.ErrorId));
            });

            // One message text for all of them: the cmdlet writes one ErrorRecord.
            Assert.Single(stopped.Select(r => r.Error).Distinct());
            Assert.All(server.Sessions, s => Assert.True(s.QuotaRefusals <= 1, $"connection {s.Number} was refused {s.QuotaRefusals} times"));
        }

        [Fact]
        public async Task A_connection_waiting_for_its_turn_offers_nothing_once_another_met_the_quota_meanwhile()
        {
            // A message a second over two connections: the first is accepted, the second meets the quota (one recipient),
            // and the third, already waiting for its turn when the quota was met, must not be offered after the wait.
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RecipientQuota = 1 });

            var results = Send(ConfigFor(server.Port, connections: 2, perMinute: 60), Messages(3));

            Assert.Equal(1, results.Count(r => r.Status == SmtpSendStatus.Sent));
            Assert.All(results.Where(r => r.Status != SmtpSendStatus.Sent), r => Assert.Equal("QuotaExceeded", r.ErrorId));
            Assert.Equal(1, server.Sessions.Sum(s => s.QuotaRefusals));
        }

        [Fact]
        public async Task Spaces_12_messages_at_240_a_minute_over_3_connections_at_least_2_75_s_and_tells_of_each_wait()
        {
            await using var server = new SmtpTestServer();
            var waits = new ConcurrentQueue<SmtpSendWait>();
            var clock = Stopwatch.StartNew();

            var results = Send(ConfigFor(server.Port, connections: 3, perMinute: 240), Messages(12), waits);

            clock.Stop();
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.75), $"took {clock.Elapsed}");
            Assert.NotEmpty(waits);
            Assert.All(waits, w => Assert.Equal(SmtpSendWaitReason.Pacing, w.Reason));
            Assert.Contains(waits, w => w.Text.StartsWith("240 messages/minute: next in ", StringComparison.Ordinal));
        }

        [Fact]
        public async Task Spaces_the_MAIL_commands_of_every_connection_even_when_one_connection_is_slow_to_open()
        {
            // The first connection takes a second to greet (as a slow TLS handshake and login would): its turn must
            // not be spent while it connects, or its MAIL lands right beside another connection's.
            await using var server = new SmtpTestServer(c => c.Verb == "EHLO" && c.Connection == 1 ? ServerAction.Wait(TimeSpan.FromSeconds(1)) : null);
            var interval = TimeSpan.FromSeconds(0.5);

            var results = Send(ConfigFor(server.Port, connections: 3, perMinute: 120), Messages(7));

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            var mails = server.Commands.Where(c => c.Verb == "MAIL").Select(c => c.ReceivedUtc).OrderBy(t => t).ToList();
            Assert.Equal(7, mails.Count);

            // A lower bound with room for a busy machine: half the interval (a MAIL sent late shortens the gap after it).
            for (var i = 1; i < mails.Count; i++)
            {
                Assert.True(mails[i] - mails[i - 1] >= TimeSpan.FromTicks(interval.Ticks / 2), $"MAIL {i} and {i + 1} came {(mails[i] - mails[i - 1]).TotalSeconds:0.000} s apart");
            }
        }

        [Fact]
        public async Task Slows_down_when_the_server_throttles_and_every_message_still_ends_Sent()
        {
            // Every third MAIL is answered "451 4.7.500 Server busy", as Exchange Online throttles.
            await using var server = new SmtpTestServer(ServerScript.Every("MAIL", 3, ServerAction.Reply("451 4.7.500 Server busy. Please try again later.")));
            var waits = new ConcurrentQueue<SmtpSendWait>();
            var clock = Stopwatch.StartNew();

            var results = Send(ConfigFor(server.Port), Messages(6), waits);

            clock.Stop();
            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Equal(6, server.Delivered.Count);

            // The first MAIL was throttled: from then on at least 6 transactions start half a second or more apart.
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
            Assert.Contains(waits, w => w.Reason == SmtpSendWaitReason.Retry);
            Assert.Contains(waits, w => w.Reason == SmtpSendWaitReason.Pacing);
        }

        [Fact]
        public async Task Slows_down_when_the_last_connection_is_told_421_too_many_connections()
        {
            // Alone, the connection cannot hand its message to another: it waits, and the pace widens as for "slow down".
            await using var server = new SmtpTestServer(c => c.Verb == "MAIL" && c.Seen == 1 && c.Argument == Sender
                ? ServerAction.Reply("421 4.7.0 smtp.test Error: too many connections, try again later")
                : null);
            var waits = new ConcurrentQueue<SmtpSendWait>();

            var results = Send(ConfigFor(server.Port), Messages(3), waits);

            Assert.All(results, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.Contains(waits, w => w.Reason == SmtpSendWaitReason.Pacing);
        }

        [Fact]
        public async Task Stops_at_the_day_budget_before_offering_more_recipients_to_the_server()
        {
            await using var server = new SmtpTestServer();

            var results = Send(ConfigFor(server.Port, perDay: 5), Messages(8));

            Assert.Equal(5, results.Count(r => r.Status == SmtpSendStatus.Sent));
            Assert.All(results.Skip(5), r => Assert.Equal("QuotaExceeded", r.ErrorId));
            Assert.Contains("RecipientsPerDay", results[7].Error);
            Assert.Equal(5, server.CountCommands("MAIL"));
        }

        [Fact]
        public async Task Gives_back_the_day_budget_of_recipients_left_out_for_want_of_SMTPUTF8()
        {
            // The server offers no SMTPUTF8: the first message's two recipients are not attempted, and use none of the budget.
            await using var server = new SmtpTestServer();
            var messages = new[]
            {
                new SmtpMessage { From = Sender, To = new[] { "jürgen@example.test", "jörg@example.test" }, Subject = "Umlauts", TextBody = "Body" },
                new SmtpMessage { From = Sender, To = new[] { "ann@example.test", "bob@example.test" }, Subject = "Plain", TextBody = "Body" },
            };

            var results = Send(ConfigFor(server.Port, perDay: 2), messages);

            Assert.All(results[0].Recipients, r => Assert.Equal("SmtpUtf8NotOffered", r.ErrorId));
            Assert.Equal(SmtpSendStatus.Sent, results[1].Status);
            Assert.Equal(2, server.Delivered.Sum(t => t.To.Count));
        }

        [Fact]
        public async Task Stops_at_HVE_550_5_5_105_without_recording_a_day_long_quota_that_would_block_every_rerun()
        {
            // High Volume Email refuses an external recipient: a rule about that recipient, not a used-up day's quota.
            await using var server = new SmtpTestServer(c => c.Verb == "RCPT" && c.Argument.StartsWith("user2@", StringComparison.Ordinal)
                ? ServerAction.Reply("550 5.5.105 Recipient is not allowed to receive mail from this sender (external recipient)")
                : null);
            var path = Path.Combine(Path.GetTempPath(), $"governor-{Guid.NewGuid():N}.state");
            var messages = Messages(3);
            try
            {
                List<SmtpSendResult> results;
                using (var state = SendStateFile.Open(path, messages[0]))
                {
                    results = Send(ConfigFor(server.Port), messages, state: state);
                }

                Assert.Equal(SmtpSendStatus.Sent, results[0].Status);
                Assert.All(results.Skip(1), r => Assert.Equal("QuotaExceeded", r.ErrorId));
                Assert.All(results.Skip(1), r => Assert.Null(r.RetryAfter));
                Assert.DoesNotContain(File.ReadAllLines(path), l => l.Contains("\"quotaUntil\""));
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public async Task Carries_the_day_budget_and_the_quota_across_runs_in_the_state_file()
        {
            await using var server = new SmtpTestServer();
            var path = Path.Combine(Path.GetTempPath(), $"governor-{Guid.NewGuid():N}.state");
            var message = new SmtpMessage { From = Sender, To = Enumerable.Range(1, 8).Select(i => $"user{i}@example.test").ToArray(), Subject = "Budget", TextBody = "Body" };
            var config = ConfigFor(server.Port, perDay: 5, perMessage: 2);
            try
            {
                SmtpSendResult first;
                using (var state = SendStateFile.Open(path, message))
                {
                    first = Send(config, new[] { message }, state: state).Single();
                }

                Assert.Equal(5, first.Accepted.Count);
                Assert.Equal(3, first.NotAttempted.Count);
                Assert.Equal("QuotaExceeded", first.ErrorId);
                Assert.Contains(File.ReadAllLines(path), l => l.Contains("\"quotaUntil\""));
                var connections = server.Connections;

                // A rerun before the quota runs out connects nowhere: the settled stay settled, the rest wait.
                SmtpSendResult second;
                using (var state = SendStateFile.Open(path, message))
                {
                    second = Send(config, new[] { message }, state: state).Single();
                }

                Assert.Equal(connections, server.Connections);
                Assert.Equal(5, second.AlreadyAccepted.Count);
                Assert.Equal(3, second.NotAttempted.Count);
                Assert.Equal("QuotaExceeded", second.ErrorId);
                Assert.Equal(5, server.Delivered.Sum(t => t.To.Count));
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public async Task Cancelling_ends_a_pacing_wait_at_once()
        {
            await using var server = new SmtpTestServer();
            // A pace so slow (one message in 1,000 minutes) that only cancelling can end the second message's wait.
            var mailer = new SmtpMailer(ConfigFor(server.Port, perMinute: 0.001));
            var messages = Messages(2).Select(m => mailer.Prepare(m)).ToList();
            using var stop = new System.Threading.CancellationTokenSource();

            // The second message waits for its turn; Ctrl+C (the token) ends the wait.
            mailer.Waiting = _ => stop.CancelAfter(TimeSpan.FromMilliseconds(200));
            var sent = new List<SmtpSendResult>();
            Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                foreach (var result in mailer.Send(messages, stop.Token))
                {
                    sent.Add(result);
                }
            });

            Assert.Single(sent);
            Assert.Single(server.Delivered);
            Assert.True(stop.IsCancellationRequested);
        }

        [Fact]
        public void Does_not_retry_a_first_connection_that_nothing_listens_for()
        {
            var port = SmtpTestServer.FreePort();
            var waits = new ConcurrentQueue<SmtpSendWait>();
            var config = new SmtpHandlerConfig { SmtpServer = "127.0.0.1", Port = port }.Validate();

            var result = Send(config, Messages(1), waits).Single();

            Assert.Equal("ConnectionFailed", result.ErrorId);
            Assert.Empty(waits);
        }
    }
}
