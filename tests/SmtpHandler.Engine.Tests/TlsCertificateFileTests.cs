using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Reading certificate files: the forms users have, and a clear error for anything else, at config time.</summary>
    public sealed class TlsCertificateFileTests : IClassFixture<TestCertificates>
    {
        private readonly TestCertificates certs;

        public TlsCertificateFileTests(TestCertificates certs) => this.certs = certs;

        private static SecureString Secure(string text) => new NetworkCredential(string.Empty, text).SecurePassword;

        private static SmtpHandlerException ConfigError(SmtpHandlerConfig config) => Assert.Throws<SmtpHandlerException>(() => config.Validate());

        [Fact]
        public void Reads_both_certificates_of_a_PEM_bundle()
        {
            var loaded = CertificateFiles.LoadTrusted(certs.BundlePem);

            Assert.Equal(new[] { certs.Server.Thumbprint, certs.Ca.Thumbprint }, loaded.Cast<X509Certificate2>().Select(c => c.Thumbprint));
        }

        [Fact]
        public void Reads_a_PEM_file_written_as_UTF16_the_way_Windows_PowerShell_writes_text()
        {
            var utf16 = Path.Combine(certs.Directory, "ca-utf16.pem");
            File.WriteAllText(utf16, File.ReadAllText(certs.CaPem), System.Text.Encoding.Unicode);

            var loaded = Assert.Single(CertificateFiles.LoadTrusted(utf16));

            Assert.Equal(certs.Ca.Thumbprint, loaded.Thumbprint);
        }

        [Fact]
        public void Reads_a_DER_certificate()
        {
            var loaded = Assert.Single(CertificateFiles.LoadTrusted(certs.CaCer));

            Assert.Equal(certs.Ca.Thumbprint, loaded.Thumbprint);
        }

        [Fact]
        public void Reads_a_PFX_without_password_and_keeps_no_private_key_for_trust()
        {
            var loaded = Assert.Single(CertificateFiles.LoadTrusted(certs.CaPfx));

            Assert.Equal(certs.Ca.Thumbprint, loaded.Thumbprint);
            Assert.False(loaded.HasPrivateKey);
        }

        [Fact]
        public void A_garbage_trusted_file_is_an_InvalidCertificateFile_error_naming_the_parameter_at_config_time()
        {
            var error = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { certs.CaPem, certs.Garbage } });

            Assert.Equal("InvalidCertificateFile", error.ErrorId);
            Assert.Equal("TrustedCertificatePath", error.ParameterName);
            Assert.Equal(certs.Garbage, error.Target);
            Assert.Contains(certs.Garbage, error.Message);
            Assert.Contains("not a certificate", error.Message);
        }

        [Fact]
        public void A_PEM_file_with_only_a_key_is_refused_as_trusted_certificate_saying_what_it_holds()
        {
            var error = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { certs.ServerKey } });

            Assert.Equal("InvalidCertificateFile", error.ErrorId);
            Assert.Contains("holds no certificate (found: PRIVATE KEY)", error.Message);
        }

        [Fact]
        public void A_missing_trusted_file_and_a_password_protected_PFX_are_clear_errors()
        {
            var missing = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { Path.Combine(certs.Directory, "nope.pem") } });
            Assert.Equal("InvalidCertificateFile", missing.ErrorId);
            Assert.Contains("does not exist", missing.Message);

            var locked = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { certs.ClientPfx } });
            Assert.Equal("InvalidCertificateFile", locked.ErrorId);
            Assert.Contains("without a password", locked.Message);
        }

        [Fact]
        public void Loads_a_client_PFX_with_its_password()
        {
            using var client = CertificateFiles.LoadClient(certs.ClientPfx, null, Secure(certs.ClientPassword));

            Assert.Equal(certs.Client.Thumbprint, client.Thumbprint);
            Assert.True(client.HasPrivateKey);
        }

        [Fact]
        public void A_client_PFX_with_a_wrong_or_missing_password_names_the_password_parameter_and_never_shows_it()
        {
            var wrong = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPfx, ClientCertificatePassword = Secure("Wr0ng-Secret") });
            Assert.Equal("InvalidCertificateFile", wrong.ErrorId);
            Assert.Equal("ClientCertificatePassword", wrong.ParameterName);
            Assert.DoesNotContain("Wr0ng-Secret", wrong.Message);
            Assert.DoesNotContain(certs.ClientPassword, wrong.Message);

            var missing = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPfx });
            Assert.Equal("ClientCertificatePassword", missing.ParameterName);
            Assert.Contains("protected by a password", missing.Message);
        }

        [Theory]
        [InlineData("PKCS#8")]
        [InlineData("PKCS#1")]
        [InlineData("EC")]
        [InlineData("encrypted PKCS#8")]
        public void Joins_a_PEM_certificate_and_its_PEM_key(string form)
        {
            var (pem, key, expected) = form switch
            {
                "PKCS#8" => (certs.ClientPem, certs.ClientKey, certs.Client),
                "PKCS#1" => (certs.ClientPem, certs.ClientRsaKey, certs.Client),
                "EC" => (certs.ClientEcPem, certs.ClientEcKey, certs.ClientEc),
                _ => (certs.ClientPem, certs.ClientEncryptedKey, certs.Client),
            };
            var password = form.StartsWith("encrypted", StringComparison.Ordinal) ? Secure(certs.ClientPassword) : null;

            using var client = CertificateFiles.LoadClient(pem, key, password);

            Assert.Equal(expected.Thumbprint, client.Thumbprint);
            Assert.True(client.HasPrivateKey);
        }

        [Fact]
        public void Takes_the_key_from_the_certificate_file_when_it_holds_both()
        {
            var both = Path.Combine(certs.Directory, "client-with-key.pem");
            File.WriteAllText(both, File.ReadAllText(certs.ClientPem) + File.ReadAllText(certs.ClientKey));

            using var client = CertificateFiles.LoadClient(both, null, null);

            Assert.Equal(certs.Client.Thumbprint, client.Thumbprint);
            Assert.True(client.HasPrivateKey);
        }

        [Fact]
        public void A_key_that_does_not_belong_to_the_certificate_is_refused()
        {
            var error = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPem, ClientCertificateKeyPath = certs.ServerKey });

            Assert.Equal("InvalidCertificateFile", error.ErrorId);
            Assert.Equal("ClientCertificateKeyPath", error.ParameterName);
            Assert.Contains("does not belong to the certificate", error.Message);
        }

        [Fact]
        public void A_PEM_client_certificate_without_a_key_asks_for_ClientCertificateKeyPath()
        {
            var error = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPem });

            Assert.Equal("ClientCertificateKeyPath", error.ParameterName);
            Assert.Contains("-ClientCertificateKeyPath", error.Message);
        }

        [Fact]
        public void An_encrypted_key_without_a_password_asks_for_it()
        {
            var error = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPem, ClientCertificateKeyPath = certs.ClientEncryptedKey });

            Assert.Equal("ClientCertificatePassword", error.ParameterName);
            Assert.Contains("encrypted", error.Message);
        }

        [Fact]
        public void A_key_path_without_a_certificate_is_a_configuration_error()
        {
            var error = ConfigError(new SmtpHandlerConfig { ClientCertificateKeyPath = certs.ClientKey });

            Assert.Equal("ClientCertificateKeyPath", error.ParameterName);
        }
    }
}
