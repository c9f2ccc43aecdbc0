using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// One line of a state file about one recipient: its address (and which occurrence of it in the run, when the
    /// same address gets several messages), what happened, and the server's reply when there was one.
    /// </summary>
    internal sealed class StateRecord
    {
        public StateRecord(string address, int occurrence, StateEntry entry, int? code = null, string? reply = null, DateTime? at = null)
        {
            Address = address;
            Occurrence = occurrence;
            Entry = entry;
            Code = code;
            Reply = reply;
            At = at ?? DateTime.UtcNow;
        }

        public string Address { get; }

        /// <summary>1 for the first message to this address in a run, 2 for the second, and so on.</summary>
        public int Occurrence { get; }

        public StateEntry Entry { get; }

        public int? Code { get; }

        public string? Reply { get; }

        public DateTime At { get; }

        public string Key => KeyOf(Address, Occurrence);

        /// <summary>Addresses compare without case, as the engine compares recipients.</summary>
        public static string KeyOf(string address, int occurrence) => address.ToLowerInvariant() + "\n" + occurrence.ToString(CultureInfo.InvariantCulture);

        public void AppendJsonLine(StringBuilder line)
        {
            line.Append("{\"at\":").AppendQuoted(At.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            line.Append(",\"rcpt\":").AppendQuoted(Address);
            if (Occurrence > 1)
            {
                line.Append(",\"n\":").Append(Occurrence.ToString(CultureInfo.InvariantCulture));
            }

            line.Append(",\"status\":").AppendQuoted(Entry.ToString());
            if (Code is int code)
            {
                line.Append(",\"code\":").Append(code.ToString(CultureInfo.InvariantCulture));
            }

            if (Reply != null)
            {
                line.Append(",\"reply\":").AppendQuoted(Reply);
            }

            line.Append("}\n");
        }

        /// <summary>The record a parsed line holds, or null when the line is not a recipient's record.</summary>
        public static StateRecord? FromJson(IReadOnlyDictionary<string, object?> json)
        {
            if (json.GetString("rcpt") is not { Length: > 0 } address
                || json.GetString("status") is not { } status
                || !Enum.TryParse<StateEntry>(status, ignoreCase: false, out var entry)
                || !Enum.IsDefined(typeof(StateEntry), entry))
            {
                return null;
            }

            var occurrence = json.GetNumber("n") is double n ? (int)n : 1;
            var code = json.GetNumber("code") is double c ? (int?)c : null;
            var at = DateTime.TryParse(json.GetString("at"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : DateTime.MinValue;
            return occurrence < 1 ? null : new StateRecord(address, occurrence, entry, code, json.GetString("reply"), at);
        }
    }
}
