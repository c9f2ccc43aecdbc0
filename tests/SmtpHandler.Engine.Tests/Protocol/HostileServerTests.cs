using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// A server that means harm: every wait ends within the Timeout (plus a small margin) or soon after the caller
    /// cancels, however the server stalls, drips or floods; and no reply is buffered past its cap.
    /// </summary>
    public sealed class HostileServerTests : IClassFixture<TestCertificates>
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1.5);
        private static readonly TimeSpan Drip = TimeSpan.FromMilliseconds(200);
        private const long Huge = 200L * 1024 * 1024;
        private readonly TestCertificates certs;

        public HostileServerTests(TestCertificates certs) => this.certs = certs;

        [Theory]
        [InlineData(SmtpTlsMode.ImplicitTls)]
        [InlineData(SmtpTlsMode.StartTls)]
        public void A_TLS_handshake_that_never_completes_gives_up_within_the_timeout(SmtpTlsMode mode)
        {
            using var server = Server(mode, ServerScript.At("TLS", ServerAction.Silence));

            // Each connection gets the Timeout; RetryCount 0 makes it one connection.
            var (result, took) = Timed(() => SendWithin(Timeout + Margin + Margin, true, Config(server.Port, mode) with { RetryCount = 0 }, Message("Stall", "ann@example.test")).Single());

            Assert.InRange(took, TimeSpan.Zero, Timeout + Margin);
            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ConnectionTimedOut", result.ErrorId);
            Assert.All(result.Recipients, r => Assert.Equal(SmtpRecipientStatus.NotAttempted, r.Status));
            Assert.Empty(server.Delivered);
        }

        [Theory]
        [InlineData(SmtpTlsMode.ImplicitTls, "TLS")]
        [InlineData(SmtpTlsMode.StartTls, "TLS")]
        [InlineData(SmtpTlsMode.StartTls, "STARTTLS")]
        [InlineData(SmtpTlsMode.None, "CONNECT")]
        [InlineData(SmtpTlsMode.None, "EHLO")]
        [InlineData(SmtpTlsMode.None, ".")]
        public void Cancelling_stops_a_stalled_or_dripping_server_within_a_second(SmtpTlsMode mode, string verb)
        {
            var stall = verb == "TLS" ? ServerAction.Silence : ServerAction.Drip("250-still going\r\n", Drip);
            using var server = Server(mode, ServerScript.At(verb, stall));
            var config = Config(server.Port, mode) with { Timeout = TimeSpan.FromSeconds(60) };

            var stopped = CancelAfter(TimeSpan.FromSeconds(1), config, Message("Stop", "ann@example.test"));

            Assert.InRange(stopped, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
        }

        [Theory]
        [InlineData(SmtpTlsMode.None, "CONNECT")]
        [InlineData(SmtpTlsMode.None, "EHLO")]
        [InlineData(SmtpTlsMode.StartTls, "STARTTLS")]
        [InlineData(SmtpTlsMode.StartTls, "EHLO")]
        [InlineData(SmtpTlsMode.None, "MAIL")]
        [InlineData(SmtpTlsMode.None, ".")]
        public void A_reply_dripped_a_byte_at_a_time_gets_the_timeout_for_the_whole_reply(SmtpTlsMode mode, string verb)
        {
            // Never idle for long (a byte every 200 ms), never done: only a deadline for the whole reply ends it.
            using var server = Server(mode, c => c.Verb == verb && c.Connection == 1 ? ServerAction.Drip("250-still going\r\n", Drip) : null);

            var (results, took) = Timed(() => SendWithin(Timeout + Timeout + Margin, true, Config(server.Port, mode) with { RetryCount = 0 }, Message("Drip", "ann@example.test")));

            Assert.InRange(took, TimeSpan.Zero, Timeout + Margin);
            var result = Assert.Single(results);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            if (verb == ".")
            {
                // The data went out whole: it may have been queued, so it is not sent again.
                Assert.Equal(SmtpRecipientStatus.Unknown, Assert.Single(result.Recipients).Status);
                Assert.Contains("may or may not have been delivered", Assert.Single(result.Recipients).Reason);
            }
            else
            {
                Assert.Equal(SmtpSendStatus.Failed, result.Status);
                Assert.Contains(result.ErrorId, new[] { "ConnectionTimedOut", "SendFailed", null });
                Assert.Equal(SmtpRecipientStatus.NotAttempted, Assert.Single(result.Recipients).Status);
            }
        }

        [Fact]
        public void An_upload_longer_than_the_timeout_is_not_cut_while_its_bytes_flow()
        {
            // The data phase is held to progress, not to a deadline: 100 MB takes longer than a 0.5 s Timeout on loopback.
            var path = Path.Combine(Path.GetTempPath(), $"hostile-{Guid.NewGuid():N}.bin");
            using (var file = File.Create(path))
            {
                file.SetLength(100L * 1024 * 1024);
            }

            try
            {
                using var server = new SmtpTestServer(new SmtpTestServerOptions { KeepData = false });
                var message = Message("Big", "ann@example.test");
                message.Attachments.Add(new SmtpAttachment(path));

                var (result, took) = Timed(() => SendWithin(TimeSpan.FromSeconds(120), true, Battery.Config(server.Port, retryCount: 0) with { Timeout = TimeSpan.FromSeconds(0.5) }, message).Single());

                Assert.True(took > TimeSpan.FromSeconds(0.5), $"the upload took only {took.TotalSeconds:0.00} s: the test proves nothing");
                Assert.Equal(SmtpSendStatus.Sent, result.Status);
                Assert.True(Assert.Single(server.Delivered).Size > 100L * 1024 * 1024);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void A_name_lookup_that_never_answers_ends_at_the_timeout_or_at_once_when_cancelled()
        {
            var never = new TaskCompletionSource<IPAddress[]>();
            Task<IPAddress[]> Hung(string name) => never.Task;

            var (error, took) = Timed(() => Record.Exception(() => TcpConnect.Resolve("mail.example.test", Timeout, CancellationToken.None, Hung)));
            Assert.IsType<TimeoutException>(error);
            Assert.InRange(took, Timeout - TimeSpan.FromMilliseconds(100), Timeout + Margin);

            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            (error, took) = Timed(() => Record.Exception(() => TcpConnect.Resolve("mail.example.test", TimeSpan.FromSeconds(60), stop.Token, Hung)));
            Assert.IsAssignableFrom<OperationCanceledException>(error);
            Assert.InRange(took, TimeSpan.Zero, TimeSpan.FromSeconds(1.3));
        }

        [Theory]
        [InlineData(SmtpTlsMode.None, "CONNECT")]
        [InlineData(SmtpTlsMode.StartTls, "EHLO")]
        [InlineData(SmtpTlsMode.ImplicitTls, "EHLO")]
        [InlineData(SmtpTlsMode.ImplicitTls, "RCPT")]
        public void A_reply_of_200_MB_is_refused_at_its_cap_without_being_buffered(SmtpTlsMode mode, string verb)
        {
            // One endless line at the greeting and at RCPT; an endless run of EHLO lines (in plaintext, before STARTTLS).
            var flood = verb == "EHLO"
                ? ServerAction.Flood("250-smtp.test\r\n", "250-XFILLER\r\n", Huge, "250 OK\r\n")
                : ServerAction.Flood(verb == "RCPT" ? "550 5.1.1 " : "220 ", "z", Huge, "\r\n");
            using var server = Server(mode, ServerScript.At(verb, flood));
            GC.Collect();
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            var allocated = GC.GetAllocatedBytesForCurrentThread();

            var result = Send(Config(server.Port, mode), Message("Flood", "ann@example.test")).Single();

            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            var grown = Process.GetCurrentProcess().PeakWorkingSet64 - peak;
            Assert.True(allocated < 32L * 1024 * 1024, $"{allocated / 1024 / 1024} MB allocated while reading the reply");
            Assert.True(grown < 100L * 1024 * 1024, $"the peak working set grew by {grown / 1024 / 1024} MB");
            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ReplyTooLong", result.ErrorId);
            Assert.Contains("longer than", result.Error);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            Assert.Equal(1, server.Connections);
            Assert.Empty(server.Delivered);
        }

        private SmtpTestServer Server(SmtpTlsMode mode, Func<ReceivedCommand, ServerAction?> script) => new(new SmtpTestServerOptions
        {
            Certificate = mode == SmtpTlsMode.None ? null : TestCertificates.ForServer(certs.Server),
            ImplicitTls = mode == SmtpTlsMode.ImplicitTls,
            Script = script,
        });

        private SmtpHandlerConfig Config(int port, SmtpTlsMode mode) => Battery.Config(port, retryCount: 1, timeoutSeconds: 2) with
        {
            TlsMode = mode,
            TrustedCertificatePaths = mode == SmtpTlsMode.None ? Array.Empty<string>() : new[] { certs.CaPem },
        };

        /// <summary>Starts a send, cancels it after <paramref name="after"/>, and returns how long it took to stop.</summary>
        private static TimeSpan CancelAfter(TimeSpan after, SmtpHandlerConfig config, params SmtpMessage[] messages)
        {
            using var stop = new CancellationTokenSource();
            var mailer = new SmtpMailer(config);
            var prepared = messages.Select(m => mailer.Prepare(m)).ToList();
            var sending = Task.Run(() => mailer.Send(prepared, stop.Token).ToList());
            Thread.Sleep(after);
            Assert.False(sending.IsCompleted, "the send ended before it was cancelled: the test proves nothing");
            var clock = Stopwatch.StartNew();
            stop.Cancel();
            Assert.True(((IAsyncResult)sending).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)), "the send did not stop within 20 s of being cancelled");
            return clock.Elapsed;
        }

        private static (T Value, TimeSpan Took) Timed<T>(Func<T> action)
        {
            var clock = Stopwatch.StartNew();
            var value = action();
            return (value, clock.Elapsed);
        }
    }
}
