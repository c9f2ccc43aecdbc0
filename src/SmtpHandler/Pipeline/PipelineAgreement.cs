using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Values that pipeline items bound for a parameter that takes one value per call (the subject of the one
    /// message of default mode, the server of the one connection). Items that give none do not count; items that
    /// give different ones disagree, and the call is refused before anything is sent.
    /// </summary>
    internal sealed class PipelineAgreement
    {
        private readonly Dictionary<string, (HashSet<string> Keys, object Value)> values = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Notes an item's value for <paramref name="parameter"/>; <paramref name="key"/> is what makes two values the same (the text by default).</summary>
        public void Add(string parameter, object? value, string? key = null)
        {
            if (value == null)
            {
                return;
            }

            if (!values.TryGetValue(parameter, out var entry))
            {
                entry = (new HashSet<string>(StringComparer.Ordinal), value);
                values[parameter] = entry;
            }

            entry.Keys.Add(key ?? value.ToString() ?? string.Empty);
        }

        /// <summary>The one value the items gave for <paramref name="parameter"/>, or null when none gave one.</summary>
        public T? Agreed<T>(string parameter) where T : class => values.TryGetValue(parameter, out var entry) ? (T)entry.Value : null;

        /// <summary>The one value the items gave for <paramref name="parameter"/>, or null when none gave one.</summary>
        public T? AgreedValue<T>(string parameter) where T : struct => values.TryGetValue(parameter, out var entry) ? (T)entry.Value : null;

        /// <summary>The first parameter the items disagree on, and how many different values they gave; null when they agree.</summary>
        public (string Parameter, int Count)? Disagreement() =>
            values.Where(v => v.Value.Keys.Count > 1).Select(v => ((string, int)?)(v.Key, v.Value.Keys.Count)).FirstOrDefault();

        public bool Any => values.Count > 0;
    }
}
