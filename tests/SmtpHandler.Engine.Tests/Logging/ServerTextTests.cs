using System;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The filter every server text passes (control characters made visible, sent secrets masked), without a socket.</summary>
    public sealed class ServerTextTests
    {
        [Fact]
        public void Text_without_control_characters_or_secrets_is_returned_as_it_is()
        {
            var text = "550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown (ünïcödé kept)";

            Assert.Same(text, ServerText.Neutralise(text));
            Assert.Same(text, ServerText.Clean(text, null));
            Assert.Same(text, ServerText.Clean(text, new SentSecrets()));
        }

        [Theory]
        [InlineData("\u001b]0;pwned\u0007", @"\x1B]0;pwned\x07")]
        [InlineData("\u001b[2K\u001b[32maccepted\u001b[0m", @"\x1B[2K\x1B[32maccepted\x1B[0m")]
        [InlineData("a\u009b31mb\u0085c\u007fd", @"a\x9B31mb\x85c\x7Fd")]
        [InlineData("tab\there\rover", @"tab\x09here\x0Dover")]
        [InlineData("\u0000\u001f", @"\x00\x1F")]
        public void Control_characters_become_visible_hex_escapes(string text, string shown)
        {
            Assert.Equal(shown, ServerText.Neutralise(text));
        }

        [Fact]
        public void Line_breaks_between_reply_lines_become_spaces()
        {
            Assert.Equal("first line second line third", ServerText.Neutralise("first line\nsecond line\r\nthird"));
        }

        [Fact]
        public void A_password_is_masked_in_each_spelling_and_short_values_are_not_matched()
        {
            var secrets = new SentSecrets();
            secrets.AddSecret("p@ss word");
            secrets.AddSecret("ab");

            var text = $"535 p@ss word {Base64("p@ss word")} p%40ss%20word p%40ss+word ab";

            Assert.Equal("535 ******** ******** ******** ******** ab", secrets.Redact(text));
        }

        [Fact]
        public void A_sent_AUTH_line_is_masked_exactly_and_an_XOAUTH2_blob_gives_away_its_token()
        {
            var secrets = new SentSecrets();
            var plain = Base64("\0ann@example.test\0Quoted-pass");
            var xoauth2 = Base64("user=ann@example.test\u0001auth=Bearer tok-123456\u0001\u0001");
            secrets.AddSent(plain);
            secrets.AddSent(xoauth2 + "\r\n");

            Assert.Equal("535 ******** ********", secrets.Redact($"535 {plain} {xoauth2}"));
            Assert.Equal("bad token ********", secrets.Redact("bad token tok-123456"));
        }

        [Fact]
        public void Only_recent_AUTH_lines_are_kept_but_the_password_always_is()
        {
            var secrets = new SentSecrets();
            secrets.AddSecret("held-password");
            for (var i = 0; i < 500; i++)
            {
                secrets.AddSent(Base64($"user=ann@example.test\u0001auth=Bearer token-{i:D4}\u0001\u0001"));
            }

            Assert.InRange(secrets.Count, 1, 4 + 64);
            Assert.Equal("******** ********", secrets.Redact("held-password token-0499"));
            Assert.Equal("token-0001", secrets.Redact("token-0001"));
        }

        [Fact]
        public void Clean_masks_before_it_neutralises()
        {
            var secrets = new SentSecrets();
            secrets.AddSecret("s3cret-pass");

            Assert.Equal(@"535 \x1B[31m********", ServerText.Clean("535 \u001b[31ms3cret-pass", secrets));
        }

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }
}
