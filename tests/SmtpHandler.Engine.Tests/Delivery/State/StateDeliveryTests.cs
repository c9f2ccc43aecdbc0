using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Sends that keep a state file, against the shared test server: what each fault leaves in the file, and what
    /// the rerun does with it (checked on the server side).
    /// </summary>
    public sealed class StateDeliveryTests : IDisposable
    {
        private readonly string directory = Path.Combine(Path.GetTempPath(), $"state-delivery-{Guid.NewGuid():N}");

        public StateDeliveryTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, recursive: true);

        [Fact]
        public async Task A_reply_lost_after_the_final_dot_is_recorded_Unknown_and_held_back_on_the_rerun()
        {
            await using var server = new SmtpTestServer(c => c.Verb == "." && c.Seen == 1 ? ServerAction.KeepAndDrop : null);
            var config = Config(server.Port);
            var path = Path.Combine(directory, "lost.jsonl");

            var first = SendWithState(config, path, Message("Lost", "ann@example.test"), Message("Lost", "bob@example.test"));
            var second = SendWithState(config, path, Message("Lost", "ann@example.test"), Message("Lost", "bob@example.test"));

            Assert.Equal(new[] { SmtpSendStatus.Unknown, SmtpSendStatus.Sent }, first.Select(r => r.Status));
            Assert.Equal(new[] { SmtpSendStatus.Unknown, SmtpSendStatus.AlreadySent }, second.Select(r => r.Status));
            Assert.Equal("DeliveryUnknownEarlier", second[0].Unknown.Single().ErrorId);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(1, server.DeliveriesTo("bob@example.test"));
            Assert.Equal(2, server.Connections);
        }

        [Fact]
        public async Task A_transient_refusal_is_retried_and_each_attempt_recorded()
        {
            var offered = 0;
            await using var server = new SmtpTestServer(c =>
                c.Verb == "RCPT" && c.Argument == "ann@example.test" && Interlocked.Increment(ref offered) == 1 ? ServerAction.Reply("451 4.3.0 Try again later") : null);
            var path = Path.Combine(directory, "retry.jsonl");

            var result = SendWithState(Config(server.Port, retryCount: 1), path, Message("Retry", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(new[] { "ann@example.test Sending", "ann@example.test Deferred", "ann@example.test Sending", "ann@example.test Accepted" }, Records(path));
        }

        [Fact]
        public async Task A_recipient_that_failed_with_a_transient_reply_is_sent_on_the_rerun()
        {
            var offered = 0;
            await using var server = new SmtpTestServer(c =>
                c.Verb == "RCPT" && c.Argument == "ann@example.test" && Interlocked.Increment(ref offered) == 1 ? ServerAction.Reply("452 4.2.2 Mailbox full") : null);
            var config = Config(server.Port, retryCount: 0);
            var path = Path.Combine(directory, "transient.jsonl");

            var first = SendWithState(config, path, Message("Full", "ann@example.test", "bob@example.test")).Single();
            var second = SendWithState(config, path, Message("Full", "ann@example.test", "bob@example.test")).Single();

            Assert.Equal(452, first.Rejected.Single().ReplyCode);
            Assert.Equal("ann@example.test", second.Accepted.Single().Address);
            Assert.Equal("bob@example.test", second.AlreadyAccepted.Single().Address);
            Assert.Equal(SmtpSendStatus.Sent, second.Status);
            Assert.Equal(1, server.DeliveriesTo("ann@example.test"));
            Assert.Equal(1, server.DeliveriesTo("bob@example.test"));
        }

        [Fact]
        public async Task Several_connections_share_one_file_and_a_rerun_opens_none()
        {
            await using var server = new SmtpTestServer();
            var config = Config(server.Port) with { ConnectionCount = 3 };
            var path = Path.Combine(directory, "parallel.jsonl");
            var messages = Users(12).Select(u => Message("Parallel", u)).ToArray();

            var first = SendWithState(config, path, messages);
            var connections = server.Connections;
            var second = SendWithState(config, path, messages);

            Assert.All(first, r => Assert.Equal(SmtpSendStatus.Sent, r.Status));
            Assert.All(second, r => Assert.Equal(SmtpSendStatus.AlreadySent, r.Status));
            Assert.Equal(Users(12), second.Select(r => r.Recipients.Single().Address));
            Assert.Equal(connections, server.Connections);
            Assert.Equal(25, File.ReadAllLines(path).Length);
        }

        [Fact]
        public async Task A_second_message_to_the_same_address_is_its_own_entry()
        {
            await using var server = new SmtpTestServer();
            var path = Path.Combine(directory, "twice.jsonl");

            var first = SendWithState(Config(server.Port), path, Message("Twice", "ann@example.test"));
            var second = SendWithState(Config(server.Port), path, Message("Twice", "ann@example.test"), Message("Twice", "ann@example.test"));

            Assert.Equal(SmtpSendStatus.Sent, first.Single().Status);
            Assert.Equal(new[] { SmtpSendStatus.AlreadySent, SmtpSendStatus.Sent }, second.Select(r => r.Status));
            Assert.Equal(2, server.DeliveriesTo("ann@example.test"));
        }

        [Fact]
        public async Task Ctrl_C_with_a_state_file_gives_a_silent_server_a_moment_then_stops_and_the_rerun_holds_the_message_back()
        {
            // The server keeps the message and never answers the final ".": only Ctrl+C ends the wait (-Timeout is 60 s).
            await using var server = new SmtpTestServer(c => c.Verb == "." ? ServerAction.Silence : null);
            var config = Config(server.Port, timeoutSeconds: 60);
            var path = Path.Combine(directory, "stopped.jsonl");
            using var stop = new CancellationTokenSource();
            var mailer = new SmtpMailer(config);
            var messages = new[] { mailer.Prepare(Message("Stopped", "ann@example.test")) };
            var clock = System.Diagnostics.Stopwatch.StartNew();

            var send = Task.Run(() =>
            {
                using var state = SendStateFile.Open(path, Message("Stopped", "ann@example.test"));
                return mailer.Send(messages, state, stop.Token).ToList();
            });
            while (!server.Commands.Any(c => c.Verb == "DATA") && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(20);
            }

            await Task.Delay(200);
            clock.Restart();
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

            // The grace (2 s), not the 60 s of -Timeout: the bound is far from both, so a slow machine can't fail it.
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 30);
            Assert.Equal(new[] { "ann@example.test Sending" }, Records(path));
            var rerun = SendWithState(Config(server.Port), path, Message("Stopped", "ann@example.test")).Single();
            Assert.Equal("DeliveryUnknownEarlier", rerun.Unknown.Single().ErrorId);
        }

        private static List<SmtpSendResult> SendWithState(SmtpHandlerConfig config, string path, params SmtpMessage[] messages)
        {
            var mailer = new SmtpMailer(config);
            using var state = SendStateFile.Open(path, messages[0]);
            return mailer.Send(messages.Select(m => mailer.Prepare(m)).ToList(), state).ToList();
        }

        private static string[] Records(string path) => File.ReadAllLines(path)
            .Skip(1)
            .Select(l => JsonReader.TryParseObject(l)!)
            .Select(j => $"{j.GetString("rcpt")} {j.GetString("status")}")
            .ToArray();
    }
}
