using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>What placeholders of one pipeline item resolve to: its properties, then {Address} and {DisplayName}.</summary>
    internal sealed class PlaceholderValues
    {
        private readonly PSObject item;
        private readonly string? firstRecipient;

        // {Address} and {DisplayName} come from parsing the first recipient, done only when a template asks:
        // most -Individual sends use neither, and a send of thousands would parse every address twice.
        private bool parsed;
        private string? address;
        private string? displayName;

        public PlaceholderValues(PSObject item, string? firstRecipient)
        {
            this.item = item;
            this.firstRecipient = firstRecipient;
        }

        /// <summary>The values for one item: its properties, and its first recipient as {Address} and {DisplayName}.</summary>
        public static PlaceholderValues For(ItemParts item) =>
            new(item.Item.Item, item.Addresses.Count > 0 ? item.Addresses[0] : null);

        /// <summary>The property names an item offers, for error messages.</summary>
        public IEnumerable<string> Available
        {
            get
            {
                var names = item.BaseObject is System.Collections.IDictionary dictionary
                    ? dictionary.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty)
                    : item.Properties.Select(p => p.Name);
                return names.Concat(new[] { "Address", "DisplayName" }).Distinct(StringComparer.OrdinalIgnoreCase);
            }
        }

        public bool Has(string name) =>
            PipelineItemReader.TryGetProperty(item, name, out _) || IsBuiltIn(name);

        public string Get(string name)
        {
            if (PipelineItemReader.TryGetProperty(item, name, out var value))
            {
                return ToText(value);
            }

            ParseFirstRecipient();
            if (string.Equals(name, "Address", StringComparison.OrdinalIgnoreCase))
            {
                return address ?? string.Empty;
            }

            return string.Equals(name, "DisplayName", StringComparison.OrdinalIgnoreCase) ? displayName ?? string.Empty : string.Empty;
        }

        private void ParseFirstRecipient()
        {
            if (parsed || firstRecipient == null)
            {
                return;
            }

            parsed = true;
            try
            {
                var mail = new System.Net.Mail.MailAddress(firstRecipient);
                address = mail.Address;
                displayName = mail.DisplayName;
            }
            catch (FormatException)
            {
                address = firstRecipient;
            }
        }

        private static bool IsBuiltIn(string name) =>
            string.Equals(name, "Address", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "DisplayName", StringComparison.OrdinalIgnoreCase);

        private static string ToText(object? value)
        {
            if (value == null)
            {
                return string.Empty;
            }

            try
            {
                return LanguagePrimitives.ConvertTo<string>(value) ?? string.Empty;
            }
            catch (PSInvalidCastException)
            {
                return value.ToString() ?? string.Empty;
            }
        }
    }
}
