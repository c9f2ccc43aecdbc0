using System;
using System.Linq;
using System.Net.Security;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The trust verdict as a value: what sending's error and the diagnosis' findings are made of.</summary>
    public sealed class TlsVerdictTests : IClassFixture<TestCertificates>
    {
        private readonly TestCertificates certificates;

        public TlsVerdictTests(TestCertificates certificates) => this.certificates = certificates;

        [Fact]
        public void A_refusal_keeps_each_reason_once_and_each_advice_once()
        {
            var verdict = TlsVerdict.Refused(new[]
            {
                new TlsProblem(TlsProblemKind.Expired, "the certificate 'CN=a' expired", "Renew it."),
                new TlsProblem(TlsProblemKind.Expired, "the certificate 'CN=a' expired", "Renew it."),
                new TlsProblem(TlsProblemKind.NameMismatch, "the certificate is issued to b", "Renew it."),
            });
            Assert.False(verdict.Trusted);
            Assert.Null(verdict.TrustedBy);
            Assert.Equal(2, verdict.Problems.Count);
            Assert.Equal("the certificate 'CN=a' expired; the certificate is issued to b", verdict.Reason);
            Assert.Equal("Renew it.", verdict.Advice);
            Assert.Throws<ArgumentException>(() => TlsVerdict.Refused(Array.Empty<TlsProblem>()));
        }

        [Fact]
        public void Trusted_says_by_what()
        {
            Assert.Equal("TrustedCertificatePath", TlsVerdict.Accepted(byTrustedFiles: true).TrustedBy);
            Assert.Equal("OperatingSystem", TlsVerdict.Accepted(byTrustedFiles: false).TrustedBy);
            Assert.Null(TlsVerdict.Accepted(true).Reason);
        }

        [Fact]
        public void The_diagnosis_names_each_kind_of_problem_and_words_it_as_the_verdict_does()
        {
            var verdict = TlsVerdict.Refused(new[]
            {
                new TlsProblem(TlsProblemKind.UntrustedRoot, "its root 'CN=x' is not trusted", "Give it."),
                new TlsProblem(TlsProblemKind.InvalidChain, "the certificate 'CN=y' is not valid (bad)", "Fix it."),
                new TlsProblem(TlsProblemKind.NameMismatch, "the certificate is issued to z", "Use z."),
            });
            var findings = Findings.CertificateRefused("mail.example.test:465", verdict).ToList();
            Assert.Equal(new[] { "CertificateUntrusted", "CertificateNameMismatch" }, findings.Select(f => f.Id));
            Assert.All(findings, f => Assert.Equal(SmtpFindingSeverity.Error, f.Severity));
            Assert.Equal("The certificate of mail.example.test:465 is not trusted: its root 'CN=x' is not trusted; the certificate 'CN=y' is not valid (bad).", findings[0].Message);
            Assert.Equal("Give it. Fix it.", findings[0].Advice);
        }

        [Fact]
        public void A_server_certificate_the_trusted_files_do_not_reach_is_refused_with_advice_naming_the_parameter()
        {
            var trust = TlsTrust.Create(new SmtpHandlerConfig { SmtpServer = "localhost", TrustedCertificatePaths = new[] { certificates.SelfSignedPem } });
            var verdict = trust.Judge(certificates.Server, null, SslPolicyErrors.RemoteCertificateChainErrors);
            Assert.False(verdict.Trusted);
            Assert.Equal(TlsProblemKind.UntrustedRoot, verdict.Problems[0].Kind);
            Assert.Contains("-TrustedCertificatePath", verdict.Advice);

            var accepted = TlsTrust.Create(new SmtpHandlerConfig { SmtpServer = "localhost", TrustedCertificatePaths = new[] { certificates.CaPem } })
                .Judge(certificates.Server, null, SslPolicyErrors.RemoteCertificateChainErrors);
            Assert.True(accepted.Trusted);
            Assert.Equal("TrustedCertificatePath", accepted.TrustedBy);
        }

        [Fact]
        public void No_certificate_is_a_refusal()
        {
            var verdict = TlsTrust.Create(new SmtpHandlerConfig()).Judge(null, null, SslPolicyErrors.RemoteCertificateNotAvailable);
            Assert.Equal(TlsProblemKind.NoCertificate, Assert.Single(verdict.Problems).Kind);
        }
    }
}
