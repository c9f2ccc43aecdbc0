using System;
using System.Net;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The one authentication policy, without a socket: plaintext refusals, XOAUTH2 offered, token shape.</summary>
    public sealed class AuthenticationPolicyTests
    {
        private static readonly SmtpHandlerConfig Password = new()
        {
            SmtpServer = "mail.example.test",
            Port = 25,
            UserName = "ann",
            Password = new NetworkCredential(string.Empty, "secret").SecurePassword,
        };

        private static readonly SmtpHandlerConfig Token = new()
        {
            SmtpServer = "mail.example.test",
            Port = 25,
            UserName = "ann@example.test",
            TokenSource = new DelegateTokenSource(_ => new OAuthToken("tok"), "a test"),
        };

        [Fact]
        public void A_password_for_plain_SMTP_is_refused_before_connecting_unless_allowed()
        {
            var refusal = AuthenticationPolicy.BeforeConnecting(Password);
            Assert.NotNull(refusal);
            Assert.Equal("UnencryptedAuthenticationRefused", refusal!.ErrorId);
            Assert.Equal("Credential", refusal.ParameterName);
            Assert.Null(AuthenticationPolicy.BeforeConnecting(Password with { AllowUnencryptedAuthentication = true }));
            Assert.Null(AuthenticationPolicy.BeforeConnecting(Password, tokensOnly: true));
            Assert.Null(AuthenticationPolicy.BeforeConnecting(Password with { TlsMode = SmtpTlsMode.StartTls }));
        }

        [Fact]
        public void A_token_for_plain_SMTP_is_refused_even_when_plaintext_is_allowed_or_a_diagnosis_asks()
        {
            foreach (var config in new[] { Token, Token with { AllowUnencryptedAuthentication = true } })
            {
                var refusal = AuthenticationPolicy.BeforeConnecting(config, tokensOnly: true);
                Assert.Equal("UnencryptedAuthenticationRefused", refusal!.ErrorId);
                Assert.Equal("OAuthUserName", refusal.ParameterName);
                Assert.Equal("UnencryptedAuthenticationRefused", AuthenticationPolicy.OnConnection(config, encrypted: false, "x:25")!.ErrorId);
            }

            Assert.Null(AuthenticationPolicy.OnConnection(Token, encrypted: true, "x:25"));
        }

        [Fact]
        public void On_a_connection_a_password_crosses_plaintext_only_when_allowed_and_the_refusal_is_one_text_for_error_and_finding()
        {
            var refusal = AuthenticationPolicy.OnConnection(Password, encrypted: false, "mail.example.test:25")!;
            var error = refusal.ToException();
            var finding = refusal.ToFinding();
            Assert.Equal(SmtpFailureKind.SecurityPolicy, error.Kind);
            Assert.Equal($"{finding.Message} {finding.Advice}", error.Message);
            Assert.Contains("-UseStartTls", finding.Advice);
            Assert.DoesNotContain("secret", error.Message);
            Assert.Null(AuthenticationPolicy.OnConnection(Password with { AllowUnencryptedAuthentication = true }, encrypted: false, "x:25"));
            Assert.Null(AuthenticationPolicy.OnConnection(new SmtpHandlerConfig(), encrypted: false, "x:25"));
        }

        [Fact]
        public void XOAUTH2_must_be_offered_in_any_case()
        {
            Assert.Null(AuthenticationPolicy.XOAuth2Offered(new[] { "PLAIN", "xoauth2" }, "x:587", "x"));
            Assert.Contains("it offers AUTH PLAIN LOGIN", AuthenticationPolicy.XOAuth2Offered(new[] { "PLAIN", "LOGIN" }, "x:587", "x")!.Message);
            Assert.Contains("it offers no AUTH at all", AuthenticationPolicy.XOAuth2Offered(Array.Empty<string>(), "x:587", "x")!.Message);
        }

        [Theory]
        [InlineData("eyJ0eXAi.eyJzdWIi.c2ln", true)]
        [InlineData("Bearer abc", false)]
        [InlineData("abc\u0001", false)]
        [InlineData("ab\tc", false)]
        public void A_token_is_one_word(string token, bool usable)
        {
            var refusal = AuthenticationPolicy.TokenShape(new OAuthToken(token), "a test", "ann");
            Assert.Equal(usable, refusal == null);
            if (!usable)
            {
                Assert.Equal("InvalidAccessToken", refusal!.ErrorId);
            }
        }

        [Fact]
        public void ValidateForDiagnosis_lets_only_a_plaintext_password_through()
        {
            Assert.Equal("UnencryptedAuthenticationRefused", Assert.Throws<SmtpHandlerException>(() => Password.Validate()).ErrorId);
            Assert.Same(Password, Password.ValidateForDiagnosis());
            Assert.Equal("UnencryptedAuthenticationRefused", Assert.Throws<SmtpHandlerException>(() => Token.ValidateForDiagnosis()).ErrorId);
            Assert.Equal("InvalidConfiguration", Assert.Throws<SmtpHandlerException>(() => (Password with { Port = 0 }).ValidateForDiagnosis()).ErrorId);
        }
    }
}
