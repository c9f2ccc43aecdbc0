using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Send-SmtpMessage's calendar invitation (-CalendarEvent): an iMIP text/calendar part beside the body.</summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>
        /// An event as a hashtable or object: Summary, Start, End, TimeZone, Location, Description, Organizer,
        /// Attendees, Uid, Sequence, Method (REQUEST or CANCEL), Reminder.
        /// </summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNull]
        public object? CalendarEvent { get; set; }

        /// <summary>The event, checked and converted once for every message of the call; null without -CalendarEvent.</summary>
        private SmtpCalendarEvent? GivenCalendarEvent()
        {
            if (CalendarEvent == null)
            {
                return null;
            }

            var calendarEvent = Try(() => CalendarEventBinder.Bind(CalendarEvent));

            // One Uid for the whole call (every -Individual message invites to the same event), said so that a
            // later update or CANCEL can name it.
            if (string.IsNullOrWhiteSpace(calendarEvent.Uid) && calendarEvent.Method == SmtpCalendarMethod.Request)
            {
                calendarEvent.Uid = System.Guid.NewGuid().ToString("N") + "@" + UidDomain(calendarEvent.Organizer);
                WriteVerbose($"The calendar event's Uid is {calendarEvent.Uid}: give it as Uid to update or cancel the event.");
            }

            return calendarEvent;
        }

        private static string UidDomain(string? organizer)
        {
            var at = organizer?.LastIndexOf('@') ?? -1;
            var domain = at >= 0 ? organizer!.Substring(at + 1).TrimEnd('>', ' ') : string.Empty;
            return domain.Length > 0 && domain.IndexOfAny(new[] { ' ', '<', '>', '\r', '\n' }) < 0 ? domain : "localhost";
        }
    }
}
