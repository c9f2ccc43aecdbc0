using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// What a hostile server writes never reaches our outputs as it is: control characters (terminal escape
    /// sequences) are shown visibly, and anything that matches what we sent to log in (the AUTH blobs, the password,
    /// the token, in each spelling) is masked, in results, errors, the log (-Verbose), reports, findings and transcripts.
    /// </summary>
    public sealed class HostileServerTextTests : IClassFixture<OAuthTestCertificates>
    {
        private const string User = "ann@example.test";
        private const string Password = "Quoted-pass-5309";

        /// <summary>Retitles the window, erases the line, then prints a green "accepted".</summary>
        private const string Escapes = "\u001b]0;pwned\u0007\u001b[2K\u001b[32maccepted\u001b[0m \u009b31m\u007f";

        private static readonly string PlainBlob = Base64("\0" + User + "\0" + Password);

        private readonly OAuthTestCertificates certificates;

        public HostileServerTextTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        private static SmtpHandlerConfig WithPassword(int port) => Config(port, retryCount: 0) with
        {
            UserName = User,
            Password = new NetworkCredential(string.Empty, Password).SecurePassword,
            AllowUnencryptedAuthentication = true,
        };

        /// <summary>Everything a result says, as ConvertTo-Json would reach it.</summary>
        private static IEnumerable<string> Texts(SmtpSendResult result) =>
            new[] { result.Error, result.ToString() }.Concat(result.Recipients.SelectMany(r => new[] { r.Reply, r.Reason, r.ToString() })).Where(t => t != null)!;

        private static IEnumerable<string> Texts(SmtpConnectionReport report) =>
            new[] { report.Banner, report.AuthenticationReply, report.Sender?.Reply }
                .Concat(report.EhloLines)
                .Concat(report.Transcript)
                .Concat(report.Recipients.Select(r => r.Reply))
                .Concat(report.Findings.Select(f => f.ToString()))
                .Where(t => t != null)!;

        private static void AssertNoSecret(IEnumerable<string> texts, params string[] secrets)
        {
            foreach (var text in texts)
            {
                foreach (var secret in secrets.SelectMany(s => new[] { s, Base64(s) }))
                {
                    Assert.DoesNotContain(secret, text);
                }
            }
        }

        private static void AssertNoControlCharacters(IEnumerable<string> texts)
        {
            foreach (var text in texts)
            {
                Assert.False(text.Any(c => c < ' ' || (c >= '\u007f' && c <= '\u009f')), $"A control character reached: {text.Replace("\u001b", "<ESC>")}");
            }
        }

        [Fact]
        public void A_535_quoting_the_AUTH_PLAIN_data_shows_it_nowhere_in_results_or_the_log()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                AuthMechanisms = "PLAIN",
                Script = c => c.Verb == "AUTH" ? ServerAction.Reply($"535 5.7.8 Authentication failed: AUTH PLAIN {PlainBlob} ({Password})") : null,
            });
            var log = new CapturingLog();

            var result = Send(WithPassword(server.Port), log, Message("Quoted", "bob@example.test")).Single();

            Assert.Equal("AuthenticationFailed", result.ErrorId);
            Assert.Contains("Authentication failed: AUTH PLAIN " + SecretRedactor.Mask, result.Error);
            AssertNoSecret(Texts(result).Concat(log.Lines), PlainBlob, Password);
            Assert.Contains("C: AUTH PLAIN " + SecretRedactor.Mask, log.Lines);
            Assert.Contains(log.Lines, l => l.StartsWith("S: 535", StringComparison.Ordinal) && l.Contains(SecretRedactor.Mask));
        }

        [Fact]
        public void A_535_quoting_each_AUTH_LOGIN_step_shows_neither_in_results_or_the_log()
        {
            var step = 0;
            var userBlob = Base64(User);
            var passwordBlob = Base64(Password);
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                AuthMechanisms = "LOGIN",
                Script = c => c.Verb == "AUTH" ? Next(ref step, 1, "334 VXNlcm5hbWU6")
                    : Volatile.Read(ref step) == 1 ? Next(ref step, 2, "334 UGFzc3dvcmQ6")
                    : Volatile.Read(ref step) == 2 ? Next(ref step, 0, $"535 5.7.8 Bad login {userBlob} {passwordBlob}")
                    : null,
            });
            var log = new CapturingLog();

            var result = Send(WithPassword(server.Port), log, Message("Login", "bob@example.test")).Single();

            Assert.Equal("AuthenticationFailed", result.ErrorId);
            AssertNoSecret(Texts(result).Concat(log.Lines), Password);
            Assert.All(Texts(result).Concat(log.Lines), t => Assert.DoesNotContain(passwordBlob, t));
            Assert.All(Texts(result).Concat(log.Lines), t => Assert.DoesNotContain(userBlob, t));
        }

        [Fact]
        public void A_535_quoting_the_XOAUTH2_blob_shows_neither_it_nor_the_token()
        {
            const string token = "quoted-token-8d2e61";
            var blob = Base64(SmtpTestServer.XOAuth2Response(User, token));
            var options = SmtpTestServerOptions.XOAuth2(certificates.Server, User);
            options.Script = c => c.Verb == "AUTH" ? ServerAction.Reply($"535 5.7.3 Authentication unsuccessful {blob} token={token}") : null;
            using var server = new SmtpTestServer(options);
            var config = Config(server.Port, retryCount: 0) with
            {
                TlsMode = SmtpTlsMode.ImplicitTls,
                TrustedCertificatePaths = new[] { certificates.ServerPemPath },
                UserName = User,
                TokenSource = new StaticTokenSource(new NetworkCredential(string.Empty, token).SecurePassword),
            };
            var log = new CapturingLog();

            var result = Send(config, log, Message("Token", "bob@example.test")).Single();
            var report = new SmtpDiagnostics(config, log).Run();

            Assert.Equal("AuthenticationFailed", result.ErrorId);
            Assert.Equal("AuthenticationFailed", report.ErrorId);
            Assert.All(Texts(result).Concat(Texts(report)).Concat(log.Lines), t =>
            {
                Assert.DoesNotContain(blob, t);
                Assert.DoesNotContain(token, t);
            });
        }

        [Fact]
        public void Test_SmtpConnection_shows_a_quoted_AUTH_PLAIN_blob_nowhere_in_the_report_or_the_log()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                AuthMechanisms = "PLAIN",
                Script = c => c.Verb == "AUTH" ? ServerAction.Reply($"535 5.7.8 Authentication failed: AUTH PLAIN {PlainBlob} ({Password})") : null,
            });
            var log = new CapturingLog();

            var report = new SmtpDiagnostics(WithPassword(server.Port), log).Run();

            Assert.Equal("AuthenticationFailed", report.ErrorId);
            Assert.Contains(SecretRedactor.Mask, report.AuthenticationReply);
            AssertNoSecret(Texts(report).Concat(log.Lines), PlainBlob, Password);
        }

        [Fact]
        public void Escape_sequences_in_a_refusal_reach_results_and_the_log_only_as_visible_text()
        {
            using var server = new SmtpTestServer(c =>
                c.Verb == "RCPT" && c.Argument.StartsWith("bob", StringComparison.Ordinal) ? ServerAction.Reply("550 5.1.1 " + Escapes) :
                c.Verb == "." ? ServerAction.Reply("250 2.0.0 queued " + Escapes) :
                null);
            var log = new CapturingLog();

            var result = Send(Config(server.Port), log, Message("Escapes", "ann@example.test", "bob@example.test")).Single();

            var bob = Assert.Single(result.Rejected);
            Assert.Equal(550, bob.ReplyCode);
            Assert.Equal(@"5.1.1 \x1B]0;pwned\x07\x1B[2K\x1B[32maccepted\x1B[0m \x9B31m\x7F", bob.Reply);
            Assert.Contains(log.Lines, l => l.StartsWith("S: 250 2.0.0 queued", StringComparison.Ordinal) && l.Contains(@"\x1B[32maccepted"));
            AssertNoControlCharacters(Texts(result).Concat(log.Lines));
            Assert.Contains(log.Lines, l => l.StartsWith("S: 550", StringComparison.Ordinal) && l.Contains(@"\x1B]0;pwned"));
        }

        [Fact]
        public void Escape_sequences_in_a_failure_that_ends_the_send_reach_its_error_only_as_visible_text()
        {
            using var server = new SmtpTestServer(c => c.Verb == "CONNECT" ? ServerAction.Reply("554 5.7.1 " + Escapes) : null);
            var log = new CapturingLog();

            var result = Send(Config(server.Port, retryCount: 0), log, Message("Greeting", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Contains(@"\x1B]0;pwned", result.Error);
            AssertNoControlCharacters(Texts(result).Concat(log.Lines));
        }

        [Fact]
        public void Escape_sequences_from_the_server_reach_the_report_and_its_findings_only_as_visible_text()
        {
            var options = new SmtpTestServerOptions { Greeting = "220 smtp.test " + Escapes };
            options.Extensions.Add("X-" + Escapes);
            options.Script = c => c.Verb == "RCPT" ? ServerAction.Reply("550 5.1.1 " + Escapes) : null;
            using var server = new SmtpTestServer(options);
            var log = new CapturingLog();
            var diagnostics = new SmtpDiagnostics(Config(server.Port), log) { Envelope = new SmtpEnvelopeCheck(Sender, new[] { "bob@example.test" }) };

            var report = diagnostics.Run();

            var refused = Assert.Single(report.Findings, f => f.Id == "RecipientRejected");
            Assert.Contains(@"\x1B[32maccepted", refused.Message);
            AssertNoControlCharacters(Texts(report).Concat(log.Lines));
        }

        private static ServerAction Next(ref int step, int next, string reply)
        {
            Volatile.Write(ref step, next);
            return ServerAction.Reply(reply);
        }

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }
}
