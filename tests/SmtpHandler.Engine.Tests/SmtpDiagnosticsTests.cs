using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Text.RegularExpressions;
using Xunit;

namespace SmtpHandler.Tests
{
    public sealed class SmtpDiagnosticsTests
    {
        private static SmtpHandlerConfig ConfigFor(int port, double timeoutSeconds = 10) => new SmtpHandlerConfig
        {
            SmtpServer = "127.0.0.1",
            Port = port,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            LocalDomain = "client.test",
        }.Validate();

        [Fact]
        public void Parses_every_capability_of_an_ehlo_reply()
        {
            var capabilities = EhloCapabilities.Parse(new[]
            {
                "mail.example.test Hello", "PIPELINING", "SIZE 35882577", "8BITMIME", "AUTH=LOGIN", "AUTH PLAIN login XOAUTH2",
                "STARTTLS", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "CHUNKING",
            });

            Assert.Equal(new[] { "PIPELINING", "SIZE", "8BITMIME", "AUTH", "STARTTLS", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "CHUNKING" }, capabilities.Keywords);
            Assert.Equal(new[] { "LOGIN", "PLAIN", "XOAUTH2" }, capabilities.AuthenticationMechanisms);
            Assert.Equal(35882577, capabilities.MaxMessageSize);
            Assert.True(capabilities.StartTls && capabilities.Pipelining && capabilities.EightBitMime && capabilities.SmtpUtf8);
            Assert.True(capabilities.Chunking && capabilities.Dsn && capabilities.EnhancedStatusCodes);
            Assert.Null(EhloCapabilities.Parse(new[] { "x", "8BITMIME" }).MaxMessageSize);
            Assert.Equal(0, EhloCapabilities.Parse(new[] { "x", "SIZE" }).MaxMessageSize);
        }

        [Fact]
        public void Reads_the_subject_alternative_names_of_a_certificate()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=mail.example.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("mail.example.test");
            names.AddDnsName("*.example.test");
            names.AddIpAddress(IPAddress.Parse("192.0.2.7"));
            names.AddIpAddress(IPAddress.Parse("2001:db8::7"));
            names.AddEmailAddress("postmaster@example.test");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(20));

            var info = SmtpCertificateInfo.From(certificate, DateTime.Now);

