using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// A state file as read: its latest header, the last line about each recipient, and how much of it is whole.
    /// A torn last line (the process died while writing it) is left out; anything else unreadable is an error.
    /// </summary>
    internal sealed class StateFileContent
    {
        private StateFileContent(StateFingerprint? fingerprint, Dictionary<string, StateRecord> last, long wholeLength, bool endsWithoutNewline, StateQuota? quota)
        {
            Quota = quota;
            Fingerprint = fingerprint;
            Last = last;
            WholeLength = wholeLength;
            EndsWithoutNewline = endsWithoutNewline;
        }

        /// <summary>The latest header; null for an empty file.</summary>
        public StateFingerprint? Fingerprint { get; }

        /// <summary>The last record of each recipient (see <see cref="StateRecord.Key"/>).</summary>
        public IReadOnlyDictionary<string, StateRecord> Last { get; }

        /// <summary>The latest quota line (see <see cref="StateQuota"/>); null when the file has none.</summary>
        public StateQuota? Quota { get; }

        /// <summary>The length of the whole lines: a torn line after it is cut off before anything is appended.</summary>
        public long WholeLength { get; }

        /// <summary>The last whole line has no line break yet (the process died just before writing it): one goes first.</summary>
        public bool EndsWithoutNewline { get; }

        /// <summary>Reads a state file's bytes (header, recipients' records, quota lines); throws <see cref="FormatException"/>, naming the line, for anything unreadable but a torn last line.</summary>
        public static StateFileContent Parse(byte[] content)
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            StateFingerprint? fingerprint = null;
            var last = new Dictionary<string, StateRecord>(StringComparer.Ordinal);
            var start = content.Length >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF ? 3 : 0;
            var lineNumber = 0;
            var whole = (long)start;
            var unterminated = false;
            StateQuota? quota = null;
            while (start < content.Length)
            {
                lineNumber++;
                var end = Array.IndexOf(content, (byte)'\n', start);
                var torn = end < 0;
                var stop = torn ? content.Length : end;
                IReadOnlyDictionary<string, object?>? json;
                try
                {
                    var text = strict.GetString(content, start, stop - start).TrimEnd('\r');
                    if (text.Trim().Length == 0)
                    {
                        start = stop + 1;
                        whole = Math.Min(start, content.Length);
                        continue;
                    }

                    json = JsonReader.TryParseObject(text);
                }
                catch (DecoderFallbackException)
                {
                    json = null;
                }

                if (json == null)
                {
                    if (torn)
                    {
                        // Died mid-write: the line is dropped, as if its write had never begun.
                        break;
                    }

                    throw new FormatException($"line {lineNumber} is not a JSON object");
                }

                var header = StateFingerprint.FromJson(json);
                if (header != null)
                {
                    fingerprint = header;
                }
                else if (fingerprint == null)
                {
                    throw new FormatException($"line {lineNumber} comes before the header line that every SmtpHandler state file starts with");
                }
                else if (StateRecord.FromJson(json) is { } record)
                {
                    last[record.Key] = record;
                }
                else if (StateQuota.FromJson(json) is { } met)
                {
                    quota = met;
                }
                else
                {
                    throw new FormatException($"line {lineNumber} is neither a header nor a recipient's record");
                }

                unterminated = torn;
                start = stop + 1;
                whole = Math.Min(start, content.Length);
            }

            return new StateFileContent(fingerprint, last, whole, unterminated, quota);
        }
    }
}
