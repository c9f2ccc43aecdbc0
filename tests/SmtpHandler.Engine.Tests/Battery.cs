using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>What the delivery tests and the reliability and security battery share: configs, messages, sending, and the accounting rule.</summary>
    internal static class Battery
    {
        public const string Sender = "reports@example.test";

        public static SmtpHandlerConfig Config(int port, int retryCount = 2, int timeoutSeconds = 10, int recipientsPerMessage = 0, int maxMessagesPerConnection = 0, int retryDelayMs = 10) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = port,
            RetryCount = retryCount,
            RetryDelay = TimeSpan.FromMilliseconds(retryDelayMs),
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            RecipientsPerMessage = recipientsPerMessage,
            MaxMessagesPerConnection = maxMessagesPerConnection,
        }.Validate();

        public static SmtpMessage Message(string subject, params string[] to) => new()
        {
            From = $"Reports <{Sender}>",
            To = to,
            Subject = subject,
            TextBody = "Body of " + subject,
        };

        public static string[] Users(int count, string prefix = "user") => Enumerable.Range(1, count).Select(i => $"{prefix}{i}@example.test").ToArray();

        public static List<SmtpSendResult> Send(SmtpHandlerConfig config, params SmtpMessage[] messages) => Send(config, null, messages);

        public static List<SmtpSendResult> Send(SmtpHandlerConfig config, ISmtpLog? log, params SmtpMessage[] messages)
        {
            var mailer = new SmtpMailer(config, log);
            return mailer.Send(messages.Select(m => mailer.Prepare(m)).ToList()).ToList();
        }

        /// <summary>
        /// Sends with a token that can be cancelled, as the cmdlets do (Ctrl+C), or with none. A send still running
        /// after <paramref name="limit"/> is cancelled and fails the test: a hang shows as a failure, not a stuck run.
        /// </summary>
        public static List<SmtpSendResult> SendWithin(TimeSpan limit, bool cancellable, SmtpHandlerConfig config, params SmtpMessage[] messages)
        {
            using var stop = new CancellationTokenSource();
            var mailer = new SmtpMailer(config);
            var prepared = messages.Select(m => mailer.Prepare(m)).ToList();
            var sending = Task.Run(() => mailer.Send(prepared, cancellable ? stop.Token : CancellationToken.None).ToList());
            if (!sending.Wait(limit))
            {
                stop.Cancel();
                Assert.Fail($"The send did not end within {limit.TotalSeconds:0} s (token {(cancellable ? "cancellable" : "none")}).");
            }

            return sending.Result;
        }

        /// <summary>
        /// The accounting rule: each recipient of the message is reported once, in exactly one state; refused ones
        /// carry the server's code or a reason, not-attempted and unknown ones a reason.
        /// </summary>
        public static void AssertEachRecipientOnce(SmtpSendResult result, IEnumerable<string> expected)
        {
            var reported = result.Recipients.Select(r => r.Address).ToList();
            Assert.Equal(expected.OrderBy(a => a, StringComparer.OrdinalIgnoreCase), reported.OrderBy(a => a, StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(reported.Count, reported.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.Equal(result.Recipients.Count, result.Accepted.Count + result.Rejected.Count + result.NotAttempted.Count + result.Unknown.Count);
            Assert.All(result.Rejected, r => Assert.True(r.ReplyCode != null || r.Reason != null));
            Assert.All(result.NotAttempted, r => Assert.False(string.IsNullOrEmpty(r.Reason)));
            Assert.All(result.Unknown, r => Assert.False(string.IsNullOrEmpty(r.Reason)));
        }

        /// <summary>
        /// Server-side: nobody got the message twice, and everyone reported Accepted got it exactly once; an Unknown
        /// recipient got it at most once.
        /// </summary>
        public static void AssertNothingLostNothingTwice(SmtpTestServer server, IEnumerable<SmtpSendResult> results)
        {
            foreach (var result in results)
            {
                var subject = $"Subject: {result.Subject}\r\n";
                int Deliveries(string address) => server.Delivered.Count(t => t.Data.Contains(subject) && t.To.Contains(address, StringComparer.OrdinalIgnoreCase));
                Assert.All(result.Accepted, r => Assert.Equal(1, Deliveries(r.Address)));
                Assert.All(result.Unknown, r => Assert.InRange(Deliveries(r.Address), 0, 1));
                Assert.All(result.Rejected.Concat(result.NotAttempted), r => Assert.Equal(0, Deliveries(r.Address)));
            }
        }

        /// <summary>A log that keeps every line, to search it.</summary>
        public sealed class CapturingLog : ISmtpLog
        {
            public List<string> Lines { get; } = new();

            public bool IsProtocolEnabled => true;

            public void Step(string text) => Lines.Add(text);

            public void Protocol(string line) => Lines.Add(line);
        }
    }
}
