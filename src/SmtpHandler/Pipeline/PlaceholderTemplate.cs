using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// A text with placeholders for -Individual sends: <c>{Name}</c> is the value of the pipeline item's property
    /// Name (case-insensitive; a hashtable's key); <c>{{</c> and <c>}}</c> are literal braces. A name starts with
    /// a letter or underscore and holds letters, digits, spaces, '_', '-' and '.'; anything else in braces (CSS,
    /// JSON) stays as it is. For a string item, {Address} and {DisplayName} are its recipient's address and name.
    /// </summary>
    internal sealed class PlaceholderTemplate
    {
        private readonly List<Segment> segments;

        // The text when it has no placeholder: every message shares one string, none is built per item.
        private readonly string? literal;

        private PlaceholderTemplate(string text, List<Segment> segments)
        {
            Text = text;
            this.segments = segments;
            Names = segments.Where(s => s.IsPlaceholder).Select(s => s.Value).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (Names.Count == 0)
            {
                literal = segments.Count == 1 && segments[0].Value == text ? text : string.Concat(segments.Select(s => s.Value));
            }
        }

        public string Text { get; }

        /// <summary>The placeholder names, each once, in order of appearance.</summary>
        public IReadOnlyList<string> Names { get; }

        public static PlaceholderTemplate Parse(string text)
        {
            var segments = new List<Segment>();
            var literal = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
                {
                    literal.Append(c);
                    i++;
                    continue;
                }

                if (c == '{' && TryReadName(text, i + 1, out var name, out var end))
                {
                    if (literal.Length > 0)
                    {
                        segments.Add(new Segment(literal.ToString(), false));
                        literal.Clear();
                    }

                    segments.Add(new Segment(name, true));
                    i = end;
                    continue;
                }

                literal.Append(c);
            }

            if (literal.Length > 0)
            {
                segments.Add(new Segment(literal.ToString(), false));
            }

            return new PlaceholderTemplate(text, segments);
        }

        /// <summary>The names that <paramref name="item"/> can't fill in.</summary>
        public IEnumerable<string> Unknown(PlaceholderValues item) => Names.Count == 0 ? Array.Empty<string>() : Names.Where(n => !item.Has(n));

        /// <summary>The text with every placeholder replaced; values are HTML-encoded for an HTML body.</summary>
        public string Expand(PlaceholderValues item, bool html)
        {
            if (literal != null)
            {
                return literal;
            }

            var result = new StringBuilder(Text.Length + 32);
            foreach (var segment in segments)
            {
                if (!segment.IsPlaceholder)
                {
                    result.Append(segment.Value);
                    continue;
                }

                var value = item.Get(segment.Value);
                result.Append(html ? WebUtility.HtmlEncode(value) : value);
            }

            return result.ToString();
        }

        private static bool TryReadName(string text, int start, out string name, out int end)
        {
            name = string.Empty;
            end = start;
            if (start >= text.Length || !(char.IsLetter(text[start]) || text[start] == '_'))
            {
                return false;
            }

            var i = start;
            while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || text[i] == '-' || text[i] == '.' || text[i] == ' '))
            {
                i++;
            }

            if (i >= text.Length || text[i] != '}' || text[i - 1] == ' ')
            {
                return false;
            }

            name = text.Substring(start, i - start);
            end = i;
            return true;
        }

        private readonly struct Segment
        {
            public Segment(string value, bool isPlaceholder)
            {
                Value = value;
                IsPlaceholder = isPlaceholder;
            }

            public string Value { get; }

            public bool IsPlaceholder { get; }
        }
    }
}
