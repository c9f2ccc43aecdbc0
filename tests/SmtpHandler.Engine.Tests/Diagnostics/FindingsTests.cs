using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The findings catalogue: severities, Ids, and advice that depends on what was seen.</summary>
    public sealed class FindingsTests
    {
        [Theory]
        [InlineData(421, "temporary")]
        [InlineData(554, "final")]
        public void A_refused_greeting_says_whether_to_try_again(int code, string word)
        {
            var finding = Findings.GreetingRefused("x:25", new SmtpReply(code, new[] { "go away" }));
            Assert.Equal(SmtpFindingSeverity.Error, finding.Severity);
            Assert.Equal("GreetingRefused", finding.Id);
            Assert.Contains($"{code} go away", finding.Message);
            Assert.Contains(word, finding.Advice);
        }

        [Fact]
        public void A_temporary_AUTH_failure_advises_waiting_rather_than_the_password()
        {
            Assert.Contains("try again later", Findings.AuthenticationFailed("x:587", "ann", "PLAIN", new SmtpReply(454, new[] { "busy" }), Findings.PasswordRefusedAdvice).Advice);
            Assert.Equal(Findings.PasswordRefusedAdvice, Findings.AuthenticationFailed("x:587", "ann", "PLAIN", new SmtpReply(535, new[] { "no" }), Findings.PasswordRefusedAdvice).Advice);
        }

        [Fact]
        public void A_sending_failure_becomes_an_error_finding_with_its_ErrorId()
        {
            var finding = Findings.From(new SmtpHandlerException("InvalidCertificateFile", SmtpFailureKind.InvalidConfiguration, "bad file", null));
            Assert.Equal(("InvalidCertificateFile", SmtpFindingSeverity.Error, "bad file"), (finding.Id, finding.Severity, finding.Message));
        }

        [Fact]
        public void Warnings_and_information_are_not_errors()
        {
            Assert.Equal(SmtpFindingSeverity.Warning, Findings.NotEncrypted("x:25").Severity);
            Assert.Equal(SmtpFindingSeverity.Information, Findings.StartTlsOverridden(port465: true).Severity);
            Assert.Contains("port 465", Findings.StartTlsOverridden(port465: true).Message);
            Assert.Contains("-UseTls", Findings.StartTlsOverridden(port465: false).Message);
        }
    }
}
