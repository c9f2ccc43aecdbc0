using System;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>RFC 5545 value formats: TEXT escaping, parameter values, date-times, UTC offsets and durations.</summary>
    internal static class CalendarText
    {
        /// <summary>TEXT (3.3.11): backslash, semicolon and comma escaped, any line break as \n; other controls dropped (only HTAB is allowed).</summary>
        public static string Escape(string text)
        {
            var builder = new StringBuilder(text.Length + 8);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                switch (c)
                {
                    case '\\':
                        builder.Append("\\\\");
                        break;
                    case ';':
                        builder.Append("\\;");
                        break;
                    case ',':
                        builder.Append("\\,");
                        break;
                    case '\r':
                        builder.Append("\\n");
                        if (i + 1 < text.Length && text[i + 1] == '\n')
                        {
                            i++;
                        }

                        break;
                    case '\n':
                        builder.Append("\\n");
                        break;
                    default:
                        if (c == '\t' || !char.IsControl(c))
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            return builder.ToString();
        }

        /// <summary>
        /// A parameter value (3.1): quoted when it holds ; : or , and without DQUOTE or controls, which a parameter
        /// value can't carry at all.
        /// </summary>
        public static string ParameterValue(string value)
        {
            var builder = new StringBuilder(value.Length + 2);
            foreach (var c in value)
            {
                if (c == '"')
                {
                    builder.Append('\'');
                }
                else if (!char.IsControl(c))
                {
                    builder.Append(c);
                }
            }

            var text = builder.ToString();
            return text.IndexOfAny(new[] { ';', ':', ',' }) >= 0 ? "\"" + text + "\"" : text;
        }

        /// <summary>A UTC DATE-TIME (form 2): 20261210T090000Z.</summary>
        public static string Utc(DateTimeOffset instant) =>
            instant.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

        /// <summary>A local DATE-TIME (form 1 or 3): the wall-clock time, without Z.</summary>
        public static string Local(DateTime wallClock) =>
            wallClock.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

        /// <summary>A UTC-OFFSET (3.3.14): +0100, -0330, +053045 when seconds are needed.</summary>
        public static string Offset(TimeSpan offset)
        {
            var sign = offset < TimeSpan.Zero ? "-" : "+";
            var abs = offset.Duration();
            var text = sign + ((int)abs.TotalHours).ToString("00", CultureInfo.InvariantCulture) + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
            return abs.Seconds != 0 ? text + abs.Seconds.ToString("00", CultureInfo.InvariantCulture) : text;
        }

        /// <summary>A DURATION (3.3.6) before the start: -PT15M, -PT1H30M, -P1D; zero is PT0S.</summary>
        public static string Before(TimeSpan span)
        {
            // Whole seconds: DURATION has no fractions, and "-P" alone (under a second) is not one.
            span = TimeSpan.FromSeconds(Math.Round(span.TotalSeconds, MidpointRounding.AwayFromZero));
            if (span <= TimeSpan.Zero)
            {
                return "PT0S";
            }

            var text = new StringBuilder("-P");
            if (span.Days > 0)
            {
                text.Append(span.Days.ToString(CultureInfo.InvariantCulture)).Append('D');
            }

            if (span.Hours > 0 || span.Minutes > 0 || span.Seconds > 0)
            {
                text.Append('T');

                // dur-time grammar: an hour may be followed only by minutes, minutes only by seconds.
                if (span.Hours > 0)
                {
                    text.Append(span.Hours.ToString(CultureInfo.InvariantCulture)).Append('H');
                }

                if (span.Minutes > 0 || (span.Hours > 0 && span.Seconds > 0))
                {
                    text.Append(span.Minutes.ToString(CultureInfo.InvariantCulture)).Append('M');
                }

                if (span.Seconds > 0)
                {
                    text.Append(span.Seconds.ToString(CultureInfo.InvariantCulture)).Append('S');
                }
            }

            return text.ToString();
        }
    }
}
