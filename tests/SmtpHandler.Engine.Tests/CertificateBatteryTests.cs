using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Battery, certificates (issue 9): whatever else a configuration says, an expired, wrong-name or untrusted
    /// server certificate fails the connection before anything is sent. TlsConnectionTests shows each refusal
    /// with its reason; this tries seeded random combinations of every other setting against each, over implicit
    /// TLS and STARTTLS, and checks on the scripted server's side that nothing came after the handshake.
    /// </summary>
    public sealed class CertificateBatteryTests : IClassFixture<TestCertificates>
    {
        private readonly TestCertificates certs;

        public CertificateBatteryTests(TestCertificates certs) => this.certs = certs;

        public static IEnumerable<object[]> BadCertificates() => new[] { "Expired", "WrongName", "Untrusted" }.Select(c => new object[] { c });

        [Theory]
        [MemberData(nameof(BadCertificates))]
        public async Task No_combination_of_settings_gets_past_a_bad_certificate_seeded_40(string kind)
        {
            var certificate = kind switch
            {
                "Expired" => certs.Expired,
                "WrongName" => certs.WrongName,
                _ => certs.Server,
            };

            // What a bad certificate is trusted under: its CA (expired, wrong name), or only the system store and
            // unrelated files (untrusted).
            var trustChoices = kind == "Untrusted"
                ? new[] { Array.Empty<string>(), new[] { certs.SelfSignedPem }, new[] { certs.ClientPem } }
                : new[] { new[] { certs.CaPem }, new[] { certs.CaPem, certs.SelfSignedPem }, new[] { certs.BundlePem } };
            var random = new Random(kind == "Expired" ? 101 : kind == "WrongName" ? 202 : 303);
            await using var implicitServer = Server(certificate, implicitTls: true);
            await using var startTlsServer = Server(certificate, implicitTls: false);

            for (var i = 0; i < 40; i++)
            {
                var implicitTls = random.Next(2) == 0;
                var server = implicitTls ? implicitServer : startTlsServer;
                var config = new SmtpHandlerConfig
                {
                    SmtpServer = random.Next(2) == 0 ? "127.0.0.1" : "localhost",
                    Port = server.Port,
                    TlsMode = implicitTls ? SmtpTlsMode.ImplicitTls : SmtpTlsMode.StartTls,
                    TrustedCertificatePaths = trustChoices[random.Next(trustChoices.Length)],
                    CheckCertificateRevocation = random.Next(2) == 0,
                    TlsProtocol = (SmtpTlsVersion)random.Next(3),
                    AllowUnencryptedAuthentication = random.Next(2) == 0,
                    LocalDomain = random.Next(3) switch { 0 => null, 1 => "localhost", _ => "wrong.example.test" },
                    UserName = random.Next(2) == 0 ? null : "mailer@example.test",
                    ClientCertificatePath = random.Next(3) == 0 ? certs.ClientPfx : null,
                    RetryCount = random.Next(0, 2),
                    RetryDelay = TimeSpan.Zero,
                    Timeout = TimeSpan.FromSeconds(10),
                };
                config = config with
                {
                    Password = config.UserName == null ? null : new NetworkCredential(string.Empty, "secret").SecurePassword,
                    ClientCertificatePassword = config.ClientCertificatePath == null ? null : new NetworkCredential(string.Empty, certs.ClientPassword).SecurePassword,
                };
                var what = $"{kind} case {i}: {(implicitTls ? "implicit TLS" : "STARTTLS")} to {config.SmtpServer}, trusting [{string.Join(", ", config.TrustedCertificatePaths.Select(System.IO.Path.GetFileName))}], " +
                           $"revocation {config.CheckCertificateRevocation}, {config.TlsProtocol}, allow-unencrypted {config.AllowUnencryptedAuthentication}, EHLO {config.LocalDomain}, " +
                           $"login {config.UserName != null}, client certificate {config.ClientCertificatePath != null}";

                var mailer = new SmtpMailer(config.Validate());
                var result = mailer.Send(new[] { mailer.Prepare(new SmtpMessage { From = "reports@example.test", To = new[] { "ann@example.test" }, Subject = what, TextBody = "x" }) }).Single();

                Assert.True(result.Status == SmtpSendStatus.Failed, $"{what}: {result.Status}");
                Assert.True(result.ErrorId == "CertificateUntrusted", $"{what}: {result.ErrorId} {result.Error}");
                Assert.Equal(SmtpRecipientStatus.NotAttempted, Assert.Single(result.Recipients).Status);
            }

            // Not one command came after the handshake (the server may finish its side of it before the client
            // refuses the certificate), and no message was taken.
            Assert.NotEmpty(implicitServer.Sessions);
            Assert.All(implicitServer.Sessions, s => Assert.Empty(s.Commands));
            Assert.NotEmpty(startTlsServer.Sessions);
            Assert.All(startTlsServer.Sessions, s => Assert.Equal(new[] { "EHLO", "STARTTLS" }, s.Verbs));
            Assert.Empty(implicitServer.Delivered);
            Assert.Empty(startTlsServer.Delivered);
        }

        [Fact]
        public async Task The_same_servers_take_the_message_with_a_good_certificate_so_the_refusals_above_are_about_the_certificate()
        {
            foreach (var implicitTls in new[] { true, false })
            {
                await using var server = Server(certs.Server, implicitTls);
                var config = new SmtpHandlerConfig
                {
                    SmtpServer = "localhost",
                    Port = server.Port,
                    TlsMode = implicitTls ? SmtpTlsMode.ImplicitTls : SmtpTlsMode.StartTls,
                    TrustedCertificatePaths = new[] { certs.CaPem },
                    RetryCount = 0,
                    Timeout = TimeSpan.FromSeconds(10),
                }.Validate();
                var mailer = new SmtpMailer(config);

                var result = mailer.Send(new[] { mailer.Prepare(new SmtpMessage { From = "reports@example.test", To = new[] { "ann@example.test" }, Subject = "Good", TextBody = "x" }) }).Single();

                Assert.Equal(SmtpSendStatus.Sent, result.Status);
                Assert.True(Assert.Single(server.Sessions).Encrypted);
                Assert.Single(server.Delivered);
            }
        }

        private static SmtpTestServer Server(X509Certificate2 certificate, bool implicitTls) => new(new SmtpTestServerOptions
        {
            Certificate = TestCertificates.ForServer(certificate),
            ImplicitTls = implicitTls,
            AuthMechanisms = "PLAIN LOGIN",
            Users = new Dictionary<string, string> { ["mailer@example.test"] = "secret" },
        });
    }
}
