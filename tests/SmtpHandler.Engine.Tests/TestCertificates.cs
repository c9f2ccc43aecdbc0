using System;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The test certificates of tests/TestCertificates.ps1, made at run time in a temporary folder (no private
    /// key is committed): a private CA; server certificates signed by it (good, expired, wrong name); a
    /// self-signed server certificate; client certificates (RSA and EC). Files in the forms users have:
    /// PEM, PEM bundles, DER, PFX; PKCS#8, PKCS#1 and SEC1 keys. Use it as an xunit class fixture.
    /// </summary>
    public sealed class TestCertificates : IDisposable
    {
        public TestCertificates()
        {
            Directory = Path.Combine(Path.GetTempPath(), "smtphandler-certs-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            System.IO.Directory.CreateDirectory(Directory);
            var now = DateTimeOffset.UtcNow;

            var caKey = RSA.Create(2048);
            var caRequest = new CertificateRequest("CN=SmtpHandler Test CA, O=SmtpHandler Tests", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            Ca = caRequest.CreateSelfSigned(now.AddDays(-365), now.AddYears(2));

            Server = Leaf(Ca, "CN=localhost", true, now.AddDays(-1), now.AddYears(1), server: true);
            Expired = Leaf(Ca, "CN=localhost", true, now.AddDays(-60), now.AddDays(-1), server: true);
            WrongName = Leaf(Ca, "CN=wrong.example.test", false, now.AddDays(-1), now.AddYears(1), server: true, dnsName: "wrong.example.test");
            SelfSigned = Leaf(null, "CN=localhost", true, now.AddDays(-1), now.AddYears(1), server: true);
            Client = Leaf(Ca, "CN=smtphandler-client", false, now.AddDays(-1), now.AddYears(1), server: false);
            ClientEc = Leaf(Ca, "CN=smtphandler-client-ec", false, now.AddDays(-1), now.AddYears(1), server: false, ec: true);

            ClientPassword = "client-pfx-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            CaPem = Write("ca.pem", Pem(Ca));
            CaCer = Write("ca.cer", Ca.RawData);
            CaPfx = Write("ca.pfx", Ca.Export(X509ContentType.Pfx));
            ServerPem = Write("server.pem", Pem(Server));
            ServerKey = Write("server.key", Server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            BundlePem = Write("bundle.pem", "Server certificate and its CA\n" + Pem(Server) + "\n" + Pem(Ca));
            SelfSignedPem = Write("selfsigned.pem", Pem(SelfSigned));
            ClientPfx = Write("client.pfx", Client.Export(X509ContentType.Pfx, ClientPassword));
            ClientPem = Write("client.pem", Pem(Client));
            ClientKey = Write("client.key", Client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            ClientRsaKey = Write("client-rsa.key", Client.GetRSAPrivateKey()!.ExportRSAPrivateKeyPem());
            ClientEncryptedKey = Write("client-encrypted.key", Client.GetRSAPrivateKey()!.ExportEncryptedPkcs8PrivateKeyPem(
                ClientPassword.AsSpan(), new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)));
            ClientEcPem = Write("client-ec.pem", Pem(ClientEc));
            ClientEcKey = Write("client-ec.key", ClientEc.GetECDsaPrivateKey()!.ExportECPrivateKeyPem());
            Garbage = Write("garbage.pem", "this is not a certificate\n");
        }

        public string Directory { get; }

        public X509Certificate2 Ca { get; }

        /// <summary>CN=localhost, SAN localhost and 127.0.0.1, signed by the CA.</summary>
        public X509Certificate2 Server { get; }

        public X509Certificate2 Expired { get; }

        /// <summary>Issued to wrong.example.test only.</summary>
        public X509Certificate2 WrongName { get; }

        public X509Certificate2 SelfSigned { get; }

        public X509Certificate2 Client { get; }

        public X509Certificate2 ClientEc { get; }

        public string ClientPassword { get; }

        public string CaPem { get; }

        public string CaCer { get; }

        public string CaPfx { get; }

        public string ServerPem { get; }

        public string ServerKey { get; }

        /// <summary>The server certificate and the CA in one PEM file, with text before them as openssl writes.</summary>
        public string BundlePem { get; }

        public string SelfSignedPem { get; }

        public string ClientPfx { get; }

        public string ClientPem { get; }

        /// <summary>PKCS#8 (BEGIN PRIVATE KEY).</summary>
        public string ClientKey { get; }

        /// <summary>PKCS#1 (BEGIN RSA PRIVATE KEY).</summary>
        public string ClientRsaKey { get; }

        /// <summary>Encrypted PKCS#8, with <see cref="ClientPassword"/>.</summary>
        public string ClientEncryptedKey { get; }

        public string ClientEcPem { get; }

        /// <summary>SEC1 (BEGIN EC PRIVATE KEY).</summary>
        public string ClientEcKey { get; }

        public string Garbage { get; }

        public void Dispose()
        {
            foreach (var certificate in new[] { Ca, Server, Expired, WrongName, SelfSigned, Client, ClientEc })
            {
                certificate.Dispose();
            }

            try
            {
                System.IO.Directory.Delete(Directory, true);
            }
            catch (IOException)
            {
            }
        }

        public static string Pem(X509Certificate2 certificate) =>
            "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(certificate.RawData, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n") + "\n-----END CERTIFICATE-----\n";

        /// <summary>A copy whose private key a server's SslStream can use on every platform (PFX round trip).</summary>
        public static X509Certificate2 ForServer(X509Certificate2 certificate) =>
            X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);

        private static X509Certificate2 Leaf(X509Certificate2? issuer, string subject, bool localhost, DateTimeOffset notBefore, DateTimeOffset notAfter, bool server, string? dnsName = null, bool ec = false)
        {
            var rsa = ec ? null : RSA.Create(2048);
            var ecdsa = ec ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
            var request = ec
                ? new CertificateRequest(subject, ecdsa!, HashAlgorithmName.SHA256)
                : new CertificateRequest(subject, rsa!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (ec ? 0 : X509KeyUsageFlags.KeyEncipherment), true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                new OidCollection { new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, false));
            if (localhost || dnsName != null)
            {
                var san = new SubjectAlternativeNameBuilder();
                if (localhost)
                {
                    san.AddDnsName("localhost");
                    san.AddIpAddress(IPAddress.Loopback);
                }

                if (dnsName != null)
                {
                    san.AddDnsName(dnsName);
                }

                request.CertificateExtensions.Add(san.Build());
            }

            if (issuer == null)
            {
                return request.CreateSelfSigned(notBefore, notAfter);
            }

            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            // The generator form signs an EC request with the RSA CA as well.
            var generator = X509SignatureGenerator.CreateForRSA(issuer.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1);
            using var signed = request.Create(issuer.SubjectName, generator, notBefore, notAfter, serial);
            return ec ? signed.CopyWithPrivateKey(ecdsa!) : signed.CopyWithPrivateKey(rsa!);
        }

        private string Write(string name, string text)
        {
            var path = Path.Combine(Directory, name);
            File.WriteAllText(path, text);
            return path;
        }

        private string Write(string name, byte[] bytes)
        {
            var path = Path.Combine(Directory, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }
    }
}
