using System;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The header writer that replaces MimeKit's RFC 2047 encoder: encoded-words of at most 75 characters holding
    /// whole characters, lines folded at 78 where a fold can shorten them, and file names as RFC 2231 continuations
    /// that never cut a character. (The received message is judged by Python's email package in WireFormat.Tests.ps1.)
    /// </summary>
    public sealed class HeaderEncodingTests
    {
        private static readonly Regex EncodedWord = new(@"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=");

        [Fact]
        public void A_long_ascii_display_name_without_spaces_stays_within_998_octets()
        {
            // Quoted strings can't fold where they have no space: past a line's worth, the name goes as encoded-words.
            var name = string.Concat(Enumerable.Repeat("a.b", 400));
            var raw = Encoding.ASCII.GetString(HeaderEncoding.AddressList("To", new InternetAddress[] { new MailboxAddress(name, "ann@example.test") }));
            var lines = ("To:" + raw).Split(new[] { "\r\n", "\n" }, StringSplitOptions.None);
            Assert.All(lines, line => Assert.True(line.Length <= 998, $"line of {line.Length}"));
            Assert.All(EncodedWord.Matches(raw).Cast<Match>(), m => Assert.True(m.Length <= 75));
            var decoded = InternetAddressList.Parse(raw).Mailboxes.Single();
            Assert.Equal(name, decoded.Name);
        }

        [Fact]
        public void Stripping_8bit_addresses_reaches_into_groups()
        {
            // A stored message (replay) may carry a group in To; without SMTPUTF8 its non-ASCII member goes, the others stay.
            var raw = "From: ops@example.test\r\nTo: Team: jörg@example.test, ann@example.test;, Solo: zoë@example.test;\r\nCc: bob@example.test\r\nSubject: x\r\n\r\nbody\r\n";
            var mime = MimeMessage.Load(new System.IO.MemoryStream(Encoding.UTF8.GetBytes(raw)));

            SevenBitHeaders.Strip(mime);

            var to = Encoding.ASCII.GetString(mime.Headers.First(h => h.Id == HeaderId.To).RawValue);
            Assert.Equal("Team : ann@example.test;, Solo :;", to.Trim()); // FWS before ":" is allowed (RFC 5322 3.4)
            Assert.DoesNotContain(mime.Headers.SelectMany(h => h.RawValue), b => b > 127);
        }

        public static TheoryData<string> Texts() => new()
        {
            new string('ü', 120),
            string.Concat(Enumerable.Repeat("漢字のテスト、長い件名です。", 12)),
            string.Concat(Enumerable.Repeat("😀🎉👍🏽", 40)),
            string.Join(" ", Enumerable.Repeat("Überprüfung der Größenänderung", 8)),
            string.Concat(Enumerable.Repeat("Prüfbericht für Server 漢字 ✓ a plain ASCII stretch with words ", 9)).Substring(0, 499) + "!",
        };

        [Theory]
        [MemberData(nameof(Texts))]
        public void A_long_subject_has_encoded_words_of_at_most_75_characters_on_lines_of_at_most_78_that_MimeKit_decodes_back(string text)
        {
            var raw = Encoding.ASCII.GetString(HeaderEncoding.Unstructured("Subject", text));
            AssertLimits("Subject:" + raw);
            var header = new Header("Subject", "x");
            header.SetRawValue(Encoding.ASCII.GetBytes(raw));
            Assert.Equal(text, header.Value);
        }

        [Theory]
        [MemberData(nameof(Texts))]
        public void A_long_display_name_keeps_the_limits_and_reads_back(string text)
        {
            var raw = Encoding.UTF8.GetString(HeaderEncoding.AddressList("To", new InternetAddress[] { new MailboxAddress(text, "ann@example.test"), new MailboxAddress("Bob", "bob@example.test") }));
            AssertLimits("To:" + raw);
            var list = InternetAddressList.Parse(raw.Replace("\n", string.Empty));
            Assert.Equal(text, ((MailboxAddress)list[0]).Name);
            Assert.Equal("bob@example.test", ((MailboxAddress)list[1]).Address);
        }

        [Fact]
        public void MimeKit_by_itself_writes_longer_encoded_words_which_is_why_ours_is_used()
        {
            // If a MimeKit update fixes its encoder, this fails and the workaround can go.
            var mime = new MimeMessage { Subject = new string('ü', 120) };
            var stream = new System.IO.MemoryStream();
            mime.Headers.WriteTo(FormatOptions.Default, stream);
            var longest = EncodedWord.Matches(Encoding.ASCII.GetString(stream.ToArray())).Max(m => m.Length);
            Assert.True(longest > 75, $"MimeKit's longest encoded-word is {longest}");
        }

        [Fact]
        public void ASCII_words_stay_readable_and_one_that_looks_like_an_encoded_word_is_encoded()
        {
            var raw = Encoding.ASCII.GetString(HeaderEncoding.Unstructured("Subject", "Report for =?x?= and FS01"));
            Assert.StartsWith(" Report for =?utf-8?", raw);
            Assert.EndsWith(" and FS01\n", raw);
        }

        [Fact]
        public void A_display_name_with_specials_is_quoted_and_a_plain_one_is_not()
        {
            var raw = Encoding.ASCII.GetString(HeaderEncoding.AddressList("From", new InternetAddress[] { new MailboxAddress("Smith, J.", "j@example.test"), new MailboxAddress("Ops Team", "ops@example.test") }));
            Assert.Equal(" \"Smith, J.\" <j@example.test>, Ops Team <ops@example.test>\n", raw);
        }

        [Fact]
        public void An_emoji_file_name_is_cut_between_characters_only()
        {
            var name = string.Concat(Enumerable.Repeat("😀", 12)) + ".txt";
            var raw = FileNameParameter.Continuations("attachment", "filename", name);
            foreach (var line in raw.Split('\n'))
            {
                Assert.True(line.Length <= 78, line);
                Assert.DoesNotContain("%EF%BF%BD", line); // U+FFFD: half a character
            }

            var disposition = ContentDisposition.Parse(raw.Replace("\n", string.Empty).Trim());
            Assert.Equal(name, disposition.FileName);
        }

        private static void AssertLimits(string header)
        {
            foreach (var line in header.TrimEnd('\n').Split('\n'))
            {
                foreach (Match word in EncodedWord.Matches(line))
                {
                    Assert.True(word.Length <= 75, $"encoded-word of {word.Length}: {word.Value}");
                }

                Assert.True(line.Length <= 78, $"line of {line.Length}: {line}");
            }
        }
    }
}
