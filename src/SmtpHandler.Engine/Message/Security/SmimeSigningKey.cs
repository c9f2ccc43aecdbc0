using System;
using System.Collections.Generic;
using System.Security;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace SmtpHandler
{
    /// <summary>
    /// The S/MIME signing certificate with its private key and chain, held as BouncyCastle objects in memory
    /// (no certificate store, no database), checked for e-mail protection when it is read.
    /// </summary>
    internal sealed class SmimeSigningKey
    {
        public const string CertificateParameter = "SigningCertificatePath";

        private static readonly CertificateParameters Names = new(
            CertificateParameter, "SigningCertificateKeyPath", "SigningCertificatePassword", MessageSecurityErrors.NoPrivateKey, "S/MIME signing");

        private readonly AsymmetricKeyParameter key;
        private readonly IReadOnlyList<BcCertificate> chain;

        private SmimeSigningKey(AsymmetricKeyParameter key, IReadOnlyList<BcCertificate> chain)
        {
            this.key = key;
            this.chain = chain;
        }

        public static SmimeSigningKey Load(string path, string? keyPath, SecureString? password, DateTime nowUtc)
        {
            var (key, chain) = CertificateFiles.LoadKeyAndChain(Names, path, keyPath, password);
            if (chain.Count == 0)
            {
                throw MessageSecurityErrors.Signing(path, $"'{path}' holds a private key but no certificate.");
            }

            SmimeCertificateRules.RequireForSigning(chain[0], CertificateParameter, path, nowUtc);
            return new SmimeSigningKey(key, chain);
        }

        /// <summary>A signer for one message; the chain goes into the signature so a reader can build the path to its CA.</summary>
        public CmsSigner Signer() => new(chain, key, SubjectIdentifierType.IssuerAndSerialNumber) { DigestAlgorithm = DigestAlgorithm.Sha256 };
    }
}
