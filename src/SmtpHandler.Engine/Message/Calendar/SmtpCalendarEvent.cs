using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>
    /// A calendar event sent as an iMIP invitation (RFC 6047): a text/calendar part next to the message's body.
    /// Plain .NET values; the engine checks them when the message is prepared, before any connection.
    /// </summary>
    public sealed class SmtpCalendarEvent
    {
        public SmtpCalendarMethod Method { get; set; } = SmtpCalendarMethod.Request;

        /// <summary>The event's title; the message's Subject when not given.</summary>
        public string? Summary { get; set; }

        public string? Description { get; set; }

        public string? Location { get; set; }

        /// <summary>When the event starts (an instant: the offset says where it is on the time line).</summary>
        public DateTimeOffset Start { get; set; }

        /// <summary>When the event ends; must be later than <see cref="Start"/>.</summary>
        public DateTimeOffset End { get; set; }

        /// <summary>
        /// The zone the times are written in (TZID with a VTIMEZONE); UTC when not given. The instants are the
        /// same either way: a zone lets a calendar show the event in the organizer's local time across DST changes.
        /// </summary>
        public TimeZoneInfo? TimeZone { get; set; }

        /// <summary>The organizer ("Name &lt;user@domain&gt;"); required.</summary>
        public string? Organizer { get; set; }

        /// <summary>Attendees; when null, the message's To (required) and Cc (optional participants). Bcc is never listed.</summary>
        public IList<string>? Attendees { get; set; }

        /// <summary>The event's identity: a later REQUEST or CANCEL with the same Uid updates or withdraws it. Generated when not given.</summary>
        public string? Uid { get; set; }

        /// <summary>The revision: 0 for a new event; each update or the cancellation must be higher. Default 0 for REQUEST, 1 for CANCEL.</summary>
        public int? Sequence { get; set; }

        /// <summary>A reminder this long before the start (a VALARM), when given.</summary>
        public TimeSpan? Reminder { get; set; }
    }
}
