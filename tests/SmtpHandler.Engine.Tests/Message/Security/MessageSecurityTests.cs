using System;
using System.IO;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApplicationPkcs7Mime = MimeKit.Cryptography.ApplicationPkcs7Mime;
using SecureMimeType = MimeKit.Cryptography.SecureMimeType;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// S/MIME and DKIM settings without a server: which certificates are refused and why (with a clock given, so
    /// expiry is tested exactly), which recipients are left out of an encrypted message, and the order the
    /// protections are applied in. The standards' verdicts come from openssl and python3-dkim (tests/Smime.Tests.ps1,
    /// tests/Dkim.Tests.ps1); these tests only pin the engine's own rules.
    /// </summary>
    public sealed class MessageSecurityTests : IDisposable
    {
        private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
        private static readonly DateTime Now = DateTime.UtcNow;
        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-smime-" + Guid.NewGuid().ToString("N"));

        public MessageSecurityTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, true);

        [Fact]
        public void A_certificate_names_its_subjectAltName_and_subject_e_mail_addresses()
        {
            var path = Certificate("alice", "CN=Alice, E=alice.subject@example.test", san: "alice@example.test");
            var certificate = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(File.ReadAllBytes(path));

            var addresses = SmimeCertificateRules.Addresses(certificate);

            Assert.Equal(new[] { "alice@example.test", "alice.subject@example.test" }, addresses);
        }

        [Fact]
        public void A_recipient_certificate_is_refused_after_its_NotAfter_and_before_its_NotBefore()
        {
            var path = Certificate("alice", "CN=Alice", san: "alice@example.test");

            var expired = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(Encrypt(path), Now.AddDays(31)));
            var early = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(Encrypt(path), Now.AddDays(-2)));

            Assert.Equal("SmimeCertificateExpired", expired.ErrorId);
            Assert.Equal("EncryptionCertificatePath", expired.ParameterName);
            Assert.Equal("SmimeCertificateNotYetValid", early.ErrorId);
            Assert.NotNull(MessageSecurity.Load(Encrypt(path), Now));
        }

        [Fact]
        public void A_signing_certificate_for_TLS_clients_only_is_not_for_e_mail()
        {
            var path = Certificate("client", "CN=Client", san: "ops@example.test", purpose: "1.3.6.1.5.5.7.3.2", pfx: true);

            var error = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(new MessageSecurityOptions { SigningCertificatePath = path, SigningCertificatePassword = Password() }, Now));

            Assert.Equal("SmimeCertificateNotForEmail", error.ErrorId);
            Assert.Contains("clientAuth", error.Message);
            Assert.Equal("SigningCertificatePath", error.ParameterName);
        }

        [Fact]
        public void A_recipient_certificate_without_an_address_is_refused_because_nobody_could_be_matched_to_it()
        {
            var path = Certificate("anon", "CN=Nobody");

            var error = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(Encrypt(path), Now));

            Assert.Equal("SmimeCertificateNoAddress", error.ErrorId);
        }

        [Fact]
        public void An_encrypted_message_goes_only_to_recipients_with_a_certificate_and_the_others_are_not_attempted_with_why()
        {
            var security = MessageSecurity.Load(Encrypt(Certificate("alice", "CN=Alice", san: "Alice@Example.test")), Now)!;
            var message = new SmtpMessage { From = "ops@example.test", To = { "alice@example.test", "bob@example.test" }, Subject = "s", TextBody = "b", Security = security };

            var prepared = MessageBuilder.Prepare(message, new SmtpHandlerConfig(), skipInvalidRecipients: true);

            Assert.Equal(new[] { "alice@example.test" }, prepared.Recipients);
            var bob = Assert.Single(prepared.RefusedBeforeSending);
            Assert.Equal("bob@example.test", bob.Address);
            Assert.Equal(SmtpRecipientStatus.NotAttempted, bob.Status);
            Assert.Equal("NoEncryptionCertificate", bob.ErrorId);
        }

        [Fact]
        public void Signing_comes_before_encryption_and_DKIM_signs_the_final_message()
        {
            var signer = Certificate("ops", "CN=Ops", san: "ops@example.test", pfx: true);
            var alice = Certificate("alice", "CN=Alice", san: "alice@example.test");
            var dkimKey = Path.Combine(directory, "dkim.pem");
            using (var rsa = RSA.Create(2048))
            {
                File.WriteAllText(dkimKey, Pem("PRIVATE KEY", rsa.ExportPkcs8PrivateKey()));
            }

            var security = MessageSecurity.Load(
                new MessageSecurityOptions
                {
                    SigningCertificatePath = signer,
                    SigningCertificatePassword = Password(),
                    EncryptionCertificatePaths = { alice },
                    DkimDomain = "example.test",
                    DkimSelector = "s1",
                    DkimPrivateKeyPath = dkimKey,
                },
                Now)!;
            var message = new SmtpMessage { From = "ops@example.test", To = { "alice@example.test" }, Subject = "s", TextBody = "b", Security = security };

            var mime = MessageBuilder.Prepare(message, new SmtpHandlerConfig(), skipInvalidRecipients: false).Mime;

            var enveloped = Assert.IsType<ApplicationPkcs7Mime>(mime.Body);
            Assert.Equal(SecureMimeType.EnvelopedData, enveloped.SecureMimeType);
            Assert.Equal("DKIM-Signature", mime.Headers[0].Field);
            Assert.Contains("d=example.test", mime.Headers[0].Value);
        }

        [Fact]
        public void A_signing_PFX_loads_its_key_and_chain_in_memory_and_a_PEM_certificate_alone_has_no_private_key()
        {
            var pfx = Certificate("ops", "CN=Ops", san: "ops@example.test", pfx: true);
            var pem = Certificate("ops2", "CN=Ops2", san: "ops@example.test");

            var loaded = MessageSecurity.Load(new MessageSecurityOptions { SigningCertificatePath = pfx, SigningCertificatePassword = Password() }, Now);
            var error = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(new MessageSecurityOptions { SigningCertificatePath = pem }, DateTime.UtcNow));

            Assert.True(loaded!.Signs);
            Assert.Equal("SmimeCertificateNoPrivateKey", error.ErrorId);
            Assert.Equal("SigningCertificateKeyPath", error.ParameterName);
        }

        [Theory]
        [InlineData("example.test", null, "IncompleteDkimSettings", "DkimSelector")]
        [InlineData("bad domain", "s1", "InvalidDkimDomain", "DkimDomain")]
        [InlineData("example.test", "s1;x", "InvalidDkimSelector", "DkimSelector")]
        public void DKIM_settings_are_checked_as_a_whole_before_the_key_is_read(string domain, string? selector, string errorId, string parameter)
        {
            var error = Assert.Throws<SmtpHandlerException>(() => MessageSecurity.Load(new MessageSecurityOptions { DkimDomain = domain, DkimSelector = selector, DkimPrivateKeyPath = Path.Combine(directory, "absent.pem") }, Now));

            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal(parameter, error.ParameterName);
        }

        [Fact]
        public void Nothing_asked_for_is_no_security_at_all()
        {
            Assert.Null(MessageSecurity.Load(new MessageSecurityOptions(), Now));
        }

        private static MessageSecurityOptions Encrypt(string path) => new() { EncryptionCertificatePaths = { path } };

        private static SecureString Password()
        {
            var password = new SecureString();
            foreach (var c in "pfx-pass")
            {
                password.AppendChar(c);
            }

            return password;
        }

        private static string Pem(string label, byte[] der) =>
            $"-----BEGIN {label}-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks)}\n-----END {label}-----\n";

        /// <summary>A self-signed S/MIME certificate valid from a day before <see cref="Now"/> to 30 days after; PEM, or PFX with its key.</summary>
        private string Certificate(string name, string subject, string? san = null, string purpose = EmailProtection, bool pfx = false)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(purpose) }, false));
            if (san != null)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddEmailAddress(san);
                request.CertificateExtensions.Add(names.Build());
            }

            var notBefore = new DateTimeOffset(Now.AddDays(-1));
            var notAfter = new DateTimeOffset(Now.AddDays(30));
            using var certificate = request.CreateSelfSigned(notBefore, notAfter);
            var path = Path.Combine(directory, name + (pfx ? ".pfx" : ".pem"));
            if (pfx)
            {
                File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "pfx-pass"));
            }
            else
            {
                File.WriteAllText(path, Pem("CERTIFICATE", certificate.RawData));
            }

            return path;
        }
    }
}
