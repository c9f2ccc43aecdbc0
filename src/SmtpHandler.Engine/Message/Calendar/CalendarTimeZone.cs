using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>
    /// Time zones for invitations: finding one by its id on either runtime, and writing it as a VTIMEZONE.
    /// The VTIMEZONE lists the zone's actual transitions around the event (read from the TimeZoneInfo, one
    /// observance each) rather than translating .NET's adjustment rules into RRULEs: those rules differ between
    /// Windows and Linux, the transitions they produce do not.
    /// </summary>
    internal static class CalendarTimeZone
    {
        /// <summary>
        /// The zone of an IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time") id. .NET 6 and later find
        /// either on every OS; .NET Framework (Windows PowerShell 5.1) knows Windows ids only, and the error says so.
        /// </summary>
        public static TimeZoneInfo Find(string id, string parameter)
        {
            if (string.IsNullOrWhiteSpace(id) || id.Length > 100 || id.Trim() != id || HasControl(id))
            {
                throw Unknown(id, parameter, "it is not a time zone id.");
            }

            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(id);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException || ex is InvalidTimeZoneException || ex is System.Security.SecurityException)
            {
                var hint = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal)
                    ? " Windows PowerShell 5.1 (.NET Framework) knows Windows ids only, such as 'W. Europe Standard Time' (Get-TimeZone -ListAvailable lists them); PowerShell 7 takes IANA ids such as 'Europe/Berlin' too."
                    : " Give an IANA id such as 'Europe/Berlin' or a Windows id such as 'W. Europe Standard Time'.";
                throw Unknown(id, parameter, "this system does not know it." + hint);
            }
        }

        /// <summary>Whether times in this zone are simply UTC (no TZID needed).</summary>
        public static bool IsUtc(TimeZoneInfo zone) =>
            zone.Id == TimeZoneInfo.Utc.Id || (zone.BaseUtcOffset == TimeSpan.Zero && !zone.SupportsDaylightSavingTime && (zone.Id == "UTC" || zone.Id == "Etc/UTC" || zone.Id == "Coordinated Universal Time"));

        /// <summary>
        /// Appends a VTIMEZONE covering the calendar years from <paramref name="from"/> to <paramref name="to"/>:
        /// the offset in force at the start of the first year, then every transition until the end of the last.
        /// </summary>
        public static void AppendVTimeZone(List<string> lines, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
        {
            var windowStart = new DateTimeOffset(from.UtcDateTime.Year, 1, 1, 0, 0, 0, TimeSpan.Zero);
            // The year after 9999 does not exist: there the window stops short of the last day (the day steps below must not overflow).
            var windowEnd = to.UtcDateTime.Year < 9999
                ? new DateTimeOffset(to.UtcDateTime.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero)
                : new DateTimeOffset(9999, 12, 30, 0, 0, 0, TimeSpan.Zero);
            lines.Add("BEGIN:VTIMEZONE");
            lines.Add("TZID:" + CalendarText.Escape(zone.Id));
            var offset = zone.GetUtcOffset(windowStart);
            AppendObservance(lines, zone, windowStart, offset, offset);
            foreach (var (instant, before, after) in Transitions(zone, windowStart, windowEnd))
            {
                AppendObservance(lines, zone, instant, before, after);
            }

            lines.Add("END:VTIMEZONE");
        }

        /// <summary>Each instant the zone's UTC offset changes in [start, end), found day by day and narrowed to the second.</summary>
        internal static IEnumerable<(DateTimeOffset Instant, TimeSpan Before, TimeSpan After)> Transitions(TimeZoneInfo zone, DateTimeOffset start, DateTimeOffset end)
        {
            var day = TimeSpan.FromDays(1);
            var previous = start;
            var previousOffset = zone.GetUtcOffset(previous);
            for (var next = start + day; next <= end; next += day)
            {
                var nextOffset = zone.GetUtcOffset(next);
                if (nextOffset != previousOffset)
                {
                    // The offset changed within this day: halve the interval until it is one second wide.
                    var low = previous;
                    var high = next;
                    while (high - low > TimeSpan.FromSeconds(1))
                    {
                        var middle = low + TimeSpan.FromTicks((high - low).Ticks / 2);
                        if (zone.GetUtcOffset(middle) == previousOffset)
                        {
                            low = middle;
                        }
                        else
                        {
                            high = middle;
                        }
                    }

                    var instant = new DateTimeOffset(high.UtcTicks - (high.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
                    if (zone.GetUtcOffset(instant) != nextOffset)
                    {
                        instant = instant.AddSeconds(1);
                    }

                    yield return (instant, previousOffset, nextOffset);
                }

                previous = next;
                previousOffset = nextOffset;
            }
        }

        // An observance's DTSTART is the wall-clock time of its onset in the offset it replaces (RFC 5545 3.6.5).
        private static void AppendObservance(List<string> lines, TimeZoneInfo zone, DateTimeOffset onset, TimeSpan before, TimeSpan after)
        {
            var kind = zone.IsDaylightSavingTime(onset) ? "DAYLIGHT" : "STANDARD";
            lines.Add("BEGIN:" + kind);
            lines.Add("DTSTART:" + CalendarText.Local(onset.UtcDateTime + before));
            lines.Add("TZOFFSETFROM:" + CalendarText.Offset(before));
            lines.Add("TZOFFSETTO:" + CalendarText.Offset(after));
            var name = zone.IsDaylightSavingTime(onset) ? zone.DaylightName : zone.StandardName;
            if (!string.IsNullOrEmpty(name))
            {
                lines.Add("TZNAME:" + CalendarText.Escape(name));
            }

            lines.Add("END:" + kind);
        }

        private static bool HasControl(string text)
        {
            foreach (var c in text)
            {
                if (char.IsControl(c))
                {
                    return true;
                }
            }

            return false;
        }

        private static SmtpHandlerException Unknown(string id, string parameter, string why) =>
            new("UnknownTimeZone", SmtpFailureKind.InvalidArgument, $"-{parameter}: the time zone '{id}' can't be used: {why}", id) { ParameterName = parameter };
    }
}
