using System;
using System.IO;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Certificates the OAuth tests make at run time in a temporary folder: a self-signed server certificate for
    /// 127.0.0.1/localhost (trusted by the module through its PEM file) and an app certificate in a
    /// password-protected PFX that signs client assertions.
    /// </summary>
    public sealed class OAuthTestCertificates : IDisposable
    {
        public OAuthTestCertificates()
        {
            Directory = Path.Combine(Path.GetTempPath(), "smtphandler-oauth-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(Directory);
            var now = DateTimeOffset.UtcNow;

            using (var key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                var names = new SubjectAlternativeNameBuilder();
                names.AddDnsName("localhost");
                names.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(names.Build());
                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
                using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
                Server = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
                ServerPemPath = Path.Combine(Directory, "server.pem");
                File.WriteAllText(ServerPemPath, created.ExportCertificatePem());
            }

            using (var key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=SmtpHandler OAuth test app", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
                AppPassword = "app-pfx-" + Guid.NewGuid().ToString("N").Substring(0, 8);
                AppPfxPath = Path.Combine(Directory, "app.pfx");
                File.WriteAllBytes(AppPfxPath, created.Export(X509ContentType.Pfx, AppPassword));
                App = X509CertificateLoader.LoadCertificate(created.RawData);
            }
        }

        public string Directory { get; }

        /// <summary>The server certificate with its key, for the test servers.</summary>
        public X509Certificate2 Server { get; }

        /// <summary>The server certificate (no key), for -TrustedCertificatePath.</summary>
        public string ServerPemPath { get; }

        /// <summary>The app certificate's public part, to verify client assertions with.</summary>
        public X509Certificate2 App { get; }

        public string AppPfxPath { get; }

        public string AppPassword { get; }

        public SecureString AppSecurePassword => new NetworkCredential(string.Empty, AppPassword).SecurePassword;

        public void Dispose()
        {
            Server.Dispose();
            App.Dispose();
            try
            {
                System.IO.Directory.Delete(Directory, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
