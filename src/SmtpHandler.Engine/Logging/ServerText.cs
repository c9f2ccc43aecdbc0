using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// The one treatment of text a server wrote before it becomes part of a result, an error, a log line (-Verbose),
    /// a report or a finding: whatever matches what we sent to log in is masked (<see cref="SentSecrets"/>), and
    /// control characters are made visible, so that a reply can't drive the terminal (retitle the window, erase a
    /// line, print in colour). C0 characters, DEL and C1 characters (U+0080 to U+009F) become "\xHH" (ESC is
    /// "\x1B"): plain ASCII that every console, transcript and JSON file shows as it is. A line break between the
    /// lines of a multi-line reply becomes a space.
    /// </summary>
    internal static class ServerText
    {
        /// <summary>
        /// <paramref name="text"/> with every secret in <paramref name="secrets"/> masked and every control character
        /// visible; the same instance when there is nothing to change (a scan, no allocation).
        /// </summary>
        public static string Clean(string text, SentSecrets? secrets) => Neutralise(secrets == null ? text : secrets.Redact(text));

        /// <summary><see cref="Clean(string, SentSecrets)"/> for a text that may be missing.</summary>
        public static string? CleanOrNull(string? text, SentSecrets? secrets) => text == null ? null : Clean(text, secrets);

        /// <summary><paramref name="text"/> with control characters made visible; the same instance when it has none.</summary>
        public static string Neutralise(string text)
        {
            var first = FirstControl(text);
            if (first < 0)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
            for (var i = first; i < text.Length; i++)
            {
                var c = text[i];
                if (!IsControl(c))
                {
                    builder.Append(c);
                }
                else if (c == '\n' || (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
                {
                    // A parser joined two reply lines here: a space keeps them apart on one line.
                    if (c == '\r')
                    {
                        i++;
                    }

                    builder.Append(' ');
                }
                else
                {
                    builder.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                }
            }

            return builder.ToString();
        }

        /// <summary>Whether <paramref name="c"/> is a C0 control, DEL or a C1 control.</summary>
        public static bool IsControl(char c) => c < ' ' || (c >= '\u007F' && c <= '\u009F');

        private static int FirstControl(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (IsControl(text[i]))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
