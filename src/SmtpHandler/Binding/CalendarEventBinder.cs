using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// -CalendarEvent's hashtable or object as the engine's <see cref="SmtpCalendarEvent"/>: each key checked and
    /// converted here, in PowerShell's terms (DateTime kinds, TimeZoneInfo or an id, minutes or a TimeSpan), so a
    /// mistake stops the cmdlet before it connects.
    /// </summary>
    internal static class CalendarEventBinder
    {
        private const string Parameter = "CalendarEvent";

        /// <summary>The keys an event may have, in the order help lists them.</summary>
        public static readonly string[] Keys =
        {
            "Summary", "Start", "End", "TimeZone", "Location", "Description", "Organizer", "Attendees", "Uid", "Sequence", "Method", "Reminder",
        };

        public static SmtpCalendarEvent Bind(object value)
        {
            var input = value is PSObject ps ? ps.BaseObject : value;
            if (input is SmtpCalendarEvent ready)
            {
                return ready;
            }

            var entries = Entries(value);
            foreach (var key in entries.Keys)
            {
                if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
                {
                    throw Invalid("CalendarEventUnknownKey", $"'{key}' is not a key of a calendar event. Valid keys: {string.Join(", ", Keys)}.", key);
                }
            }

            var zone = Get(entries, "TimeZone") is { } zoneValue ? ToZone(zoneValue) : null;
            var e = new SmtpCalendarEvent
            {
                Summary = Text(entries, "Summary"),
                Description = Text(entries, "Description"),
                Location = Text(entries, "Location"),
                Organizer = Text(entries, "Organizer"),
                Uid = Text(entries, "Uid"),
                TimeZone = zone,
                Start = ToInstant(Get(entries, "Start") ?? throw Invalid("CalendarEventNoStart", "the event needs a Start (a DateTime or DateTimeOffset).", value), "Start", zone),
                End = ToInstant(Get(entries, "End") ?? throw Invalid("CalendarEventNoEnd", "the event needs an End (a DateTime or DateTimeOffset).", value), "End", zone),
                Method = Get(entries, "Method") is { } method ? ToMethod(method) : SmtpCalendarMethod.Request,
                Sequence = Get(entries, "Sequence") is { } sequence ? Convert<int>(sequence, "Sequence", "a whole number") : null,
                Reminder = Get(entries, "Reminder") is { } reminder ? ToReminder(reminder) : null,
            };
            if (Get(entries, "Attendees") is { } attendees)
            {
                e.Attendees = LanguagePrimitives.GetEnumerable(attendees) is { } many && !(attendees is string)
                    ? many.Cast<object?>().Select(a => Unwrap(a)?.ToString()).Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a!).ToList()
                    : new List<string> { attendees.ToString()! };
            }

            return e;
        }

        /// <summary>A hashtable's entries, or an object's properties (PSCustomObject, Import-Csv rows, JSON).</summary>
        private static Dictionary<string, object?> Entries(object value)
        {
            var entries = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var input = value is PSObject ps ? ps.BaseObject : value;
            if (input is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    entries[entry.Key?.ToString() ?? string.Empty] = Unwrap(entry.Value);
                }
            }
            else
            {
                foreach (var property in PSObject.AsPSObject(value).Properties)
                {
                    entries[property.Name] = Unwrap(property.Value);
                }
            }

            return entries;
        }

        private static object? Get(Dictionary<string, object?> entries, string key) =>
            entries.TryGetValue(key, out var value) && value != null && !(value is string s && s.Length == 0) ? value : null;

        private static string? Text(Dictionary<string, object?> entries, string key) => Get(entries, key)?.ToString();

        private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;

        /// <summary>
        /// A DateTimeOffset is an instant. A DateTime is too when its Kind is Utc or Local; an Unspecified one (as
        /// [datetime]'2026-12-10 10:00' gives) is wall-clock time in the event's TimeZone, or in this computer's
        /// zone when the event has none, as .NET reads it.
        /// </summary>
        private static DateTimeOffset ToInstant(object value, string key, TimeZoneInfo? zone)
        {
            if (value is DateTimeOffset offset)
            {
                return offset;
            }

            var time = value is string text ? ParseTime(text, key) : Convert<DateTime>(value, key, "a DateTime or DateTimeOffset");
            if (time.Kind != DateTimeKind.Unspecified || zone == null)
            {
                return new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Local) : time);
            }

            if (zone.IsInvalidTime(time))
            {
                throw Invalid("CalendarEventInvalidTime", $"{key} {time:yyyy-MM-dd HH:mm} does not exist in {zone.Id} (the clocks skip it when daylight saving time begins).", value);
            }

            return new DateTimeOffset(time, zone.GetUtcOffset(time));
        }

        private static DateTime ParseTime(string text, string key)
        {
            if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
            {
                return time;
            }

            throw Invalid("CalendarEventInvalidValue", $"{key} '{text}' is not a date and time (for example '2026-12-10 10:00' or '2026-12-10T09:00:00Z').", text);
        }

        private static TimeZoneInfo ToZone(object value)
        {
            if (value is TimeZoneInfo zone)
            {
                return zone;
            }

            return CalendarTimeZone.Find(value.ToString() ?? string.Empty, Parameter);
        }

        private static SmtpCalendarMethod ToMethod(object value)
        {
            if (value is SmtpCalendarMethod method)
            {
                return method;
            }

            switch (value.ToString()?.Trim().ToUpperInvariant())
            {
                case "REQUEST":
                    return SmtpCalendarMethod.Request;
                case "CANCEL":
                    return SmtpCalendarMethod.Cancel;
                default:
                    throw Invalid("CalendarEventInvalidMethod", $"Method '{value}' is not supported: give REQUEST (invite or update) or CANCEL (withdraw).", value);
            }
        }

        /// <summary>A TimeSpan, or a number of minutes.</summary>
        private static TimeSpan ToReminder(object value)
        {
            if (value is TimeSpan span)
            {
                return span;
            }

            if (value is string text && text.Contains(":"))
            {
                return Convert<TimeSpan>(value, "Reminder", "a TimeSpan or a number of minutes");
            }

            return TimeSpan.FromMinutes(Convert<double>(value, "Reminder", "a TimeSpan or a number of minutes"));
        }

        private static T Convert<T>(object value, string key, string expected)
        {
            try
            {
                return LanguagePrimitives.ConvertTo<T>(value);
            }
            catch (Exception ex) when (ex is PSInvalidCastException || ex is InvalidCastException || ex is FormatException || ex is ArgumentException)
            {
                throw Invalid("CalendarEventInvalidValue", $"{key} '{value}' is not {expected}.", value);
            }
        }

        private static SmtpHandlerException Invalid(string errorId, string why, object? target) =>
            new(errorId, SmtpFailureKind.InvalidArgument, $"-{Parameter}: {why}", target) { ParameterName = Parameter };
    }
}
