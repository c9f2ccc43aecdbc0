using System.Linq;
using System.Net;
using SmtpHandler.Testing;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The setup doctor end to end in the engine: a JWT from the shared test token endpoint, the shared test server
    /// scripted to answer like Exchange Online, and what the diagnosis reports and logs.
    /// </summary>
    public sealed class DoctorDiagnosisTests : IClassFixture<OAuthTestCertificates>
    {
        private const string User = "reports@contoso.test";
        private const string GoodClaims = "{\"aud\":\"https://outlook.office365.com\",\"tid\":\"t-1\",\"appid\":\"app-1\",\"idtyp\":\"app\",\"roles\":[\"SMTP.SendAsApp\"]}";

        private readonly OAuthTestCertificates certificates;

        public DoctorDiagnosisTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        private SmtpHandlerConfig WithToken(int port, string token) => Config(port, retryCount: 0) with
        {
            TlsMode = SmtpTlsMode.ImplicitTls,
            TrustedCertificatePaths = new[] { certificates.ServerPemPath },
            UserName = User,
            TokenSource = new StaticTokenSource(new NetworkCredential(string.Empty, token).SecurePassword),
        };

        [Fact]
        public void A_scripted_535_5_7_139_is_SmtpClientAuthenticationDisabled_and_the_token_is_in_no_text()
        {
            var token = TestTokenEndpoint.Jwt(GoodClaims, 3599);
            var options = SmtpTestServerOptions.XOAuth2(certificates.Server, User, token);
            options.Script = ServerScript.At("AUTH", ServerAction.Reply("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."));
            using var server = new SmtpTestServer(options);
            var log = new CapturingLog();

            var report = new SmtpDiagnostics(WithToken(server.Port, token), log).Run();

            Assert.Equal("SmtpClientAuthenticationDisabled", report.ErrorId);
            Assert.Contains("Set-CASMailbox -Identity 'reports@contoso.test' -SmtpClientAuthenticationDisabled $false", report.Findings[0].Advice);
            Assert.Equal(new[] { "SMTP.SendAsApp" }, report.TokenClaims!.Roles);
            Assert.Equal("app-1", report.TokenClaims.AppId);
            Assert.Contains(log.Lines, l => l.StartsWith("Error SmtpClientAuthenticationDisabled", System.StringComparison.Ordinal));
            var texts = report.Transcript.Concat(report.Findings.Select(f => f.ToString())).Concat(log.Lines).Append(report.TokenClaims.ToString());
            Assert.All(texts, t =>
            {
                Assert.DoesNotContain(token, t);
                Assert.DoesNotContain(token.Split('.')[1], t);
                Assert.DoesNotContain(token.Split('.')[2], t);
            });
        }

        [Fact]
        public void A_token_the_server_takes_but_for_Graph_is_still_found_wrong_before_the_login()
        {
            var token = TestTokenEndpoint.Jwt("{\"aud\":\"https://graph.microsoft.com\",\"tid\":\"t-1\",\"roles\":[\"Mail.Send\"]}", 3599);
            using var server = new SmtpTestServer(SmtpTestServerOptions.XOAuth2(certificates.Server, User, token));

            var report = new SmtpDiagnostics(WithToken(server.Port, token)).Run();

            Assert.Equal("AccessTokenWrongAudience", report.ErrorId);
            Assert.True(report.Authenticated);
            Assert.False(report.Success);
        }
    }
}
