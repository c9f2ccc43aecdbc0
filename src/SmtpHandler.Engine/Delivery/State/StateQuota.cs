using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// A state file line that says a sending quota was met (the server's, or RecipientsPerDay) and until when: a
    /// rerun before then sends nothing and connects nowhere. Files written before quotas were recorded have no such
    /// line and read as before.
    /// </summary>
    internal sealed class StateQuota
    {
        public StateQuota(DateTime untilUtc, string reason, DateTime? at = null)
        {
            UntilUtc = untilUtc;
            Reason = reason;
            At = at ?? DateTime.UtcNow;
        }

        public DateTime UntilUtc { get; }

        public string Reason { get; }

        public DateTime At { get; }

        public string ToJsonLine()
        {
            var line = new StringBuilder();
            line.Append("{\"at\":").AppendQuoted(Stamp(At));
            line.Append(",\"quotaUntil\":").AppendQuoted(Stamp(UntilUtc));
            line.Append(",\"reason\":").AppendQuoted(Reason);
            return line.Append("}\n").ToString();
        }

        /// <summary>The quota a parsed line records, or null when the line is not a quota line (or its time is unreadable).</summary>
        public static StateQuota? FromJson(IReadOnlyDictionary<string, object?> json)
        {
            if (json.GetString("quotaUntil") is not { } until ||
                !DateTime.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var untilUtc))
            {
                return null;
            }

            var at = DateTime.TryParse(json.GetString("at"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : DateTime.MinValue;
            return new StateQuota(untilUtc, json.GetString("reason") ?? string.Empty, at);
        }

        private static string Stamp(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }
}