            Assert.Equal(
                new[] { "DNS:mail.example.test", "DNS:*.example.test", "IP:192.0.2.7", "IP:2001:db8::7", "EMAIL:postmaster@example.test" },
                info.SubjectAlternativeNames);
            Assert.Equal(certificate.Thumbprint, info.Thumbprint);
            Assert.InRange(info.DaysUntilExpiry, 19, 20);
            Assert.True(info.IsSelfIssued);
        }

        [Fact]
        public async Task Checks_the_sender_and_each_recipient_then_resets_without_sending()
        {
            await using var server = new SmtpTestServer(new SmtpTestServerOptions { RejectRecipients = new Regex("^nobody") });
            var diagnostics = new SmtpDiagnostics(ConfigFor(server.Port)) { Envelope = new SmtpEnvelopeCheck("reports@example.test", new[] { "ann@example.test", "nobody@example.test" }) };

            var report = diagnostics.Run();

            Assert.Equal("reports@example.test", report.Sender!.Address);
            Assert.True(report.Sender.Accepted);
            Assert.Equal(new bool?[] { true, false }, report.Recipients.Select(r => r.Accepted));
            Assert.Equal(550, report.Recipients[1].ReplyCode);
            Assert.Equal("RecipientRejected", report.ErrorId);
            Assert.Contains("C: RSET", report.Transcript);
            Assert.DoesNotContain("C: DATA", report.Transcript);
            await Task.Delay(200);
            Assert.Empty(server.Delivered);
        }

        [Fact]
        public void Uses_the_null_sender_when_only_recipients_are_given_and_there_is_no_default()
        {
            using var server = new SmtpTestServer(ServerScript.At("EHLO", ServerAction.Reply("250 smtp.test")));
            var report = new SmtpDiagnostics(ConfigFor(server.Port)) { Envelope = new SmtpEnvelopeCheck(null, new[] { "ann@example.test" }) }.Run();

            Assert.True(report.Success, string.Join(" | ", report.Findings.Select(f => f.ToString())));
            Assert.Equal(string.Empty, report.Sender!.Address);
            Assert.Collection(
                server.Commands,
                c => Assert.Equal("EHLO", c.Verb),
                c => Assert.StartsWith("MAIL FROM:<>", c.Line),
                c => Assert.StartsWith("RCPT TO:<ann@example.test>", c.Line),
                c => Assert.Equal("RSET", c.Line),
                c => Assert.Equal("QUIT", c.Line));
        }

        [Fact]
        public void A_server_that_stops_answering_after_the_greeting_ends_within_the_timeout()
        {
            using var server = new SmtpTestServer(ServerScript.At("EHLO", ServerAction.Silence));
            var clock = Stopwatch.StartNew();

            var report = new SmtpDiagnostics(ConfigFor(server.Port, timeoutSeconds: 1.5)).Run();

            Assert.InRange(clock.Elapsed.TotalSeconds, 1.4, 4);
            Assert.Equal("ReplyTimedOut", report.ErrorId);
            Assert.Contains("EHLO", report.Findings[0].Message);
            Assert.Equal(220, report.BannerCode);
        }

        [Fact]
        public void Stops_at_once_when_cancelled_while_the_server_is_silent()
        {
            using var server = new SmtpTestServer(ServerScript.At("CONNECT", ServerAction.Silence));
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var clock = Stopwatch.StartNew();

            Assert.ThrowsAny<OperationCanceledException>(() => new SmtpDiagnostics(ConfigFor(server.Port, timeoutSeconds: 60)).Run(cancel.Token));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }

        [Fact]
        public void Reports_a_connection_dropped_after_ehlo()
        {
            using var server = new SmtpTestServer(ServerScript.At("EHLO", ServerAction.Drop));

            var report = new SmtpDiagnostics(ConfigFor(server.Port)).Run();

            Assert.Equal("ConnectionClosed", report.ErrorId);
            Assert.Contains("EHLO", report.Findings[0].Message);
        }

        [Fact]
        public void Reports_a_service_that_does_not_speak_smtp()
        {
            using var server = new SmtpTestServer(new SmtpTestServerOptions { Greeting = "SSH-2.0-OpenSSH_9.6" });

            var report = new SmtpDiagnostics(ConfigFor(server.Port)).Run();

            Assert.Equal("NotSmtp", report.ErrorId);
            Assert.Contains("SSH-2.0", report.Findings[0].Message);
        }

        [Fact]
        public void Refuses_to_go_on_when_data_follows_the_reply_to_starttls()
        {
            // STARTTLS offered without a certificate: the server never starts TLS, it only injects a line after its 220.
            using var server = new SmtpTestServer(new SmtpTestServerOptions
            {
                Script = c =>
                    c.Verb == "EHLO" ? ServerAction.Reply("250-smtp.test\r\n250 STARTTLS") :
                    c.Verb == "STARTTLS" ? ServerAction.Reply("220 Go ahead\r\n250-injected") :
                    null,
            });
            var config = ConfigFor(server.Port) with { TlsMode = SmtpTlsMode.StartTls };

            var report = new SmtpDiagnostics(config).Run();

            Assert.Equal("StartTlsResponseInjection", report.ErrorId);
            Assert.False(report.Encrypted);
        }

        [Fact]
        public void Refuses_starttls_that_is_not_offered()
        {
            using var server = new SmtpTestServer(ServerScript.At("EHLO", ServerAction.Reply("250-smtp.test\r\n250 8BITMIME")));
            var config = ConfigFor(server.Port) with { TlsMode = SmtpTlsMode.StartTls };

            var report = new SmtpDiagnostics(config).Run();

            Assert.Equal("StartTlsNotOffered", report.ErrorId);
            Assert.False(report.StartTlsOffered);
            Assert.Equal(new[] { "8BITMIME" }, report.CapabilitiesBeforeTls);
            Assert.Equal("QUIT", server.Commands[^1].Line);
        }
    }
}
