using System;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>RFC 5545 value formats and line folding, without a socket.</summary>
    public sealed class CalendarTextTests
    {
        [Theory]
        [InlineData("plain", "plain")]
        [InlineData(@"a\b", @"a\\b")]
        [InlineData("a;b,c", @"a\;b\,c")]
        [InlineData("line1\r\nline2\nline3\rline4", @"line1\nline2\nline3\nline4")]
        [InlineData("tab\tkept, bell\u0007 dropped", "tab\tkept\\, bell dropped")]
        [InlineData("colon: stays", "colon: stays")]
        public void Escapes_text_as_RFC_5545_says(string text, string expected) =>
            Assert.Equal(expected, CalendarText.Escape(text));

        [Theory]
        [InlineData("Ann Example", "Ann Example")]
        [InlineData("Example, Ann", "\"Example, Ann\"")]
        [InlineData("say \"hi\"", "say 'hi'")]
        [InlineData("a:b", "\"a:b\"")]
        public void Quotes_a_parameter_value_only_when_it_must(string value, string expected) =>
            Assert.Equal(expected, CalendarText.ParameterValue(value));

        [Theory]
        [InlineData(15, "-PT15M")]
        [InlineData(90, "-PT1H30M")]
        [InlineData(60, "-PT1H")]
        [InlineData(1440, "-P1D")]
        [InlineData(1530, "-P1DT1H30M")]
        [InlineData(0, "PT0S")]
        public void Writes_a_reminder_as_a_duration_before_the_start(int minutes, string expected) =>
            Assert.Equal(expected, CalendarText.Before(TimeSpan.FromMinutes(minutes)));

        [Fact]
        public void Writes_hours_and_seconds_with_the_minutes_between_them() =>
            Assert.Equal("-PT1H0M5S", CalendarText.Before(new TimeSpan(1, 0, 5)));

        [Theory]
        [InlineData(60, "+0100")]
        [InlineData(-210, "-0330")]
        [InlineData(0, "+0000")]
        [InlineData(345, "+0545")]
        public void Writes_utc_offsets(int minutes, string expected) =>
            Assert.Equal(expected, CalendarText.Offset(TimeSpan.FromMinutes(minutes)));

        [Fact]
        public void Writes_an_instant_in_utc_whatever_its_offset() =>
            Assert.Equal("20261210T090000Z", CalendarText.Utc(new DateTimeOffset(2026, 12, 10, 10, 0, 0, TimeSpan.FromHours(1))));

        [Fact]
        public void Leaves_a_short_line_alone()
        {
            var output = new StringBuilder();
            ContentLineFolder.AppendFolded(output, "SUMMARY:short");
            Assert.Equal("SUMMARY:short\r\n", output.ToString());
        }

        [Fact]
        public void Folds_at_75_octets_and_unfolds_to_the_same_line()
        {
            var line = "DESCRIPTION:" + new string('x', 200);
            var output = new StringBuilder();
            ContentLineFolder.AppendFolded(output, line);

            var physical = output.ToString().Split(new[] { "\r\n" }, StringSplitOptions.None).Where(l => l.Length > 0).ToList();
            Assert.Equal(75, Encoding.UTF8.GetByteCount(physical[0]));
            Assert.All(physical, l => Assert.True(Encoding.UTF8.GetByteCount(l) <= 75));
            Assert.All(physical.Skip(1), l => Assert.StartsWith(" ", l));
            Assert.Equal(line, Unfold(output.ToString()));
        }

        [Theory]
        [InlineData("é")] // 2 octets
        [InlineData("€")] // 3 octets
        [InlineData("😀")] // 4 octets, a surrogate pair
        public void Never_splits_a_utf8_sequence(string character)
        {
            foreach (var prefix in Enumerable.Range(0, 4))
            {
                var line = "SUMMARY:" + new string('a', prefix) + string.Concat(Enumerable.Repeat(character, 60));
                var output = new StringBuilder();
                ContentLineFolder.AppendFolded(output, line);
                var bytes = Encoding.UTF8.GetBytes(output.ToString());

                // Each physical line, as bytes, must decode on its own: no sequence cut at a fold.
                var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
                var start = 0;
                for (var i = 0; i + 1 < bytes.Length; i++)
                {
                    if (bytes[i] == '\r' && bytes[i + 1] == '\n')
                    {
                        Assert.True(i - start <= 75, $"a line of {i - start} octets");
                        strict.GetString(bytes, start, i - start);
                        start = i + 2;
                    }
                }

                Assert.Equal(line, Unfold(output.ToString()));
            }
        }

        private static string Unfold(string folded) => folded.Replace("\r\n ", string.Empty).TrimEnd('\r', '\n');
    }
}
