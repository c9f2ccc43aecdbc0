using System;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Where replies end and when they are too long, in bytes cut anywhere: no socket.</summary>
    public sealed class ReplyScannerTests
    {
        [Theory]
        [InlineData("220 ready\r\n", 1)]
        [InlineData("250-one\r\n250-two\r\n250 three\r\n", 1)]
        [InlineData("250-one\r\n250-two\r\n", 0)]
        [InlineData("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n", 3)]
        [InlineData("250\r\n", 1)]
        [InlineData("250 no line end yet", 0)]
        public void Counts_the_replies_completed_however_the_bytes_are_cut(string text, int replies)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            for (var size = 1; size <= bytes.Length; size++)
            {
                var scanner = new ReplyScanner();
                var completed = 0;
                for (var at = 0; at < bytes.Length; at += size)
                {
                    completed += scanner.Scan(bytes, at, Math.Min(size, bytes.Length - at), "mx.test:25");
                }

                Assert.Equal(replies, completed);
            }
        }

        [Fact]
        public void A_line_over_8_KB_is_refused_as_it_arrives()
        {
            var scanner = new ReplyScanner();
            var chunk = Encoding.ASCII.GetBytes("250 " + new string('z', 4000));
            scanner.Scan(chunk, 0, chunk.Length, "mx.test:25");
            scanner.Scan(chunk, 4, chunk.Length - 4, "mx.test:25");

            var ex = Assert.Throws<SmtpHandlerException>(() => scanner.Scan(chunk, 4, 200, "mx.test:25"));
            Assert.Equal("ReplyTooLong", ex.ErrorId);
            Assert.Equal(SmtpFailureKind.ProtocolError, ex.Kind);
            Assert.False(ex.Transient);
            Assert.Contains("a reply line longer than 8192 bytes", ex.Message);
            Assert.Contains("mx.test:25", ex.Message);
        }

        [Fact]
        public void A_reply_over_64_KB_is_refused_though_each_line_is_short_and_the_next_reply_starts_afresh()
        {
            var line = Encoding.ASCII.GetBytes("250-" + new string('x', 96) + "\r\n");
            var scanner = new ReplyScanner();
            for (var i = 0; i < ReplyScanner.MaxReplyBytes / line.Length; i++)
            {
                Assert.Equal(0, scanner.Scan(line, 0, line.Length, "mx.test:25"));
            }

            var last = Encoding.ASCII.GetBytes("250 end\r\n");
            Assert.Equal(1, scanner.Scan(last, 0, last.Length, "mx.test:25"));
            Assert.Equal(0, scanner.Scan(line, 0, line.Length, "mx.test:25"));

            var flood = Enumerable.Repeat(line, (ReplyScanner.MaxReplyBytes / line.Length) + 1).SelectMany(b => b).ToArray();
            var ex = Assert.Throws<SmtpHandlerException>(() => scanner.Scan(flood, 0, flood.Length, "mx.test:25"));
            Assert.Contains("a reply longer than 65536 bytes", ex.Message);
        }
    }
}
