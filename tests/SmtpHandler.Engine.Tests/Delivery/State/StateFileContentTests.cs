using System;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Reading a state file: the last line about each recipient wins; a torn last line is dropped; anything else unreadable is an error.</summary>
    public sealed class StateFileContentTests
    {
        private const string Header = "{\"smtpHandlerState\":1,\"created\":\"2026-12-06T00:00:00Z\",\"from\":\"news@example.test\",\"sender\":null,\"subject\":\"Hello\",\"textBody\":null,\"htmlBody\":null,\"attachments\":[]}\n";

        [Fact]
        public void An_empty_file_has_no_header_and_no_records()
        {
            var content = StateFileContent.Parse(Array.Empty<byte>());

            Assert.Null(content.Fingerprint);
            Assert.Empty(content.Last);
            Assert.Equal(0, content.WholeLength);
        }

        [Fact]
        public void The_last_line_about_a_recipient_wins()
        {
            var text = Header + Line("ann@example.test", "Sending") + Line("ann@example.test", "Accepted", 250) + Line("bob@example.test", "Sending");

            var content = StateFileContent.Parse(Bytes(text));

            Assert.Equal("Hello", content.Fingerprint!.Subject);
            Assert.Equal(StateEntry.Accepted, content.Last[StateRecord.KeyOf("ann@example.test", 1)].Entry);
            Assert.Equal(250, content.Last[StateRecord.KeyOf("ann@example.test", 1)].Code);
            Assert.Equal(StateEntry.Sending, content.Last[StateRecord.KeyOf("bob@example.test", 1)].Entry);
            Assert.Equal(Bytes(text).Length, content.WholeLength);
        }

        [Fact]
        public void Addresses_are_matched_without_case_and_occurrences_apart()
        {
            var text = Header + Line("Ann@Example.Test", "Accepted", 250) + "{\"rcpt\":\"ann@example.test\",\"n\":2,\"status\":\"Sending\"}\n";

            var content = StateFileContent.Parse(Bytes(text));

            Assert.Equal(StateEntry.Accepted, content.Last[StateRecord.KeyOf("ANN@example.test", 1)].Entry);
            Assert.Equal(StateEntry.Sending, content.Last[StateRecord.KeyOf("ann@example.test", 2)].Entry);
        }

        [Theory]
        [InlineData("{\"at\":\"2026-12-06T00:00:00.000Z\",\"rcpt\":\"bob@exa")]
        [InlineData("{")]
        [InlineData("\u00ff")]
        public void A_torn_last_line_is_dropped_and_cut_off(string torn)
        {
            var whole = Header + Line("ann@example.test", "Accepted", 250);

            var content = StateFileContent.Parse(Bytes(whole + torn));

            Assert.Single(content.Last);
            Assert.Equal(Bytes(whole).Length, content.WholeLength);
            Assert.False(content.EndsWithoutNewline);
        }

        [Fact]
        public void A_whole_last_line_without_its_line_break_is_kept()
        {
            var text = Header + Line("ann@example.test", "Accepted", 250).TrimEnd('\n');

            var content = StateFileContent.Parse(Bytes(text));

            Assert.Equal(StateEntry.Accepted, content.Last[StateRecord.KeyOf("ann@example.test", 1)].Entry);
            Assert.True(content.EndsWithoutNewline);
        }

        [Theory]
        [InlineData("garbage\n", "line 1 is not a JSON object")]
        [InlineData("{\"rcpt\":\"ann@example.test\",\"status\":\"Accepted\"}\n", "line 1 comes before the header")]
        [InlineData(Header + "{\"rcpt\":\"ann@exa\n{\"rcpt\":\"bob@example.test\",\"status\":\"Accepted\"}\n", "line 2 is not a JSON object")]
        [InlineData(Header + "{\"rcpt\":\"ann@example.test\",\"status\":\"Delivered\"}\n", "line 2 is neither a header nor a recipient's record")]
        [InlineData(Header + "[1,2]\n", "line 2 is not a JSON object")]
        [InlineData("{\"smtpHandlerState\":2}\n", "another version of SmtpHandler")]
        public void Anything_else_unreadable_is_an_error_naming_the_line(string text, string expected)
        {
            var error = Assert.Throws<FormatException>(() => StateFileContent.Parse(Bytes(text)));

            Assert.Contains(expected, error.Message);
        }

        [Fact]
        public void A_later_header_replaces_the_earlier_one_and_blank_or_CRLF_lines_are_fine()
        {
            var text = Header + "\r\n" + Line("ann@example.test", "Accepted", 250).Replace("\n", "\r\n") + Header.Replace("Hello", "Hello again");

            var content = StateFileContent.Parse(Bytes("\uFEFF" + text));

            Assert.Equal("Hello again", content.Fingerprint!.Subject);
            Assert.Single(content.Last);
        }

        [Fact]
        public void Records_written_are_read_back_the_same_even_with_control_characters_in_a_reply()
        {
            var line = new StringBuilder();
            new StateRecord("ann@example.test", 3, StateEntry.Rejected, 550, "5.1.1 \"no\" \\ such\r\nuser\u2028").AppendJsonLine(line);

            var content = StateFileContent.Parse(Bytes(Header + line));

            Assert.EndsWith("}\n", line.ToString());
            Assert.Equal(1, line.ToString().Split('\n').Length - 1);
            var record = content.Last[StateRecord.KeyOf("ann@example.test", 3)];
            Assert.Equal(StateEntry.Rejected, record.Entry);
            Assert.Equal(550, record.Code);
            Assert.Equal("5.1.1 \"no\" \\ such\r\nuser\u2028", record.Reply);
        }

        private static string Line(string address, string status, int? code = null) =>
            $"{{\"at\":\"2026-12-06T00:00:00.000Z\",\"rcpt\":\"{address}\",\"status\":\"{status}\"{(code is int c ? $",\"code\":{c}" : string.Empty)}}}\n";

        private static byte[] Bytes(string text) => text == "\u00ff" || text.EndsWith("\u00ff", StringComparison.Ordinal)
            ? Concat(Encoding.UTF8.GetBytes(text.Substring(0, text.Length - 1)), new byte[] { 0xff })
            : Encoding.UTF8.GetBytes(text);

        private static byte[] Concat(byte[] a, byte[] b)
        {
            var all = new byte[a.Length + b.Length];
            a.CopyTo(all, 0);
            b.CopyTo(all, a.Length);
            return all;
        }
    }
}
