using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler
{
    /// <summary>Step 6: the server's certificate and chain, judged by <see cref="TlsTrust"/> as sending judges it.</summary>
    internal sealed partial class SmtpDiagnosis
    {
        private TlsVerdict? verdict;
        private bool certificateChecked;

        /// <summary>Records the certificate and chain, then asks <see cref="TlsTrust"/>, the same decision sending uses.</summary>
        private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            try
            {
                var now = DateTime.Now;
                var elements = chain?.ChainElements.Cast<X509ChainElement>().ToList() ?? new List<X509ChainElement>();
                report.CertificateChain = elements.Select(e => SmtpCertificateInfo.From(e.Certificate, now, e.ChainElementStatus)).ToArray();
                if (certificate != null)
                {
                    using var copy = new X509Certificate2(certificate);
                    report.Certificate = report.CertificateChain.FirstOrDefault(c => c.Thumbprint == copy.Thumbprint) ?? SmtpCertificateInfo.From(copy, now);
                }
            }
            catch (CryptographicException ex)
            {
                Add(Findings.CertificateUnreadable(ex.Message));
            }

            report.CertificateErrors = errors.ToString();
            var trusted = trust!.Validate(sender, certificate, chain, errors);
            verdict = trust.LastVerdict;
            report.Trusted = trusted;
            report.TrustFailure = verdict?.Reason;
            report.TrustedBy = verdict?.TrustedBy;
            return trusted;
        }

        /// <summary>Says what the verdict found, once per handshake; a trusted certificate near its end date is a warning.</summary>
        private void CertificateFindings()
        {
            if (verdict == null || certificateChecked)
            {
                return;
            }

            certificateChecked = true;
            if (!verdict.Trusted)
            {
                foreach (var finding in Findings.CertificateRefused(Endpoint, verdict))
                {
                    Add(finding);
                }

                return;
            }

            if (report.Certificate is { } certificate && certificate.DaysUntilExpiry < SmtpDiagnostics.ExpiryWarningDays)
            {
                Add(Findings.CertificateExpiringSoon(Endpoint, certificate));
            }
        }
    }
}
