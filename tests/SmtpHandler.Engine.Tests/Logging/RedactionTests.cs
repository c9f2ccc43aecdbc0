using System;
using System.Collections.Generic;
using System.Text;
using MailKit;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>AUTH secrets in the protocol log get the one fixed mask, so that not even their length shows.</summary>
    public sealed class RedactionTests
    {
        private sealed class CapturingLog : ISmtpLog
        {
            public List<string> Lines { get; } = new();

            public bool IsProtocolEnabled => true;

            public void Step(string text) => Lines.Add(text);

            public void Protocol(string line) => Lines.Add(line);
        }

        /// <summary>Marks everything after "AUTH PLAIN " up to the line end, as MailKit's detector does for the initial response.</summary>
        private sealed class InitialResponseDetector : IAuthenticationSecretDetector
        {
            public IList<AuthenticationSecret> DetectSecrets(byte[] buffer, int offset, int count)
            {
                var text = Encoding.ASCII.GetString(buffer, offset, count);
                var at = text.IndexOf("AUTH PLAIN ", StringComparison.Ordinal);
                if (at < 0)
                {
                    return Array.Empty<AuthenticationSecret>();
                }

                var start = at + "AUTH PLAIN ".Length;
                return new[] { new AuthenticationSecret(offset + start, text.IndexOf('\r', start) - start) };
            }
        }

        private static string LoggedAuthLine(string secret)
        {
            var log = new CapturingLog();
            var logger = new ProtocolHook(log) { AuthenticationSecretDetector = new InitialResponseDetector() };
            logger.LogConnect(new Uri("smtp://127.0.0.1:25"));
            var bytes = Encoding.ASCII.GetBytes("....AUTH PLAIN " + secret + "\r\n");
            logger.LogClient(bytes, 4, bytes.Length - 4);
            return Assert.Single(log.Lines, l => l.StartsWith("C: ", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("AGE=")]
        [InlineData("AGFubgBhIHZlcnkgbG9uZyBwYXNzd29yZCB0aGF0IHdvdWxkIHNob3cgaXRzIGxlbmd0aA==")]
        public void Masks_an_AUTH_secret_with_the_fixed_mask_whatever_its_length(string secret)
        {
            var line = LoggedAuthLine(secret);

            Assert.Equal("C: AUTH PLAIN " + SecretRedactor.Mask, line);
            Assert.DoesNotContain(secret, line);
        }

        [Fact]
        public void Masks_each_secret_range_of_a_buffer_and_keeps_the_rest()
        {
            var bytes = Encoding.ASCII.GetBytes("xxone SECRET two TOKEN three");
            var secrets = new[] { new AuthenticationSecret(6, 6), new AuthenticationSecret(17, 5) };

            Assert.Equal("one ******** two ******** three", SecretRedactor.Redact(bytes, 2, bytes.Length - 2, secrets));
            Assert.Equal("one SECRET two TOKEN three", SecretRedactor.Redact(bytes, 2, bytes.Length - 2, null));
        }
    }
}
