using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// A hostile token endpoint: it echoes the request it got (so the client secret or the signed assertion comes
    /// back in the error text, in the spelling it travelled in), or redirects the POST to another https address.
    /// </summary>
    public sealed class TokenEndpointHardeningTests : IClassFixture<OAuthTestCertificates>
    {
        // Spaces and the characters the form encoders disagree on ('~', '!', '*', '(', ')', '\''), and a non-ASCII one.
        private const string SecretWithSpaces = "Entra secret~8Q with spaces!*(x)'é 9f";
        private const string PlainSecret = "kT9~QmZ2vX8pL4rN6sW1yB3dF5hJ7cG0aE2u";

        private readonly OAuthTestCertificates certificates;

        public TokenEndpointHardeningTests(OAuthTestCertificates certificates)
        {
            this.certificates = certificates;
        }

        public static IEnumerable<object[]> Secrets => new[] { new object[] { PlainSecret }, new object[] { SecretWithSpaces } };

        [Theory]
        [MemberData(nameof(Secrets))]
        public void An_echoed_body_cut_at_300_characters_shows_no_part_of_the_secret_in_any_spelling(string secret)
        {
            // The body is cut at 300 characters: pad it so that the echoed secret straddles the cut.
            using var endpoint = Echoing(certificates.Server, raw => Echo(400, "text/plain", Straddling300(raw, "client_secret")));
            using var source = SecretSource(secret, endpoint.Url);
            var log = new CapturingLog();

            var error = Assert.Throws<SmtpHandlerException>(() => source.GetToken(log, CancellationToken.None));

            Assert.Equal("TokenEndpointRefused", error.ErrorId);
            AssertNoPartOf(WireSpellings(secret, Assert.Single(endpoint.RawBodies)), error.Message, log.Lines);
        }

        [Theory]
        [MemberData(nameof(Secrets))]
        public void An_error_description_that_quotes_the_secret_is_redacted_before_it_is_cut(string secret)
        {
            using var endpoint = Echoing(certificates.Server, raw => Echo(401, "application/json", "{\"error\":\"invalid_client\",\"error_description\":\"" + new string('y', 280) + " you sent " + raw + "\"}"));
            using var source = SecretSource(secret, endpoint.Url);

            var error = Assert.Throws<SmtpHandlerException>(() => source.GetToken(NullSmtpLog.Instance, CancellationToken.None));

            Assert.Equal("TokenEndpointRefused", error.ErrorId);
            Assert.Contains("invalid_client", error.Message);
            AssertNoPartOf(WireSpellings(secret, Assert.Single(endpoint.RawBodies)), error.Message, Array.Empty<string>());
        }

        [Fact]
        public void An_echoed_client_assertion_shows_no_part_of_it()
        {
            using var endpoint = Echoing(certificates.Server, raw => Echo(400, "text/plain", Straddling300(raw, "client_assertion")));
            using var source = new ClientCredentialsTokenSource(
                null, "app-client-id", certificatePath: certificates.AppPfxPath, certificatePassword: certificates.AppSecurePassword,
                tokenEndpoint: endpoint.Url, trustedCertificatePaths: new[] { certificates.ServerPemPath });
            var log = new CapturingLog();

            var error = Assert.Throws<SmtpHandlerException>(() => source.GetToken(log, CancellationToken.None));

            var raw = Assert.Single(endpoint.RawBodies);
            var assertion = FormField(raw, "client_assertion");
            Assert.Equal(3, assertion.Split('.').Length);
            AssertNoPartOf(new[] { assertion }, error.Message, log.Lines);
        }

        [Theory]
        [InlineData(307)]
        [InlineData(308)]
        [InlineData(301)]
        [InlineData(302)]
        [InlineData(303)]
        public void A_redirect_is_an_error_naming_where_it_pointed_and_the_secret_is_never_posted_there(int status)
        {
            using var elsewhere = new TestTokenEndpoint(certificates.Server, "elsewhere.test");
            using var endpoint = Echoing(certificates.Server, _ =>
                $"HTTP/1.1 {status} Moved\r\nLocation: {elsewhere.Url.AbsoluteUri}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            using var source = SecretSource(PlainSecret, endpoint.Url);

            var error = Assert.Throws<SmtpHandlerException>(() => source.GetToken(NullSmtpLog.Instance, CancellationToken.None));

            Assert.Equal("TokenEndpointRedirected", error.ErrorId);
            Assert.Contains(elsewhere.Url.AbsoluteUri, error.Message);
            Assert.Contains($"HTTP {status}", error.Message);
            Assert.False(error.Transient);
            Assert.Single(endpoint.RawBodies);
            Assert.Empty(elsewhere.Requests);
            Assert.Equal(0, source.TokensRequested);
        }

        [Theory]
        [MemberData(nameof(Secrets))]
        public async Task The_redactor_knows_the_spelling_an_HTTP_form_gives_a_secret(string secret)
        {
            var form = await new FormUrlEncodedContent(new[] { new KeyValuePair<string, string>("client_secret", secret) }).ReadAsStringAsync();
            var sent = form.Substring("client_secret=".Length);

            Assert.Contains(sent, SecretRedactor.Spellings(secret));
            Assert.Equal("[" + SecretRedactor.Mask + "]", SecretRedactor.Redact("[" + sent + "]", secret));
            Assert.Equal("[" + SecretRedactor.Mask + "]", SecretRedactor.Redact("[" + LowerCaseEscapes(sent) + "]", secret));
        }

        private ClientCredentialsTokenSource SecretSource(string secret, Uri endpoint) => new(
            "contoso.test", "11111111-2222-3333-4444-555555555555", clientSecret: new NetworkCredential(string.Empty, secret).SecurePassword,
            tokenEndpoint: endpoint, trustedCertificatePaths: new[] { certificates.ServerPemPath }, timeout: TimeSpan.FromSeconds(10));

        /// <summary>The raw request body after padding that puts the value of <paramref name="field"/> across the 300th character.</summary>
        private static string Straddling300(string raw, string field) =>
            new string('x', 290 - raw.IndexOf(field + "=", StringComparison.Ordinal) - field.Length - 1) + raw;

        private static string Echo(int status, string contentType, string body)
        {
            var bytes = Encoding.UTF8.GetByteCount(body);
            return $"HTTP/1.1 {status} Error\r\nContent-Type: {contentType}; charset=utf-8\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n{body}";
        }

        /// <summary>The secret as it may come back: as is, and exactly as it was on the wire (from the request body the endpoint got).</summary>
        private static IEnumerable<string> WireSpellings(string secret, string rawBody) => new[]
        {
            secret,
            FormField(rawBody, "client_secret"),
            Uri.EscapeDataString(secret),
            Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)),
        };

        private static string FormField(string rawBody, string name) =>
            rawBody.Split('&').Select(pair => pair.Split('=')).Single(pair => pair[0] == name)[1];

        private static string LowerCaseEscapes(string text)
        {
            var builder = new StringBuilder(text);
            for (var i = 0; i + 2 < builder.Length; i++)
            {
                if (builder[i] == '%')
                {
                    builder[i + 1] = char.ToLowerInvariant(builder[i + 1]);
                    builder[i + 2] = char.ToLowerInvariant(builder[i + 2]);
                }
            }

            return builder.ToString();
        }

        /// <summary>No run of 8 characters of any spelling appears: a cut secret is still a leak.</summary>
        private static void AssertNoPartOf(IEnumerable<string> spellings, string message, IEnumerable<string> logLines)
        {
            var texts = new[] { message }.Concat(logLines).ToList();
            foreach (var spelling in spellings.Distinct())
            {
                Assert.True(spelling.Length >= 8, spelling);
                for (var start = 0; start + 8 <= spelling.Length; start++)
                {
                    var part = spelling.Substring(start, 8);
                    foreach (var text in texts)
                    {
                        Assert.False(text.Contains(part, StringComparison.Ordinal), $"'{part}' of '{spelling}' shows in: {text}");
                    }
                }
            }
        }

        private sealed class CapturingLog : ISmtpLog
        {
            public List<string> Lines { get; } = new();

            public bool IsProtocolEnabled => true;

            public void Step(string text) => Lines.Add(text);

            public void Protocol(string line) => Lines.Add(line);
        }

        /// <summary>The shared test endpoint, answering each request with the whole HTTP response <paramref name="respond"/> makes of its raw body.</summary>
        private static TestTokenEndpoint Echoing(X509Certificate2 certificate, Func<string, string> respond) =>
            new(certificate) { RespondRaw = respond };
    }
}
