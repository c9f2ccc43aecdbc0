using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The trust decision under -TrustedCertificatePath, on chains made here: every certificate up to and
    /// including the trusted one must be within its dates, and no certificate below the trusted one may be
    /// signed with SHA-1 (or MD5), as browsers refuse them.
    /// </summary>
    public sealed class TrustedChainTests : IDisposable
    {
        private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-chains-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public TrustedChainTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, true);

        [Fact]
        public void An_intermediate_that_expired_in_2021_given_as_the_trusted_file_is_refused()
        {
            using var root = Ca("CN=Chain Root", null, Now.AddYears(-10), Now.AddYears(10));
            using var intermediate = Ca("CN=Chain Intermediate 2021", root, new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 6, 30, 0, 0, 0, TimeSpan.Zero));
            using var leaf = Leaf(intermediate, HashAlgorithmName.SHA256);

            var verdict = Judge(leaf, Trust(intermediate));

            Assert.False(verdict.Trusted);
            Assert.Null(verdict.TrustedBy);
            var problem = Assert.Single(verdict.Problems, p => p.Kind == TlsProblemKind.Expired);
            Assert.Contains("CN=Chain Intermediate 2021", problem.Reason);
            Assert.Contains("2021-06-30", problem.Reason);
        }

        [Fact]
        public void An_expired_intermediate_the_server_sends_below_a_trusted_root_is_refused()
        {
            using var root = Ca("CN=Chain Root", null, Now.AddYears(-10), Now.AddYears(10));
            using var intermediate = Ca("CN=Chain Intermediate 2021", root, new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 6, 30, 0, 0, 0, TimeSpan.Zero));
            using var leaf = Leaf(intermediate, HashAlgorithmName.SHA256);

            var verdict = Judge(leaf, Trust(root), sent: intermediate);

            Assert.False(verdict.Trusted);
            Assert.Contains(verdict.Problems, p => p.Kind == TlsProblemKind.Expired && p.Reason.Contains("CN=Chain Intermediate 2021"));
        }

        [Fact]
        public void An_expired_root_given_as_the_trusted_file_is_refused()
        {
            using var root = Ca("CN=Chain Old Root", null, new DateTimeOffset(2011, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));
            using var leaf = Leaf(root, HashAlgorithmName.SHA256);

            var verdict = Judge(leaf, Trust(root));

            Assert.False(verdict.Trusted);
            Assert.Contains(verdict.Problems, p => p.Kind == TlsProblemKind.Expired && p.Reason.Contains("CN=Chain Old Root"));
        }

        [Fact]
        public void A_valid_chain_through_a_trusted_intermediate_is_still_accepted()
        {
            using var root = Ca("CN=Chain Root", null, Now.AddYears(-10), Now.AddYears(10));
            using var intermediate = Ca("CN=Chain Intermediate", root, Now.AddYears(-1), Now.AddYears(5));
            using var leaf = Leaf(intermediate, HashAlgorithmName.SHA256);

            Assert.True(Judge(leaf, Trust(intermediate)).Trusted);
            Assert.True(Judge(leaf, Trust(root), sent: intermediate).Trusted);
        }

        [Fact]
        public void A_server_certificate_signed_with_SHA1_is_refused()
        {
            using var root = Ca("CN=Chain Root", null, Now.AddYears(-10), Now.AddYears(10));
            using var leaf = Leaf(root, HashAlgorithmName.SHA1);

            var verdict = Judge(leaf, Trust(root));

            Assert.False(verdict.Trusted);
            var problem = Assert.Single(verdict.Problems, p => p.Reason.Contains("SHA-1"));
            Assert.Equal(TlsProblemKind.InvalidChain, problem.Kind);
            Assert.Contains("CN=localhost", problem.Reason);
        }

        [Fact]
        public void An_intermediate_signed_with_SHA1_is_refused()
        {
            using var root = Ca("CN=Chain Root", null, Now.AddYears(-10), Now.AddYears(10));
            using var intermediate = Ca("CN=Chain SHA1 Intermediate", root, Now.AddYears(-1), Now.AddYears(5), HashAlgorithmName.SHA1);
            using var leaf = Leaf(intermediate, HashAlgorithmName.SHA256);

            var verdict = Judge(leaf, Trust(root), sent: intermediate);

            Assert.False(verdict.Trusted);
            Assert.Contains(verdict.Problems, p => p.Reason.Contains("SHA-1") && p.Reason.Contains("CN=Chain SHA1 Intermediate"));
        }

        [Fact]
        public void The_own_signature_of_a_trusted_root_may_be_SHA1()
        {
            using var root = Ca("CN=Chain SHA1 Root", null, Now.AddYears(-10), Now.AddYears(10), HashAlgorithmName.SHA1);
            using var leaf = Leaf(root, HashAlgorithmName.SHA256);

            Assert.True(Judge(leaf, Trust(root)).Trusted);
        }

        private TlsVerdict Judge(X509Certificate2 leaf, string trustedFile, X509Certificate2? sent = null)
        {
            var trust = TlsTrust.Create(new SmtpHandlerConfig { SmtpServer = "localhost", TrustedCertificatePaths = new[] { trustedFile } });
            if (sent == null)
            {
                return trust.Judge(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors);
            }

            // What SslStream hands the callback: a chain whose extra store holds what the server sent.
            using var chain = new X509Chain();
            chain.ChainPolicy.ExtraStore.Add(sent);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.Build(leaf);
            return trust.Judge(leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors);
        }

        private string Trust(X509Certificate2 certificate)
        {
            var path = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".pem");
            File.WriteAllText(path, TestCertificates.Pem(certificate));
            return path;
        }

        private static X509Certificate2 Ca(string subject, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, HashAlgorithmName? hash = null)
        {
            var key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var signer = issuer == null ? key : issuer.GetRSAPrivateKey()!;
            return Sign(request, issuer?.SubjectName ?? new X500DistinguishedName(subject), signer, hash ?? HashAlgorithmName.SHA256, notBefore, notAfter).CopyWithPrivateKey(key);
        }

        private static X509Certificate2 Leaf(X509Certificate2 issuer, HashAlgorithmName hash)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            return Sign(request, issuer.SubjectName, issuer.GetRSAPrivateKey()!, hash, Now.AddDays(-1), Now.AddYears(1));
        }

        // The generator form: it signs with any hash (SHA-1 too) and does not insist that a child's dates lie within its issuer's.
        private static X509Certificate2 Sign(CertificateRequest request, X500DistinguishedName issuer, RSA issuerKey, HashAlgorithmName hash, DateTimeOffset notBefore, DateTimeOffset notAfter)
        {
            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            var generator = new HashOverride(issuerKey, hash);
            return request.Create(issuer, generator, notBefore, notAfter, serial);
        }

        /// <summary>Signs with the given hash whatever hash the request names; .NET's own generator refuses SHA-1.</summary>
        private sealed class HashOverride : X509SignatureGenerator
        {
            // AlgorithmIdentifier { sha1WithRSAEncryption, NULL } in DER.
            private static readonly byte[] Sha1WithRsa = { 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00 };
            private readonly X509SignatureGenerator inner;
            private readonly RSA key;
            private readonly HashAlgorithmName hash;

            public HashOverride(RSA key, HashAlgorithmName hash)
            {
                inner = CreateForRSA(key, RSASignaturePadding.Pkcs1);
                this.key = key;
                this.hash = hash;
            }

            public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
                hash == HashAlgorithmName.SHA1 ? (byte[])Sha1WithRsa.Clone() : inner.GetSignatureAlgorithmIdentifier(hash);

            public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignData(data, hash, RSASignaturePadding.Pkcs1);

            protected override PublicKey BuildPublicKey() => inner.PublicKey;
        }
    }
}
