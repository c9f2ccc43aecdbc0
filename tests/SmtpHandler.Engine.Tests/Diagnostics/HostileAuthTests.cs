using System;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Test-SmtpConnection -Credential returns a report whatever the server does during AUTH: a mechanism MailKit
    /// needs the server's address for (DIGEST-MD5), a challenge it can't parse (NTLM), a token source that throws.
    /// Sending to the same servers works, or fails with a result, never with a raw exception.
    /// </summary>
    public sealed class HostileAuthTests : IClassFixture<OAuthTestCertificates>
    {
        private const string User = "ann@example.test";
        private const string Password = "Digest-pass-71";

        private static readonly string DigestChallenge = Base64("realm=\"smtp.test\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",charset=utf-8,algorithm=md5-sess");

        /// <summary>Random bytes after the NTLM signature: a type 2 message too short for its own fields.</summary>
        private static readonly string GarbageNtlmChallenge = Convert.ToBase64String(Encoding.ASCII.GetBytes("NTLMSSP\0").Concat(new byte[] { 2, 0, 0, 0, 0xFF, 0x7F, 0x10 }).ToArray());

        private readonly OAuthTestCertificates certificates;

        public HostileAuthTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        private static SmtpHandlerConfig WithCredential(int port) => Config(port, retryCount: 0) with
        {
            UserName = User,
            Password = new NetworkCredential(string.Empty, Password).SecurePassword,
            AllowUnencryptedAuthentication = true,
            LocalDomain = "client.test",
        };

        /// <summary>
        /// A server offering only <paramref name="mechanism"/>: AUTH gets <paramref name="challenge"/>, the client's
        /// answer gets <paramref name="final"/>, and a cancelling "*" gets 501.
        /// </summary>
        private static SmtpTestServer Server(string mechanism, string challenge, string final)
        {
            var inAuth = 0;
            var options = new SmtpTestServerOptions { AuthMechanisms = mechanism };
            options.Script = c =>
            {
                if (c.Verb == "AUTH")
                {
                    Volatile.Write(ref inAuth, 1);
                    return ServerAction.Reply("334 " + challenge);
                }

                if (Volatile.Read(ref inAuth) == 1)
                {
                    Volatile.Write(ref inAuth, 0);
                    return ServerAction.Reply(c.Verb == "*" ? "501 5.7.0 Authentication cancelled" : final);
                }

                return null;
            };
            return new SmtpTestServer(options);
        }

        [Fact]
        public void Diagnoses_a_DIGEST_MD5_login_giving_the_mechanism_the_servers_address()
        {
            using var server = Server("DIGEST-MD5", DigestChallenge, "235 2.7.0 Authentication successful");

            var report = new SmtpDiagnostics(WithCredential(server.Port)).Run();

            Assert.Equal("DIGEST-MD5", report.AuthenticationMechanism);
            Assert.True(report.Authenticated, string.Join(Environment.NewLine, report.Findings.Select(f => f.ToString())));
            Assert.True(report.Success);
            var lines = server.Commands.Select(c => c.Line).ToList();
            var response = Encoding.UTF8.GetString(Convert.FromBase64String(lines[lines.IndexOf("AUTH DIGEST-MD5") + 1]));
            Assert.Contains("digest-uri=\"smtp/127.0.0.1\"", response);
            Assert.Contains("username=\"" + User + "\"", response);
            Assert.DoesNotContain(Password, string.Join("\n", report.Transcript));
        }

        [Fact]
        public void Sends_through_the_same_DIGEST_MD5_server()
        {
            using var server = Server("DIGEST-MD5", DigestChallenge, "235 2.7.0 Authentication successful");

            var result = Send(WithCredential(server.Port), Message("Digest", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Single(server.Delivered);
        }

        [Fact]
        public void A_malformed_NTLM_challenge_becomes_a_finding_and_the_login_is_cancelled()
        {
            using var server = Server("NTLM", GarbageNtlmChallenge, "235 2.7.0 Authentication successful");

            var report = new SmtpDiagnostics(WithCredential(server.Port)).Run();

            Assert.False(report.Success);
            Assert.Equal("NTLM", report.AuthenticationMechanism);
            Assert.NotEqual(true, report.Authenticated);
            var finding = Assert.Single(report.Findings, f => f.Id == "AuthenticationExchangeFailed");
            Assert.Equal(SmtpFindingSeverity.Error, finding.Severity);
            Assert.Contains("NTLM", finding.Message);
            Assert.Contains("C: *", report.Transcript);
        }

        [Fact]
        public void Sending_through_the_same_NTLM_server_fails_with_a_result_not_an_exception()
        {
            using var server = Server("NTLM", GarbageNtlmChallenge, "235 2.7.0 Authentication successful");

            var result = Send(WithCredential(server.Port), Message("Ntlm", "bob@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.NotNull(result.ErrorId);
            Assert.Empty(server.Delivered);
        }

        [Fact]
        public void An_unexpected_exception_in_a_step_becomes_a_finding_with_a_stable_id()
        {
            using var server = new SmtpTestServer(SmtpTestServerOptions.XOAuth2(certificates.Server, User));
            var source = new DelegateTokenSource(_ => throw new InvalidOperationException("the token cache is corrupt"), "a broken token source");
            var config = Config(server.Port) with
            {
                TlsMode = SmtpTlsMode.ImplicitTls,
                TrustedCertificatePaths = new[] { certificates.ServerPemPath },
                UserName = User,
                TokenSource = source,
            };

            var report = new SmtpDiagnostics(config).Run();

            Assert.False(report.Success);
            var finding = Assert.Single(report.Findings, f => f.Id == "DiagnosisStepFailed");
            Assert.Contains("the token cache is corrupt", finding.Message);
            Assert.Contains("AUTH", finding.Message);
            Assert.Contains("C: QUIT", report.Transcript);
        }

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }
}
