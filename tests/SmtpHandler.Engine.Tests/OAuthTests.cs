using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>XOAUTH2 against a scripted server that checks the exact initial response, and the Entra ID client-credentials flow against a local HTTPS token endpoint.</summary>
    public sealed class OAuthTests : IClassFixture<OAuthTestCertificates>
    {
        private const string User = "reports@contoso.test";
        private readonly OAuthTestCertificates certificates;

        public OAuthTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        [Fact]
        public void Logs_in_with_a_ready_token_sending_the_exact_XOAUTH2_initial_response()
        {
            const string token = "ready-token-4f1c9e";
            using var server = Server(token);
            var mailer = new SmtpMailer(Config(server, new StaticTokenSource(Secure(token))));

            var result = mailer.Send(new[] { mailer.Prepare(Message("One")) }).Single();

            AssertSent(result);
            Assert.Equal("user=" + User + "\u0001auth=Bearer " + token + "\u0001\u0001", Assert.Single(server.Logins).Response);
            Assert.Equal(1, server.Logins.Count(l => l.Succeeded));
            Assert.Single(server.Delivered);
        }

        [Fact]
        public void Calls_the_token_function_again_for_every_connection_MaxMessagesPerConnection_2_with_5_messages_makes_3_calls()
        {
            using var server = Server();
            var issued = new List<string>();
            var source = new DelegateTokenSource(
                _ =>
                {
                    var token = "fresh-" + (issued.Count + 1) + "-" + Guid.NewGuid().ToString("N");
                    issued.Add(token);
                    server.Options.AcceptedTokens[token] = 0;
                    return new OAuthToken(token);
                },
                "the token function");
            var mailer = new SmtpMailer(Config(server, source) with { MaxMessagesPerConnection = 2 });

            var results = mailer.Send(Enumerable.Range(1, 5).Select(i => mailer.Prepare(Message($"Report {i}"))).ToList()).ToList();

            Assert.All(results, AssertSent);
            Assert.Equal(3, source.Calls);
            Assert.Equal(3, server.Connections);
            Assert.Equal(issued.Select(t => SmtpTestServer.XOAuth2Response(User, t)), server.Logins.Select(l => l.Response));
            Assert.Equal(5, server.Delivered.Count);
        }

        [Fact]
        public void A_wrong_token_fails_with_the_servers_reply_and_never_shows_the_token()
        {
            const string wrong = "wrong-token-77aa01";
            using var server = Server("the-right-token");
            var log = new CapturingLog();
            var mailer = new SmtpMailer(Config(server, new StaticTokenSource(Secure(wrong))), log);

            var result = mailer.Send(new[] { mailer.Prepare(Message("Refused")) }).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("AuthenticationFailed", result.ErrorId);
            Assert.Contains("Authentication unsuccessful", result.Error);
            Assert.Contains("XOAUTH2", result.Error);
            Assert.Empty(server.Delivered);
            AssertNoSecret(wrong, SmtpTestServer.XOAuth2Response(User, wrong), log.Lines.Concat(new[] { result.Error! }).Concat(result.Recipients.Select(r => r.Reason ?? string.Empty)));
        }

        [Fact]
        public void The_protocol_log_redacts_the_XOAUTH2_initial_response()
        {
            const string token = "secret-token-in-log-test";
            using var server = Server(token);
            var log = new CapturingLog();
            var mailer = new SmtpMailer(Config(server, new StaticTokenSource(Secure(token))), log);

            AssertSent(mailer.Send(new[] { mailer.Prepare(Message("Logged")) }).Single());

            Assert.Contains(log.Lines, l => l.StartsWith("C: AUTH XOAUTH2 ***", StringComparison.Ordinal));
            AssertNoSecret(token, SmtpTestServer.XOAuth2Response(User, token), log.Lines);
        }

        [Fact]
        public void Never_sends_a_token_over_plaintext_even_with_AllowUnencryptedAuthentication()
        {
            const string token = "plaintext-token-0b7e";
            using var server = new SmtpTestServer(SmtpTestServerOptions.XOAuth2(null, User, token));
            var config = new SmtpHandlerConfig
            {
                SmtpServer = "127.0.0.1",
                Port = server.Port,
                UserName = User,
                TokenSource = new StaticTokenSource(Secure(token)),
                AllowUnencryptedAuthentication = true,
                RetryDelay = TimeSpan.Zero,
                Timeout = TimeSpan.FromSeconds(10),
            };

            var refused = Assert.Throws<SmtpHandlerException>(() => config.Validate());
            Assert.Equal("UnencryptedAuthenticationRefused", refused.ErrorId);

            // Even a configuration that skipped validation does not send it.
            var mailer = new SmtpMailer(config);
            var result = mailer.Send(new[] { mailer.Prepare(Message("Plain")) }).Single();
            Assert.Equal("UnencryptedAuthenticationRefused", result.ErrorId);
            Assert.DoesNotContain(server.Commands, l => l.Line.Contains("AUTH", StringComparison.OrdinalIgnoreCase));
            Assert.Empty(server.Logins);
        }

        [Fact]
        public void A_server_that_does_not_offer_XOAUTH2_is_reported_with_what_it_offers_and_no_token_is_fetched()
        {
            using var server = Server("t");
            server.Options.AuthMechanisms = "LOGIN PLAIN";
            var source = new DelegateTokenSource(_ => new OAuthToken("t"), "the token function");

            var report = new SmtpDiagnostics(Config(server, source)).Run();

            Assert.False(report.Success);
            Assert.Equal("XOAuth2NotOffered", report.ErrorId);
            Assert.Contains("AUTH LOGIN PLAIN", Assert.Single(report.Findings, f => f.Severity == SmtpFindingSeverity.Error).Message);
            Assert.Equal(0, source.Calls);
        }

        [Fact]
        public void Diagnostics_report_the_XOAUTH2_login_and_the_tokens_expiry_not_the_token()
        {
            var expires = DateTimeOffset.UtcNow.AddMinutes(55);
            var token = FakeJwt(expires);
            using var server = Server(token);

            var report = new SmtpDiagnostics(Config(server, new StaticTokenSource(Secure(token)))).Run();

            Assert.True(report.Success, string.Join("; ", report.Findings));
            Assert.Equal("XOAUTH2", report.AuthenticationMechanism);
            Assert.Equal(expires.ToUnixTimeSeconds(), report.TokenExpiresOn!.Value.ToUnixTimeSeconds());
        }

        [Fact]
        public void A_token_function_that_returns_nothing_is_a_clear_error()
        {
            using var server = Server("t");
            var mailer = new SmtpMailer(Config(server, new DelegateTokenSource(_ => null, "the token function")));

            var result = mailer.Send(new[] { mailer.Prepare(Message("Nothing")) }).Single();

            Assert.Equal("TokenScriptReturnedNothing", result.ErrorId);
            Assert.Empty(server.Logins);
        }

        [Fact]
        public void Client_credentials_with_a_secret_posts_the_right_form_and_caches_the_token_across_sends()
        {
            const string secret = "client-secret-Zq8~x";
            using var endpoint = new TestTokenEndpoint(certificates.Server);
            using var server = Server();
            endpoint.Respond = form =>
            {
                var token = endpoint.NextToken();
                server.Options.AcceptedTokens[token] = 0;
                return TestTokenEndpoint.Success(token, 3599);
            };
            using var source = new ClientCredentialsTokenSource(
                "contoso.test", "11111111-2222-3333-4444-555555555555", clientSecret: Secure(secret),
                tokenEndpoint: endpoint.Url, trustedCertificatePaths: new[] { certificates.ServerPemPath });
            var config = Config(server, source);
            var log = new CapturingLog();

            for (var send = 1; send <= 2; send++)
            {
                var mailer = new SmtpMailer(config, log);
                AssertSent(mailer.Send(new[] { mailer.Prepare(Message($"Send {send}")) }).Single());
            }

            var request = Assert.Single(endpoint.Requests);
            Assert.Equal("client_credentials", request["grant_type"]);
            Assert.Equal("11111111-2222-3333-4444-555555555555", request["client_id"]);
            Assert.Equal("https://outlook.office365.com/.default", request["scope"]);
            Assert.Equal(secret, request["client_secret"]);
            Assert.False(request.ContainsKey("client_assertion"));
            Assert.Equal(1, source.TokensRequested);
            var token = Assert.Single(endpoint.IssuedTokens);
            Assert.Equal(new[] { SmtpTestServer.XOAuth2Response(User, token), SmtpTestServer.XOAuth2Response(User, token) }, server.Logins.Select(l => l.Response));
            AssertNoSecret(secret, token, log.Lines);
        }

        [Fact]
        public void Client_credentials_with_a_certificate_posts_a_client_assertion_signed_by_it()
        {
            using var endpoint = new TestTokenEndpoint(certificates.Server);
            using var server = Server();
            endpoint.Respond = form =>
            {
                var token = endpoint.NextToken();
                server.Options.AcceptedTokens[token] = 0;
                return TestTokenEndpoint.Success(token, 3599);
            };
            using var source = new ClientCredentialsTokenSource(
                null, "app-client-id", certificatePath: certificates.AppPfxPath, certificatePassword: certificates.AppSecurePassword,
                scope: "https://outlook.office365.us/.default", tokenEndpoint: endpoint.Url, trustedCertificatePaths: new[] { certificates.ServerPemPath });
            var mailer = new SmtpMailer(Config(server, source));

            AssertSent(mailer.Send(new[] { mailer.Prepare(Message("Signed")) }).Single());

            var request = Assert.Single(endpoint.Requests);
            Assert.Equal("client_credentials", request["grant_type"]);
            Assert.Equal("app-client-id", request["client_id"]);
            Assert.Equal("https://outlook.office365.us/.default", request["scope"]);
            Assert.False(request.ContainsKey("client_secret"));
            Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request["client_assertion_type"]);

            var parts = request["client_assertion"].Split('.');
            Assert.Equal(3, parts.Length);
            using var publicKey = certificates.App.GetRSAPublicKey()!;
            Assert.True(publicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Jwt.FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            var header = (Dictionary<string, object?>)JsonReader.Parse(Encoding.UTF8.GetString(Jwt.FromBase64Url(parts[0])))!;
            Assert.Equal("RS256", header["alg"]);
            Assert.Equal(Jwt.Base64Url(certificates.App.GetCertHash()), header["x5t"]);
            var claims = (Dictionary<string, object?>)JsonReader.Parse(Encoding.UTF8.GetString(Jwt.FromBase64Url(parts[1])))!;
            Assert.Equal(endpoint.Url.AbsoluteUri, claims["aud"]);
            Assert.Equal("app-client-id", claims["iss"]);
            Assert.Equal("app-client-id", claims["sub"]);
            Assert.False(string.IsNullOrEmpty((string?)claims["jti"]));
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Assert.InRange((double)claims["nbf"]!, now - 60, now + 1);
            Assert.Equal((double)claims["nbf"]! + 600, (double)claims["exp"]!);
        }

        [Fact]
        public void A_token_endpoint_that_refuses_is_reported_with_its_error_code_and_text_and_no_secret()
        {
            const string secret = "bad-secret-Qp3";
            using var endpoint = new TestTokenEndpoint(certificates.Server);
            endpoint.Respond = _ => TestTokenEndpoint.Error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
            using var server = Server();
            using var source = new ClientCredentialsTokenSource(
                "contoso.test", "client-id", clientSecret: Secure(secret), tokenEndpoint: endpoint.Url, trustedCertificatePaths: new[] { certificates.ServerPemPath });
            var log = new CapturingLog();
            var mailer = new SmtpMailer(Config(server, source), log);

            var result = mailer.Send(new[] { mailer.Prepare(Message("Refused")) }).Single();

            Assert.Equal("TokenEndpointRefused", result.ErrorId);
            Assert.Contains("invalid_client: AADSTS7000215: Invalid client secret provided.", result.Error);
            Assert.Contains("HTTP 401", result.Error);
            Assert.Single(endpoint.Requests);
            Assert.Empty(server.Logins);
            AssertNoSecret(secret, secret, log.Lines.Concat(new[] { result.Error! }));
        }

        [Fact]
        public void A_token_endpoint_with_an_untrusted_certificate_is_refused_with_advice()
        {
            using var endpoint = new TestTokenEndpoint(certificates.Server);
            using var source = new ClientCredentialsTokenSource("contoso.test", "client-id", clientSecret: Secure("s"), tokenEndpoint: endpoint.Url);

            var ex = Assert.Throws<SmtpHandlerException>(() => source.GetToken(NullSmtpLog.Instance, CancellationToken.None));

            Assert.Equal("TokenEndpointUnreachable", ex.ErrorId);
            Assert.Contains("-TrustedCertificatePath", ex.Message);
            Assert.Empty(endpoint.Requests);
        }

        [Fact]
        public void A_cached_token_is_renewed_when_it_nears_expiry()
        {
            using var endpoint = new TestTokenEndpoint(certificates.Server);
            endpoint.Respond = _ => TestTokenEndpoint.Success(endpoint.NextToken(), 2);
            using var source = new ClientCredentialsTokenSource("contoso.test", "client-id", clientSecret: Secure("s"), tokenEndpoint: endpoint.Url, trustedCertificatePaths: new[] { certificates.ServerPemPath });

            var first = source.GetToken(NullSmtpLog.Instance, CancellationToken.None);
            var again = source.GetToken(NullSmtpLog.Instance, CancellationToken.None);
            Thread.Sleep(1200);
            var renewed = source.GetToken(NullSmtpLog.Instance, CancellationToken.None);

            Assert.Same(first, again);
            Assert.NotEqual(first.AccessToken, renewed.AccessToken);
            Assert.Equal(2, endpoint.Requests.Count);
        }

        [Fact]
        public void The_token_endpoint_must_be_https_and_the_settings_complete()
        {
            Assert.Equal("TokenEndpoint", Assert.Throws<SmtpHandlerException>(() => new ClientCredentialsTokenSource("t", "c", clientSecret: Secure("s"), tokenEndpoint: new Uri("http://login.example.test/token"))).ParameterName);
            Assert.Equal("ClientSecret", Assert.Throws<SmtpHandlerException>(() => new ClientCredentialsTokenSource("t", "c")).ParameterName);
            Assert.Equal("TenantId", Assert.Throws<SmtpHandlerException>(() => new ClientCredentialsTokenSource(null, "c", clientSecret: Secure("s"))).ParameterName);
            Assert.Equal(
                new Uri("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"),
                new ClientCredentialsTokenSource("contoso.onmicrosoft.com", "c", clientSecret: Secure("s")).TokenEndpoint);
        }

        [Fact]
        public void OAuth_token_shows_its_expiry_never_itself()
        {
            var expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
            var jwt = FakeJwt(expires);
            var token = new OAuthToken(jwt);

            Assert.Equal(expires, token.ExpiresOn);
            Assert.Equal("[access token, expires 2030-01-02 03:04:05 UTC]", token.ToString());
            Assert.Null(new OAuthToken("ya29.opaque-google-token").ExpiresOn);
        }

        private SmtpTestServer Server(params string[] tokens) => new(SmtpTestServerOptions.XOAuth2(certificates.Server, User, tokens));

        private SmtpHandlerConfig Config(SmtpTestServer server, IOAuthTokenSource source) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = server.Port,
            TlsMode = SmtpTlsMode.ImplicitTls,
            UserName = User,
            TokenSource = source,
            TrustedCertificatePaths = new[] { certificates.ServerPemPath },
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
        }.Validate();

        private static SmtpMessage Message(string subject) => new()
        {
            From = "reports@contoso.test",
            To = new[] { "ann@example.test" },
            Subject = subject,
            TextBody = "Body",
        };

        private static void AssertSent(SmtpSendResult result) =>
            Assert.True(result.Status == SmtpSendStatus.Sent, $"{result.Status}: {result.ErrorId} {result.Error}");

        private static SecureString Secure(string text) => new NetworkCredential(string.Empty, text).SecurePassword;

        private static string FakeJwt(DateTimeOffset expires) =>
            Jwt.Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}")) + "." +
            Jwt.Base64Url(Encoding.UTF8.GetBytes($"{{\"aud\":\"https://outlook.office365.com\",\"exp\":{expires.ToUnixTimeSeconds()}}}")) + ".c2ln";

        private static void AssertNoSecret(string secret, string initialResponse, IEnumerable<string> texts)
        {
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(initialResponse));
            foreach (var text in texts)
            {
                Assert.DoesNotContain(secret, text);
                Assert.DoesNotContain(encoded, text);
            }
        }
    }
}
