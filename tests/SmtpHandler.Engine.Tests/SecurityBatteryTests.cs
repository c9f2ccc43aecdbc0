using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Battery, security (issue 9): a hostile server strips or refuses STARTTLS, injects lines after its reply to
    /// STARTTLS, or offers AUTH in plaintext; secrets never reach the log. Each checked on the server side: what it
    /// received, and whether it came encrypted.
    /// </summary>
    public sealed class SecurityBatteryTests : IClassFixture<OAuthTestCertificates>
    {
        private const string User = "mailer@example.test";
        private const string Password = "Pa55-w0rd-battery-7f3e";
        private static readonly string[] AfterEhlo = { "AUTH", "MAIL", "RCPT", "DATA" };
        private readonly OAuthTestCertificates certificates;

        public SecurityBatteryTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        /// <summary>STARTTLS to the scripted server, trusting its self-signed certificate, logging in with the test password.</summary>
        private SmtpHandlerConfig StartTlsConfig(int port, int retryCount = 0) => Config(port, retryCount) with
        {
            TlsMode = SmtpTlsMode.StartTls,
            TrustedCertificatePaths = new[] { certificates.ServerPemPath },
            UserName = User,
            Password = new NetworkCredential(string.Empty, Password).SecurePassword,
        };

        /// <summary>Every form the password could take on the wire or in a log: as is, and base64 alone or in an AUTH PLAIN response.</summary>
        private static IEnumerable<string> SecretForms()
        {
            yield return Password;
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(Password));
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + User + "\0" + Password));
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(User + "\0" + User + "\0" + Password));
        }

        private static void AssertNoSecret(IEnumerable<string> texts)
        {
            foreach (var text in texts)
            {
                foreach (var secret in SecretForms())
                {
                    Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                }
            }
        }

        private static string Verb(CommandLine line) => line.Line.Split(' ', ':')[0].ToUpperInvariant();

        [Fact]
        public void STARTTLS_stripped_from_EHLO_fails_with_StartTlsNotOffered_and_nothing_after_EHLO_goes_in_plaintext()
        {
            // The server offers AUTH in plaintext and no STARTTLS, as a downgrading man in the middle would.
            using var server = new SmtpTestServer(new SmtpTestServerOptions { AuthMechanisms = "PLAIN LOGIN" });
            var log = new CapturingLog();

            var result = Send(StartTlsConfig(server.Port), log, Message("Stripped", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("StartTlsNotOffered", result.ErrorId);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            Assert.All(server.Commands, l => Assert.DoesNotContain(Verb(l), AfterEhlo));
            Assert.Contains(server.Commands, l => Verb(l) == "EHLO");
            Assert.Empty(server.Delivered);
            AssertNoSecret(log.Lines.Append(result.Error!));
        }

        [Theory]
        [InlineData("454 4.7.0 TLS not available due to temporary reason")]
        [InlineData("502 5.5.1 Error: command not implemented")]
        [InlineData("554 5.7.0 Go away")]
        public void STARTTLS_answered_with_an_error_fails_with_StartTlsFailed_and_nothing_after_it_goes_in_plaintext(string reply)
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                Script = c => c.Verb == "STARTTLS" ? ServerAction.Reply(reply) : null,
                Certificate = certificates.Server,
                AuthMechanisms = "PLAIN LOGIN",
            });
            var log = new CapturingLog();

            var result = Send(StartTlsConfig(server.Port, retryCount: 1), log, Message("Refused", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("StartTlsFailed", result.ErrorId);
            Assert.Contains(reply.Substring(0, 3), result.Error);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            Assert.All(server.Commands, l => Assert.DoesNotContain(Verb(l), AfterEhlo));
            Assert.All(server.Commands, l => Assert.False(l.Encrypted));
            Assert.Contains(server.Commands, l => Verb(l) == "STARTTLS");
            Assert.Empty(server.Delivered);

            // A 4xx may be temporary: one more connection (RetryCount 1), refused alike; a 5xx is final.
            Assert.Equal(reply.StartsWith("4", StringComparison.Ordinal) ? 2 : 1, server.Connections);
            AssertNoSecret(log.Lines.Append(result.Error!));
        }

        [Theory]
        [InlineData("250-evil.test\r\n250 8BITMIME")]
        [InlineData("250-evil.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead")]
        public void Lines_injected_after_the_220_reply_to_STARTTLS_are_not_acted_on(string injected)
        {
            // The server sends its 220 and the injected lines in one write, before the handshake (the "NO STARTTLS"
            // attack). A client that kept them would read them as the replies to EHLO, AUTH, MAIL... after TLS: the
            // first injection offers no AUTH (the login would fail), the second answers ahead (bob's 550 would be
            // missed). MailKit 4.16+ drops what was buffered before the handshake.
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                Script = c =>
                    c.Verb == "STARTTLS" ? ServerAction.StartTlsWith("220 2.0.0 Ready to start TLS\r\n" + injected) :
                    c.Verb == "RCPT" && c.Argument == "bob@example.test" ? ServerAction.Reply("550 5.1.1 <bob@example.test>: Recipient address rejected") :
                    null,
                Certificate = certificates.Server,
                AuthMechanisms = "PLAIN LOGIN",
            });
            var log = new CapturingLog();

            var result = Send(StartTlsConfig(server.Port), log, Message("Injected", "ann@example.test", "bob@example.test", "cat@example.test")).Single();

            // The injected lines did reach the client, in the read that brought the 220...
            Assert.Contains(log.Lines, l => l == "S: 250-evil.test");

            // ...and changed nothing: logged in after TLS, every reply matched to its own command.
            Assert.Equal(SmtpSendStatus.PartiallySent, result.Status);
            Assert.Equal(new[] { "ann@example.test", "cat@example.test" }, result.Accepted.Select(r => r.Address));
            Assert.All(result.Accepted, r => Assert.Equal("2.1.5 Ok", r.Reply));
            var bob = Assert.Single(result.Rejected);
            Assert.Equal(550, bob.ReplyCode);
            Assert.Contains("Recipient address rejected", bob.Reply);
            var delivered = Assert.Single(server.Delivered);
            Assert.Equal(new[] { "ann@example.test", "cat@example.test" }, delivered.To);
            var afterTls = server.Commands.Where(l => l.Encrypted).Select(Verb).ToList();
            Assert.Equal(new[] { "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "RCPT", "DATA" }, afterTls.Take(7));
            Assert.Equal(new[] { "EHLO", "STARTTLS" }, server.Commands.Where(l => !l.Encrypted).Select(Verb));
            Assert.Equal(1, server.Connections);
        }

        [Fact]
        public void A_credential_is_refused_before_AUTH_over_plaintext_even_when_the_server_offers_AUTH_there()
        {
            // Built without Validate(), as only code can: the connection itself still refuses to log in in plaintext.
            using var server = new SmtpTestServer(new SmtpTestServerOptions { AuthMechanisms = "PLAIN LOGIN" });
            var config = Config(server.Port) with { UserName = User, Password = new NetworkCredential(string.Empty, Password).SecurePassword };
            var log = new CapturingLog();

            var result = Send(config, log, Message("Plain", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("UnencryptedAuthenticationRefused", result.ErrorId);
            AssertEachRecipientOnce(result, new[] { "ann@example.test" });
            Assert.All(server.Commands, l => Assert.DoesNotContain(Verb(l), AfterEhlo));
            Assert.Empty(server.Delivered);
            AssertNoSecret(log.Lines.Append(result.Error!));

            // And Validate() refuses the same configuration before any connection.
            var refused = Assert.Throws<SmtpHandlerException>(() => config.Validate());
            Assert.Equal("UnencryptedAuthenticationRefused", refused.ErrorId);
        }

        [Fact]
        public void With_AllowUnencryptedAuthentication_the_same_server_gets_AUTH_in_plaintext_so_the_refusal_above_is_real()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { AuthMechanisms = "PLAIN LOGIN" });
            var config = Config(server.Port) with { UserName = User, Password = new NetworkCredential(string.Empty, Password).SecurePassword, AllowUnencryptedAuthentication = true };

            var result = Send(config.Validate(), Message("Allowed", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Contains(server.Commands, l => Verb(l) == "AUTH" && !l.Encrypted);
        }

        [Theory]
        [InlineData("PLAIN")]
        [InlineData("LOGIN")]
        public void A_credential_logs_in_only_after_STARTTLS_and_the_password_reaches_no_log_line_in_any_encoding(string mechanism)
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { Certificate = certificates.Server, AuthMechanisms = mechanism });
            var log = new CapturingLog();

            var result = Send(StartTlsConfig(server.Port), log, Message("Login", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            var auth = Assert.Single(server.Commands, l => Verb(l) == "AUTH");
            Assert.True(auth.Encrypted);
            Assert.All(server.Commands.Where(l => !l.Encrypted), l => Assert.DoesNotContain(Verb(l), AfterEhlo));

            // The server did get the password (so the log had something to hide)...
            Assert.Contains(server.Commands, l => SecretForms().Any(s => l.Line.Contains(s)));

            // ...and no log line, result text or reply shows it.
            Assert.Contains(log.Lines, l => l.StartsWith("C: AUTH " + mechanism, StringComparison.Ordinal));
            AssertNoSecret(log.Lines.Concat(result.Recipients.Select(r => r.ToString())));
        }
    }
}
