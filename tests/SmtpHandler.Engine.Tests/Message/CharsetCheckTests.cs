using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>A body the chosen charset can't hold is refused, naming the character and a charset that holds the whole body.</summary>
    public sealed class CharsetCheckTests
    {
        [Theory]
        [InlineData("Grüße", "us-ascii", "'ü' (U+00FC, at position 3)", "iso-8859-1")]
        [InlineData("Price: 5 € and 😀", "iso-8859-1", "'€' (U+20AC, at position 10)", "utf-8")]
        [InlineData("ok 😀", "iso-8859-1", "'😀' (U+1F600, at position 4)", "utf-8")]
        public void Names_the_first_character_and_a_charset_that_holds_the_body(string body, string charset, string named, string suggested)
        {
            var error = Assert.Throws<SmtpHandlerException>(() => CharsetCheck.Require(Encoding.GetEncoding(charset), body, "body"));
            Assert.Equal("UnencodableCharacter", error.ErrorId);
            Assert.Equal("Encoding", error.ParameterName);
            Assert.Contains(named, error.Message);
            Assert.Contains($"-Encoding {suggested}", error.Message);
        }

        [Theory]
        [InlineData("plain", "us-ascii")]
        [InlineData("Grüße", "iso-8859-1")]
        [InlineData("漢字 😀", "utf-8")]
        [InlineData("漢字 😀", "utf-16")]
        public void A_body_the_charset_holds_passes(string body, string charset) =>
            CharsetCheck.Require(Encoding.GetEncoding(charset), body, "body");
    }
}
