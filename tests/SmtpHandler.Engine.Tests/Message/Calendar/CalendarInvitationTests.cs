using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The iCalendar object of an invitation and its refusals, without a socket.</summary>
    public sealed class CalendarInvitationTests
    {
        private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
        private static readonly IReadOnlyList<MailboxAddress> NoOne = Array.Empty<MailboxAddress>();

        [Fact]
        public void Writes_a_request_in_utc_with_organizer_attendees_and_reminder()
        {
            var text = Create(Event(e => e.Reminder = TimeSpan.FromMinutes(15))).Text;
            var lines = Unfold(text);

            Assert.Equal("BEGIN:VCALENDAR", lines.First());
            Assert.Equal("END:VCALENDAR", lines.Last());
            Assert.Contains("METHOD:REQUEST", lines);
            Assert.Contains("UID:window-42@example.test", lines);
            Assert.Contains("SEQUENCE:0", lines);
            Assert.Contains("DTSTAMP:20261206T080000Z", lines);
            Assert.Contains("DTSTART:20261210T090000Z", lines);
            Assert.Contains("DTEND:20261210T100000Z", lines);
            Assert.Contains("SUMMARY:Maintenance\\; db01\\, db02", lines);
            Assert.Contains("ORGANIZER;CN=Ops Team:mailto:ops@example.test", lines);
            Assert.Contains("ATTENDEE;CN=Ann;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.test", lines);
            Assert.Contains("ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:cc@example.test", lines);
            Assert.Contains("STATUS:CONFIRMED", lines);
            Assert.Contains("TRIGGER:-PT15M", lines);
            Assert.DoesNotContain(lines, l => l.StartsWith("BEGIN:VTIMEZONE"));
            Assert.DoesNotContain("\n", text.Replace("\r\n", string.Empty));
        }

        [Fact]
        public void Writes_a_cancel_with_the_same_uid_a_higher_sequence_and_no_alarm()
        {
            var lines = Unfold(Create(Event(e =>
            {
                e.Method = SmtpCalendarMethod.Cancel;
                e.Reminder = TimeSpan.FromMinutes(15);
            })).Text);

            Assert.Contains("METHOD:CANCEL", lines);
            Assert.Contains("UID:window-42@example.test", lines);
            Assert.Contains("SEQUENCE:1", lines);
            Assert.Contains("STATUS:CANCELLED", lines);
            Assert.DoesNotContain("BEGIN:VALARM", lines);
        }

        [Fact]
        public void Lists_the_given_attendees_instead_of_the_recipients()
        {
            var lines = Unfold(Create(Event(e => e.Attendees = new[] { "Bob <bob@example.test>" })).Text);

            Assert.Single(lines, l => l.StartsWith("ATTENDEE"));
            Assert.Contains(lines, l => l.StartsWith("ATTENDEE;CN=Bob;") && l.EndsWith(":mailto:bob@example.test"));
        }

        [Fact]
        public void Writes_local_times_with_a_tzid_and_a_vtimezone_of_that_zone()
        {
            var berlin = CalendarTimeZone.Find(TimeZoneIds.Berlin, "CalendarEvent");
            var start = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.FromHours(2));
            var lines = Unfold(Create(Event(e =>
            {
                e.TimeZone = berlin;
                e.Start = start;
                e.End = start.AddHours(1);
            })).Text);

            Assert.Contains($"DTSTART;TZID={berlin.Id}:20260701T090000", lines);
            Assert.Contains($"DTEND;TZID={berlin.Id}:20260701T100000", lines);
            Assert.Contains($"TZID:{berlin.Id}", lines);

            // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
            var daylight = lines.IndexOf("BEGIN:DAYLIGHT");
            Assert.True(daylight > 0);
            Assert.Equal("DTSTART:20260329T020000", lines[daylight + 1]);
            Assert.Equal("TZOFFSETFROM:+0100", lines[daylight + 2]);
            Assert.Equal("TZOFFSETTO:+0200", lines[daylight + 3]);
            Assert.Contains("DTSTART:20261025T030000", lines);
        }

        [Fact]
        public void Finds_a_zone_by_its_iana_or_windows_id_on_dotnet_6_and_later()
        {
            Assert.Equal(TimeSpan.FromHours(1), CalendarTimeZone.Find("Europe/Berlin", "CalendarEvent").BaseUtcOffset);
            Assert.Equal(TimeSpan.FromHours(1), CalendarTimeZone.Find("W. Europe Standard Time", "CalendarEvent").BaseUtcOffset);
        }

        [Fact]
        public void Refuses_an_unknown_time_zone_naming_the_parameter()
        {
            var ex = Assert.Throws<SmtpHandlerException>(() => CalendarTimeZone.Find("Mars/Olympus_Mons", "CalendarEvent"));
            Assert.Equal("UnknownTimeZone", ex.ErrorId);
            Assert.Equal("CalendarEvent", ex.ParameterName);
        }

        [Fact]
        public void Writes_a_zone_without_daylight_time_as_one_standard_observance()
        {
            var tokyo = CalendarTimeZone.Find("Asia/Tokyo", "CalendarEvent");
            var lines = Unfold(Create(Event(e => e.TimeZone = tokyo)).Text);

            Assert.Single(lines, l => l == "BEGIN:STANDARD");
            Assert.DoesNotContain("BEGIN:DAYLIGHT", lines);
            Assert.Contains("TZOFFSETTO:+0900", lines);
            Assert.Contains($"DTSTART;TZID={tokyo.Id}:20261210T180000", lines);
        }

        [Theory]
        [InlineData("CalendarEventEndBeforeStart")]
        [InlineData("CalendarEventNoOrganizer")]
        [InlineData("CalendarEventCancelNeedsUid")]
        [InlineData("CalendarEventInvalidSequence")]
        [InlineData("CalendarEventInvalidReminder")]
        [InlineData("CalendarEventNoAttendees")]
        public void Refuses_what_cannot_make_an_invitation(string errorId)
        {
            var e = Event(_ => { });
            var to = new[] { MailboxAddress.Parse("ann@example.test") };
            switch (errorId)
            {
                case "CalendarEventEndBeforeStart": e.End = e.Start.AddMinutes(-1); break;
                case "CalendarEventNoOrganizer": e.Organizer = " "; break;
                case "CalendarEventCancelNeedsUid": e.Method = SmtpCalendarMethod.Cancel; e.Uid = null; break;
                case "CalendarEventInvalidSequence": e.Sequence = -1; break;
                case "CalendarEventInvalidReminder": e.Reminder = TimeSpan.FromMinutes(-5); break;
                case "CalendarEventNoAttendees": to = Array.Empty<MailboxAddress>(); break;
            }

            var ex = Assert.Throws<SmtpHandlerException>(() => CalendarInvitation.Create(e, "s", to, NoOne, requireAttendees: true, Now));
            Assert.Equal(errorId, ex.ErrorId);
            Assert.Equal("CalendarEvent", ex.ParameterName);
        }

        [Fact]
        public void Refuses_an_end_equal_to_the_start()
        {
            var e = Event(x => x.End = x.Start);
            var ex = Assert.Throws<SmtpHandlerException>(() => Create(e));
            Assert.Equal("CalendarEventEndBeforeStart", ex.ErrorId);
        }

        [Fact]
        public void Refuses_an_event_longer_than_five_years_before_writing_a_time_zone_for_each_year()
        {
            var berlin = CalendarTimeZone.Find(TimeZoneIds.Berlin, "CalendarEvent");
            var e = Event(x =>
            {
                x.TimeZone = berlin;
                x.End = x.Start.AddYears(100);
            });
            var ex = Assert.Throws<SmtpHandlerException>(() => Create(e));
            Assert.Equal("CalendarEventInvalidTime", ex.ErrorId);
            Assert.Equal("CalendarEvent", ex.ParameterName);
        }

        [Fact]
        public void Refuses_an_end_in_year_9999_far_from_the_start_with_an_error_of_its_own()
        {
            var e = Event(x => x.End = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero));
            var ex = Assert.Throws<SmtpHandlerException>(() => Create(e));
            Assert.Equal("CalendarEventInvalidTime", ex.ErrorId);
        }

        [Fact]
        public void Writes_an_event_in_year_9999_with_a_time_zone()
        {
            var berlin = CalendarTimeZone.Find(TimeZoneIds.Berlin, "CalendarEvent");
            var start = new DateTimeOffset(9999, 12, 30, 9, 0, 0, TimeSpan.Zero);
            var lines = Unfold(Create(Event(x =>
            {
                x.TimeZone = berlin;
                x.Start = start;
                x.End = start.AddHours(1);
            })).Text);
            Assert.Contains($"DTSTART;TZID={berlin.Id}:99991230T100000", lines);
        }

        [Fact]
        public void Writes_an_empty_summary_when_neither_summary_nor_subject_is_given()
        {
            var e = Event(x => x.Summary = null);
            var lines = Unfold(CalendarInvitation.Create(e, null, new[] { MailboxAddress.Parse("ann@example.test") }, NoOne, requireAttendees: true, Now).Text);
            Assert.Contains("SUMMARY:", lines);
        }

        [Theory]
        [InlineData(400, "PT0S")]
        [InlineData(600, "-PT1S")]
        [InlineData(90_400, "-PT1M30S")]
        public void Writes_a_reminder_under_a_second_or_with_a_fraction_in_whole_seconds(int milliseconds, string expected)
        {
            var lines = Unfold(Create(Event(x => x.Reminder = TimeSpan.FromMilliseconds(milliseconds))).Text);
            Assert.Contains("TRIGGER:" + expected, lines);
        }

        [Fact]
        public void Generates_a_uid_at_the_organizers_domain_when_none_is_given()
        {
            var invitation = Create(Event(e => e.Uid = null));
            Assert.EndsWith("@example.test", invitation.Uid);
            Assert.Contains("UID:" + invitation.Uid, Unfold(invitation.Text));
        }

        [Fact]
        public void Puts_the_calendar_beside_the_body_in_multipart_alternative_with_its_method()
        {
            var message = new SmtpMessage
            {
                From = "ops@example.test",
                To = { "Ann <ann@example.test>" },
                Subject = "Maintenance",
                TextBody = "See the invitation.",
                HtmlBody = "<p>See the invitation.</p>",
                CalendarEvent = Event(_ => { }),
            };
            var prepared = new SmtpMailer(new SmtpHandlerConfig()).Prepare(message);

            var alternative = Assert.IsType<MultipartAlternative>(prepared.Mime.Body);
            Assert.Equal(3, alternative.Count);
            var calendar = Assert.IsType<TextPart>(alternative[2]);
            Assert.True(calendar.ContentType.IsMimeType("text", "calendar"));
            Assert.Equal("REQUEST", calendar.ContentType.Parameters["method"]);
            Assert.Equal("utf-8", calendar.ContentType.Charset?.ToLowerInvariant());
            Assert.Contains("ATTENDEE;CN=Ann;", calendar.Text);
        }

        private static CalendarInvitation Create(SmtpCalendarEvent e) =>
            CalendarInvitation.Create(e, "Subject", new[] { MailboxAddress.Parse("Ann <ann@example.test>") }, new[] { MailboxAddress.Parse("cc@example.test") }, requireAttendees: true, Now);

        private static SmtpCalendarEvent Event(Action<SmtpCalendarEvent> change)
        {
            var e = new SmtpCalendarEvent
            {
                Summary = "Maintenance; db01, db02",
                Start = new DateTimeOffset(2026, 12, 10, 9, 0, 0, TimeSpan.Zero),
                End = new DateTimeOffset(2026, 12, 10, 10, 0, 0, TimeSpan.Zero),
                Organizer = "Ops Team <ops@example.test>",
                Uid = "window-42@example.test",
            };
            change(e);
            return e;
        }

        private static List<string> Unfold(string text) =>
            text.Replace("\r\n ", string.Empty).Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries).ToList();

        private static class TimeZoneIds
        {
            public const string Berlin = "Europe/Berlin";
        }
    }
}
