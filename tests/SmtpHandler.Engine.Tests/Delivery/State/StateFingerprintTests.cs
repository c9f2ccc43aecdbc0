using System;
using System.IO;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The header that makes a rerun the same mailing: what it holds, and how a difference is worded.</summary>
    public sealed class StateFingerprintTests
    {
        [Fact]
        public void The_same_message_has_no_differences_after_a_round_trip_through_its_header_line()
        {
            var now = StateFingerprint.Of(Message());
            var line = now.ToJsonLine(new DateTime(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc));

            var earlier = StateFingerprint.FromJson(JsonReader.TryParseObject(line.TrimEnd('\n'))!)!;

            Assert.Empty(now.DifferencesFrom(earlier));
            Assert.StartsWith("{\"smtpHandlerState\":1,\"created\":\"2026-12-06T00:00:00Z\"", line);
            Assert.DoesNotContain("The body", line);
        }

        [Fact]
        public void Names_what_differs_showing_sender_and_subject_but_not_the_bodies()
        {
            var earlier = StateFingerprint.Of(Message());
            var changed = Message();
            changed.Subject = "Other";
            changed.TextBody = "Another body";
            changed.From = "other@example.test";

            var differences = StateFingerprint.Of(changed).DifferencesFrom(earlier);

            Assert.Equal(
                new[] { "the sender (-From) ('news@example.test' then, 'other@example.test' now)", "the subject ('Hello {Name}' then, 'Other' now)", "the text body" },
                differences);
        }

        [Fact]
        public void Attachments_are_compared_by_name_and_size()
        {
            var path = Path.Combine(Path.GetTempPath(), $"fingerprint-{Guid.NewGuid():N}.txt");
            File.WriteAllText(path, "12345");
            try
            {
                var message = Message();
                message.Attachments.Add(new SmtpAttachment(path));
                var earlier = StateFingerprint.Of(message);
                File.WriteAllText(path, "1234567");

                var differences = StateFingerprint.Of(message).DifferencesFrom(earlier);

                var name = Path.GetFileName(path);
                Assert.Equal(new[] { $"the attachments ({name} (5 bytes) then, {name} (7 bytes) now)" }, differences);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void An_HTML_body_added_is_a_difference()
        {
            var earlier = StateFingerprint.Of(Message());
            var changed = Message();
            changed.HtmlBody = "<p>Hi</p>";

            Assert.Equal(new[] { "the HTML body" }, StateFingerprint.Of(changed).DifferencesFrom(earlier));
        }

        private static SmtpMessage Message() => new() { From = "news@example.test", Subject = "Hello {Name}", TextBody = "The body" };
    }
}
