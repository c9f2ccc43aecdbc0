using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// An event checked and written as iCalendar (RFC 5545) for iMIP (RFC 6047): the VCALENDAR text, and the
    /// text/calendar; method=... part that goes next to the body in multipart/alternative, where Outlook and
    /// Gmail look for an invitation. Written once when the message is prepared, so every build is identical.
    /// </summary>
    internal sealed class CalendarInvitation
    {
        private const string Parameter = "CalendarEvent";
        private const int MaxUidLength = 255;

        private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(5 * 365 + 1);

        private CalendarInvitation(SmtpCalendarMethod method, string uid, string text)
        {
            Method = method == SmtpCalendarMethod.Cancel ? "CANCEL" : "REQUEST";
            Uid = uid;
            Text = text;
        }

        public string Method { get; }

        public string Uid { get; }

        /// <summary>The VCALENDAR object, CRLF line endings, folded.</summary>
        public string Text { get; }

        /// <summary>
        /// Checks the event and writes it. <paramref name="to"/> and <paramref name="cc"/> are the message's
        /// header recipients: the attendees when the event names none. Throws <see cref="SmtpHandlerException"/>
        /// (ParameterName CalendarEvent) for input that can't make a valid invitation.
        /// </summary>
        public static CalendarInvitation Create(SmtpCalendarEvent calendarEvent, string? subject, IReadOnlyList<MailboxAddress> to, IReadOnlyList<MailboxAddress> cc, bool requireAttendees, DateTimeOffset now)
        {
            var e = calendarEvent;
            if (e.End <= e.Start)
            {
                throw Invalid("CalendarEventEndBeforeStart", $"End ({e.End:u}) must be later than Start ({e.Start:u}).", e.End);
            }

            // No real meeting lasts longer; a longer span would also write a time zone rule for every year of it.
            if (e.End - e.Start > MaxDuration)
            {
                throw Invalid("CalendarEventInvalidTime", $"an event lasts at most {MaxDuration.TotalDays / 365:0} years; End ({e.End:u}) is {(e.End - e.Start).TotalDays:0} days after Start ({e.Start:u}).", e.End);
            }

            if (string.IsNullOrWhiteSpace(e.Organizer))
            {
                throw Invalid("CalendarEventNoOrganizer", $"an invitation needs an Organizer (RFC 5546): add Organizer = 'Name <user@domain>' to the event; replies go there.", e);
            }

            var organizer = MailAddressParser.Parse(e.Organizer, Parameter + " Organizer");
            var uid = string.IsNullOrWhiteSpace(e.Uid) ? NewUid(organizer) : e.Uid!.Trim();
            if (e.Method == SmtpCalendarMethod.Cancel && string.IsNullOrWhiteSpace(e.Uid))
            {
                throw Invalid("CalendarEventCancelNeedsUid", "a CANCEL withdraws the event of the same Uid: give the Uid of the invitation to cancel.", e);
            }

            if (uid.Length > MaxUidLength || uid.Any(char.IsControl))
            {
                throw Invalid("CalendarEventInvalidUid", $"the Uid must be one line of at most {MaxUidLength} characters.", e.Uid);
            }

            var sequence = e.Sequence ?? (e.Method == SmtpCalendarMethod.Cancel ? 1 : 0);
            if (sequence < 0)
            {
                throw Invalid("CalendarEventInvalidSequence", $"Sequence must be 0 or more, not {sequence}.", sequence);
            }

            if (e.Reminder is { } reminder && (reminder < TimeSpan.Zero || reminder > TimeSpan.FromDays(365)))
            {
                throw Invalid("CalendarEventInvalidReminder", $"Reminder is how long before the start to remind, between 0 and 365 days, not {reminder}.", reminder);
            }

            var attendees = e.Attendees != null
                ? e.Attendees.Select(a => (Mailbox: MailAddressParser.Parse(a, Parameter + " Attendees"), Role: "REQ-PARTICIPANT")).ToList()
                : to.Select(m => (Mailbox: m, Role: "REQ-PARTICIPANT")).Concat(cc.Select(m => (Mailbox: m, Role: "OPT-PARTICIPANT"))).ToList();
            if (attendees.Count == 0 && requireAttendees)
            {
                throw Invalid("CalendarEventNoAttendees", "an invitation needs attendees: give Attendees in the event, or -To/-Cc recipients (Bcc recipients are never listed).", e);
            }

            return new CalendarInvitation(e.Method, uid, Write(e, subject, organizer, attendees, uid, sequence, now));
        }

        /// <summary>
        /// The body with the invitation beside it: a text part becomes multipart/alternative with the calendar last
        /// (the richest alternative); an alternative gains it; a multipart/mixed gets it in its first part.
        /// </summary>
        public MimeEntity AddTo(MimeEntity body)
        {
            switch (body)
            {
                case MultipartAlternative alternative:
                    alternative.Add(CreatePart());
                    return alternative;
                case Multipart mixed when mixed.Count > 0 && mixed.ContentType.IsMimeType("multipart", "mixed"):
                    mixed[0] = AddTo(mixed[0]);
                    return mixed;
                default:
                    return new MultipartAlternative { body, CreatePart() };
            }
        }

        private TextPart CreatePart()
        {
            var part = new TextPart("calendar");
            part.ContentType.Parameters.Add("method", Method);
            part.SetText(new UTF8Encoding(false), Text);
            part.ContentType.Charset = "UTF-8";

            // Chosen now, not by the sender: a pickup file is written without MailKit's preparation.
            part.ContentTransferEncoding = part.GetBestEncoding(EncodingConstraint.SevenBit);
            return part;
        }

        private static string Write(SmtpCalendarEvent e, string? subject, MailboxAddress organizer, List<(MailboxAddress Mailbox, string Role)> attendees, string uid, int sequence, DateTimeOffset now)
        {
            var zone = e.TimeZone != null && !CalendarTimeZone.IsUtc(e.TimeZone) ? e.TimeZone : null;
            var lines = new List<string>
            {
                "BEGIN:VCALENDAR",
                "PRODID:-//SmtpHandler//Send-SmtpMessage//EN",
                "VERSION:2.0",
                "CALSCALE:GREGORIAN",
                "METHOD:" + (e.Method == SmtpCalendarMethod.Cancel ? "CANCEL" : "REQUEST"),
            };
            if (zone != null)
            {
                CalendarTimeZone.AppendVTimeZone(lines, zone, e.Start, e.End);
            }

            lines.Add("BEGIN:VEVENT");
            lines.Add("UID:" + CalendarText.Escape(uid));
            lines.Add("SEQUENCE:" + sequence);
            lines.Add("DTSTAMP:" + CalendarText.Utc(now));
            lines.Add(DateTimeLine("DTSTART", e.Start, zone));
            lines.Add(DateTimeLine("DTEND", e.End, zone));
            // RFC 5546 3.2.2: a REQUEST (and a CANCEL) must carry SUMMARY, so it is written even when empty.
            lines.Add("SUMMARY:" + CalendarText.Escape(e.Summary ?? subject ?? string.Empty));
            AddText(lines, "LOCATION", e.Location);
            AddText(lines, "DESCRIPTION", e.Description);
            lines.Add("ORGANIZER" + CommonName(organizer) + ":mailto:" + organizer.Address);
            foreach (var (mailbox, role) in attendees)
            {
                lines.Add("ATTENDEE" + CommonName(mailbox) + ";ROLE=" + role + ";PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:" + mailbox.Address);
            }

            lines.Add(e.Method == SmtpCalendarMethod.Cancel ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
            lines.Add("TRANSP:OPAQUE");
            if (e.Reminder is { } reminder && e.Method == SmtpCalendarMethod.Request)
            {
                lines.Add("BEGIN:VALARM");
                lines.Add("ACTION:DISPLAY");
                lines.Add("DESCRIPTION:" + CalendarText.Escape(e.Summary ?? subject ?? "Reminder"));
                lines.Add("TRIGGER:" + CalendarText.Before(reminder));
                lines.Add("END:VALARM");
            }

            lines.Add("END:VEVENT");
            lines.Add("END:VCALENDAR");
            var text = new StringBuilder();
            foreach (var line in lines)
            {
                ContentLineFolder.AppendFolded(text, line);
            }

            return text.ToString();
        }

        private static string DateTimeLine(string name, DateTimeOffset instant, TimeZoneInfo? zone) =>
            zone == null
                ? name + ":" + CalendarText.Utc(instant)
                : name + ";TZID=" + CalendarText.ParameterValue(zone.Id) + ":" + CalendarText.Local(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

        private static void AddText(List<string> lines, string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                lines.Add(name + ":" + CalendarText.Escape(value!));
            }
        }

        private static string CommonName(MailboxAddress mailbox) =>
            string.IsNullOrWhiteSpace(mailbox.Name) ? string.Empty : ";CN=" + CalendarText.ParameterValue(mailbox.Name!);

        private static string NewUid(MailboxAddress organizer) =>
            Guid.NewGuid().ToString("N") + "@" + (organizer.Domain is { Length: > 0 } domain ? domain : "localhost");

        private static SmtpHandlerException Invalid(string errorId, string why, object? target) =>
            new(errorId, SmtpFailureKind.InvalidArgument, $"-{Parameter}: {why}", target) { ParameterName = Parameter };
    }
}
