using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using System.Security.Authentication;
using System.Threading.Tasks;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Trust, client certificates, STARTTLS and login against real servers on loopback: the scripted TLS
    /// server (which can require a client certificate) and the in-process SmtpServer. What the server saw
    /// is checked on its side.
    /// </summary>
    public sealed class TlsConnectionTests : IClassFixture<TestCertificates>
    {
        private const string Secret = "S3cret-Pa55word";
        private readonly TestCertificates certs;

        public TlsConnectionTests(TestCertificates certs) => this.certs = certs;

        private static SecureString Secure(string text) => new NetworkCredential(string.Empty, text).SecurePassword;

        private static SmtpHandlerConfig Config(int port, SmtpTlsMode mode, params string[] trusted) => new()
        {
            SmtpServer = "127.0.0.1",
            Port = port,
            TlsMode = mode,
            TrustedCertificatePaths = trusted,
            RetryCount = 0,
            RetryDelay = TimeSpan.Zero,
            Timeout = TimeSpan.FromSeconds(10),
        };

        private static SmtpSendResult SendOne(SmtpHandlerConfig config)
        {
            var mailer = new SmtpMailer(config);
            var message = mailer.Prepare(new SmtpMessage
            {
                From = "reports@example.test",
                To = new[] { "ann@example.test" },
                Subject = "TLS check",
                TextBody = "Hello",
            });
            return mailer.Send(new[] { message }).Single();
        }

        private SmtpTestServer TlsServer(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, bool requireClientCertificate = false, bool implicitTls = true, Dictionary<string, string>? users = null, SslProtocols? protocols = null) =>
            new(new SmtpTestServerOptions
            {
                Certificate = TestCertificates.ForServer(certificate),
                ImplicitTls = implicitTls,
                TlsProtocols = protocols,
                RequireClientCertificate = requireClientCertificate,
                ClientCertificateAuthority = requireClientCertificate ? certs.Ca : null,
                AuthMechanisms = users == null ? string.Empty : "PLAIN LOGIN",
                Users = users,
            });

        private static void AssertNothingSent(SmtpTestServer server)
        {
            Assert.DoesNotContain("MAIL", server.Sessions.SelectMany(s => s.Verbs));
            Assert.Empty(server.Delivered);
        }

        [Theory]
        [InlineData("ca.pem")]
        [InlineData("ca.cer")]
        [InlineData("ca.pfx")]
        [InlineData("bundle.pem")]
        public async Task Implicit_TLS_trusts_the_private_CA_given_as(string file)
        {
            await using var server = TlsServer(certs.Server);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, System.IO.Path.Combine(certs.Directory, file)));

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.True(Assert.Single(server.Sessions).Encrypted);
            Assert.Equal(new[] { "ann@example.test" }, Assert.Single(server.Delivered).To);
        }

        [Fact]
        public async Task A_pinned_self_signed_server_certificate_is_trusted()
        {
            await using var server = TlsServer(certs.SelfSigned);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, certs.SelfSignedPem));

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Single(server.Delivered);
        }

        [Fact]
        public async Task A_pinned_CA_issued_server_certificate_is_trusted_without_its_CA()
        {
            await using var server = TlsServer(certs.Server);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, certs.ServerPem));

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
        }

        /// <summary>Each certificate refusal: the server's certificate, what is trusted, and what the error must say.</summary>
        [Theory]
        [InlineData("signed by the CA, nothing trusted (the system store)", "server", "", new[] { "SmtpHandler Test CA", "untrusted root", "-TrustedCertificatePath" })]
        [InlineData("signed by the CA, another certificate pinned: the files replace the system store", "server", "selfsigned", new[] { "none of the certificates given with -TrustedCertificatePath" })]
        [InlineData("issued to another name, by the trusted CA", "wrongname", "ca", new[] { "name mismatch", "wrong.example.test", "-SmtpServer" })]
        [InlineData("expired, from the trusted CA", "expired", "ca", new[] { "expired on" })]
        public async Task An_untrusted_certificate_is_refused_before_anything_is_sent_and_the_reason_names_the_fix(string because, string presented, string trusted, string[] said)
        {
            var certificate = presented switch { "wrongname" => certs.WrongName, "expired" => certs.Expired, _ => certs.Server };
            var files = trusted switch { "ca" => new[] { certs.CaPem }, "selfsigned" => new[] { certs.SelfSignedPem }, _ => Array.Empty<string>() };
            await using var server = TlsServer(certificate);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, files));

            Assert.True(result.Status == SmtpSendStatus.Failed, because);
            Assert.Equal("CertificateUntrusted", result.ErrorId);
            foreach (var text in said)
            {
                Assert.Contains(text, result.Error);
            }

            AssertNothingSent(server);
        }

        [Fact]
        public async Task CheckCertificateRevocation_refuses_a_certificate_whose_revocation_cannot_be_learned()
        {
            await using var server = TlsServer(certs.Server);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, certs.CaPem) with { CheckCertificateRevocation = true });

            Assert.Equal("CertificateUntrusted", result.ErrorId);
            Assert.Contains("revocation status", result.Error);
            Assert.Contains("-CheckCertificateRevocation", result.Error);
        }

        [Fact]
        public async Task STARTTLS_verifies_the_server_against_the_trusted_CA_too()
        {
            await using var server = TlsServer(certs.Server, implicitTls: false);

            var trusted = SendOne(Config(server.Port, SmtpTlsMode.StartTls, certs.CaPem));
            var untrusted = SendOne(Config(server.Port, SmtpTlsMode.StartTls, certs.SelfSignedPem));

            Assert.Equal(SmtpSendStatus.Sent, trusted.Status);
            Assert.Equal("CertificateUntrusted", untrusted.ErrorId);
            var sessions = server.Sessions.ToArray();
            Assert.Equal(new[] { "EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT" }, sessions[0].Verbs);
            Assert.DoesNotContain("MAIL", sessions[1].Verbs);
        }

        [Theory]
        [InlineData("pfx")]
        [InlineData("pem")]
        [InlineData("ec")]
        public async Task A_server_that_requires_a_client_certificate_accepts_the_configured_one(string form)
        {
            await using var server = TlsServer(certs.Server, requireClientCertificate: true);
            var config = Config(server.Port, SmtpTlsMode.ImplicitTls, certs.CaPem) with
            {
                ClientCertificatePath = form == "pfx" ? certs.ClientPfx : form == "pem" ? certs.ClientPem : certs.ClientEcPem,
                ClientCertificateKeyPath = form == "pfx" ? null : form == "pem" ? certs.ClientKey : certs.ClientEcKey,
                ClientCertificatePassword = form == "pfx" ? Secure(certs.ClientPassword) : null,
            };

            var result = SendOne(config.Validate());

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            var session = Assert.Single(server.Sessions);
            Assert.Equal(form == "ec" ? certs.ClientEc.Thumbprint : certs.Client.Thumbprint, session.ClientCertificate?.Thumbprint);
            Assert.Single(server.Delivered);
        }

        [Fact]
        public async Task A_client_certificate_is_presented_after_STARTTLS_too()
        {
            await using var server = TlsServer(certs.Server, requireClientCertificate: true, implicitTls: false);
            var config = Config(server.Port, SmtpTlsMode.StartTls, certs.CaPem) with { ClientCertificatePath = certs.ClientPem, ClientCertificateKeyPath = certs.ClientRsaKey };

            var result = SendOne(config.Validate());

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(certs.Client.Thumbprint, Assert.Single(server.Sessions).ClientCertificate?.Thumbprint);
        }

        [Theory]
        [InlineData(SslProtocols.Tls12)]
        [InlineData(SslProtocols.Tls13)]
        public async Task A_server_that_requires_a_client_certificate_refuses_a_client_without_one(SslProtocols protocol)
        {
            await using var server = TlsServer(certs.Server, requireClientCertificate: true, protocols: protocol);

            var result = SendOne(Config(server.Port, SmtpTlsMode.ImplicitTls, certs.CaPem));

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.NotNull(result.ErrorId);
            Assert.Contains("-ClientCertificatePath", result.Error);
            var session = Assert.Single(server.Sessions);
            Assert.Equal("the client sent no certificate", session.TlsFailure);
            AssertNothingSent(server);
        }

        [Fact]
        public async Task STARTTLS_that_is_not_offered_fails_before_MAIL_FROM_or_AUTH()
        {
            await using var server = new SmtpTestServer();
            var config = Config(server.Port, SmtpTlsMode.StartTls) with { UserName = "alice", Password = Secure(Secret) };

            var result = SendOne(config.Validate());

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("StartTlsNotOffered", result.ErrorId);
            Assert.Contains(server.Commands, c => c.Verb == "EHLO");
            Assert.DoesNotContain(server.Commands, c => c.Verb == "MAIL");
            Assert.DoesNotContain(server.Commands, c => c.Verb == "AUTH");
            Assert.Empty(server.Delivered);
        }

        [Fact]
        public async Task A_credential_is_never_sent_over_plaintext_unless_allowed()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { AuthMechanisms = "PLAIN LOGIN", Users = new Dictionary<string, string> { ["alice"] = Secret } });
            var config = Config(server.Port, SmtpTlsMode.None) with { UserName = "alice", Password = Secure(Secret) };

            // The configuration refuses it when made...
            var configError = Assert.Throws<SmtpHandlerException>(() => config.Validate());
            Assert.Equal("UnencryptedAuthenticationRefused", configError.ErrorId);

            // ...and the connection refuses it again, before any AUTH, if an unchecked one gets that far.
            var result = SendOne(config);
            Assert.Equal("UnencryptedAuthenticationRefused", result.ErrorId);
            Assert.DoesNotContain(Secret, result.Error);
            Assert.Equal(new[] { "EHLO" }, Assert.Single(server.Sessions).Verbs);

            var allowed = SendOne((config with { AllowUnencryptedAuthentication = true }).Validate());
            Assert.Equal(SmtpSendStatus.Sent, allowed.Status);
            var loggedIn = server.Sessions.Last();
            Assert.Equal("alice", loggedIn.AuthenticatedUser);
            Assert.False(loggedIn.Encrypted);
            Assert.Single(server.Delivered);
        }

        [Fact]
        public async Task A_credential_logs_in_after_STARTTLS()
        {
            await using var server = TlsServer(certs.Server, implicitTls: false, users: new Dictionary<string, string> { ["alice"] = Secret });
            var config = Config(server.Port, SmtpTlsMode.StartTls, certs.CaPem) with { UserName = "alice", Password = Secure(Secret) };

            var result = SendOne(config.Validate());

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            var session = Assert.Single(server.Sessions);
            Assert.True(session.Encrypted);
            Assert.Equal("alice", session.AuthenticatedUser);
            var verbs = session.Verbs.ToList();
            Assert.True(verbs.IndexOf("STARTTLS") < verbs.IndexOf("AUTH"));
        }
    }
}
