using System;
using System.Collections.Generic;
using System.Linq;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace SmtpHandler
{
    /// <summary>
    /// Whether a certificate may protect e-mail now (RFC 8550 §4.4): within its dates, a key usage that allows
    /// the job when the extension is present, and an extended key usage that includes e-mail protection when
    /// that extension is present. Also the e-mail addresses a certificate names, to match recipients.
    /// </summary>
    internal static class SmimeCertificateRules
    {
        private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
        private const string AnyExtendedKeyUsage = "2.5.29.37.0";

        // KeyUsage bits as BouncyCastle reports them (RFC 5280 §4.2.1.3 order).
        private const int DigitalSignature = 0;
        private const int NonRepudiation = 1;
        private const int KeyEncipherment = 2;
        private const int KeyAgreement = 4;

        /// <summary>Refuses a certificate that can't sign mail now.</summary>
        public static void RequireForSigning(BcCertificate certificate, string parameter, string path, DateTime nowUtc)
        {
            RequireDates(certificate, parameter, path, nowUtc);
            var usage = certificate.GetKeyUsage();
            if (usage != null && !Bit(usage, DigitalSignature) && !Bit(usage, NonRepudiation))
            {
                throw MessageSecurityErrors.CertificateNotForEmail(parameter, path, Subject(certificate), "its key usage allows neither digitalSignature nor nonRepudiation, so it can't sign");
            }

            RequireEmailProtection(certificate, parameter, path);
        }

        /// <summary>Refuses a certificate that can't receive encrypted mail now.</summary>
        public static void RequireForEncryption(BcCertificate certificate, string parameter, string path, DateTime nowUtc)
        {
            RequireDates(certificate, parameter, path, nowUtc);
            var usage = certificate.GetKeyUsage();
            var isRsa = certificate.GetPublicKey() is RsaKeyParameters;
            if (usage != null && !(isRsa ? Bit(usage, KeyEncipherment) : Bit(usage, KeyAgreement)))
            {
                var needed = isRsa ? "keyEncipherment" : "keyAgreement";
                throw MessageSecurityErrors.CertificateNotForEmail(parameter, path, Subject(certificate), $"its key usage lacks {needed}, so nothing can be encrypted to it");
            }

            RequireEmailProtection(certificate, parameter, path);
        }

        /// <summary>The e-mail addresses of a certificate: subjectAltName rfc822Name entries, then E= of the subject.</summary>
        public static IReadOnlyList<string> Addresses(BcCertificate certificate)
        {
            var addresses = new List<string>();
            foreach (var name in certificate.GetSubjectAlternativeNames() ?? Enumerable.Empty<IList<object>>())
            {
                if (name.Count == 2 && name[0] is int tag && tag == GeneralName.Rfc822Name && name[1] is string address)
                {
                    addresses.Add(address.Trim());
                }
            }

            addresses.AddRange(certificate.SubjectDN.GetValueList(X509Name.EmailAddress).Select(a => a.Trim()));
            return addresses.Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        }

        public static string Subject(BcCertificate certificate) => certificate.SubjectDN.ToString();

        private static void RequireDates(BcCertificate certificate, string parameter, string path, DateTime nowUtc)
        {
            if (certificate.NotAfter.ToUniversalTime() < nowUtc)
            {
                throw MessageSecurityErrors.CertificateExpired(parameter, path, Subject(certificate), certificate.NotAfter.ToUniversalTime());
            }

            if (certificate.NotBefore.ToUniversalTime() > nowUtc)
            {
                throw MessageSecurityErrors.CertificateNotYetValid(parameter, path, Subject(certificate), certificate.NotBefore.ToUniversalTime());
            }
        }

        private static void RequireEmailProtection(BcCertificate certificate, string parameter, string path)
        {
            var purposes = certificate.GetExtendedKeyUsage();
            if (purposes != null && !purposes.Any(p => p.Id == EmailProtection || p.Id == AnyExtendedKeyUsage))
            {
                var given = string.Join(", ", purposes.Select(Describe));
                throw MessageSecurityErrors.CertificateNotForEmail(parameter, path, Subject(certificate), $"its extended key usage ({given}) does not include emailProtection");
            }
        }

        private static string Describe(DerObjectIdentifier oid) => oid.Id switch
        {
            "1.3.6.1.5.5.7.3.1" => "serverAuth",
            "1.3.6.1.5.5.7.3.2" => "clientAuth",
            "1.3.6.1.5.5.7.3.3" => "codeSigning",
            _ => oid.Id,
        };

        private static bool Bit(bool[] usage, int index) => index < usage.Length && usage[index];
    }
}
