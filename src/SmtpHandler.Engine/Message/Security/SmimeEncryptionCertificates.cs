using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace SmtpHandler
{
    /// <summary>
    /// The recipients' certificates, by the e-mail addresses they name. A message is encrypted to the
    /// certificates of its own recipients only, so nobody else given a certificate can read it.
    /// </summary>
    internal sealed class SmimeEncryptionCertificates
    {
        public const string Parameter = "EncryptionCertificatePath";

        private readonly Dictionary<string, List<BcCertificate>> byAddress;

        private SmimeEncryptionCertificates(Dictionary<string, List<BcCertificate>> byAddress) => this.byAddress = byAddress;

        public static SmimeEncryptionCertificates Load(IEnumerable<string> paths, DateTime nowUtc)
        {
            var byAddress = new Dictionary<string, List<BcCertificate>>(StringComparer.OrdinalIgnoreCase);
            foreach (var path in paths)
            {
                foreach (var certificate in EndEntities(path, Read(path)))
                {
                    SmimeCertificateRules.RequireForEncryption(certificate, Parameter, path, nowUtc);
                    var addresses = SmimeCertificateRules.Addresses(certificate);
                    if (addresses.Count == 0)
                    {
                        throw MessageSecurityErrors.CertificateWithoutAddress(Parameter, path, SmimeCertificateRules.Subject(certificate));
                    }

                    foreach (var address in addresses)
                    {
                        if (!byAddress.TryGetValue(address, out var list))
                        {
                            byAddress[address] = list = new List<BcCertificate>();
                        }

                        if (!list.Contains(certificate))
                        {
                            list.Add(certificate);
                        }
                    }
                }
            }

            return new SmimeEncryptionCertificates(byAddress);
        }

        public bool Has(string address) => byAddress.ContainsKey(address);

        /// <summary>The CMS recipients for a message's envelope recipients (each has a certificate: see <see cref="Has"/>).</summary>
        public CmsRecipientCollection For(IEnumerable<MailboxAddress> recipients)
        {
            var collection = new CmsRecipientCollection();
            foreach (var certificate in recipients.SelectMany(r => byAddress[r.Address]).Distinct())
            {
                // AES-256 whatever the certificate advertises: every current reader (and openssl) decrypts it.
                collection.Add(new CmsRecipient(certificate, SubjectIdentifierType.IssuerAndSerialNumber) { EncryptionAlgorithms = new[] { EncryptionAlgorithm.Aes256 } });
            }

            return collection;
        }

        /// <summary>
        /// The recipients' own certificates in a file: a file exported "with chain" (a PEM bundle, a .p7b) also
        /// holds the CA certificates that issued them, which are nobody's to encrypt to and are left out.
        /// </summary>
        private static IEnumerable<BcCertificate> EndEntities(string path, IReadOnlyList<BcCertificate> certificates)
        {
            // GetBasicConstraints is -1 unless basicConstraints says CA=true.
            var endEntities = certificates.Where(c => c.GetBasicConstraints() < 0).ToList();
            if (endEntities.Count == 0)
            {
                throw MessageSecurityErrors.Encryption(path, $"The file '{path}' holds only CA certificates ({string.Join("; ", certificates.Select(SmimeCertificateRules.Subject))}): give each recipient's own certificate, with or without its chain.");
            }

            return endEntities;
        }

        private static IReadOnlyList<BcCertificate> Read(string path)
        {
            var bytes = RegularFile.TryReadAll(path, CertificateFiles.MaxFileBytes, out var why)
                ?? throw MessageSecurityErrors.Encryption(path, $"The certificate file '{path}' {why}.");
            List<BcCertificate> certificates;
            try
            {
                // PEM (also several in one file), DER, or a PKCS#7 bundle: BouncyCastle tells them apart.
                certificates = new X509CertificateParser().ReadCertificates(bytes)?.ToList() ?? new List<BcCertificate>();
            }
            catch (Exception ex) when (ex is not SmtpHandlerException)
            {
                certificates = new List<BcCertificate>();
            }

            if (certificates.Count == 0)
            {
                throw MessageSecurityErrors.Encryption(path, $"The file '{path}' holds no certificate: give each recipient's certificate as PEM (-----BEGIN CERTIFICATE-----) or DER (.cer/.crt), without a private key.");
            }

            return certificates;
        }
    }
}
