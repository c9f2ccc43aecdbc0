using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Turns a pipeline item into recipients: a string ("a@x.test", "Name &lt;a@x.test&gt;", or a comma list),
    /// a <see cref="System.Net.Mail.MailAddress"/>, or any object with an address property (Import-Csv rows,
    /// directory and Exchange objects). The first of <see cref="AddressProperties"/> that has a value wins; a
    /// DisplayName or Name property becomes the display name.
    /// </summary>
    internal static class PipelineItemReader
    {
        /// <summary>
        /// The address properties looked for, in this order. The same names are the aliases of -To, so
        /// PowerShell's ValueFromPipelineByPropertyName binding and this reader agree.
        /// </summary>
        public static readonly IReadOnlyList<string> AddressProperties = new[]
        {
            "To", "EmailAddress", "Email", "Mail", "PrimarySmtpAddress", "WindowsEmailAddress", "UserPrincipalName", "Address",
        };

        private static readonly string[] DisplayNameProperties = { "DisplayName", "Name" };

        /// <summary>Reads one item; throws <see cref="SmtpHandlerException"/> (NoRecipientAddress) when it carries no address.</summary>
        public static PipelineItem Read(PSObject item)
        {
            var value = item.BaseObject;
            switch (value)
            {
                case string text:
                    return new PipelineItem(item, MailAddressList.Split(text), null);
                case FileInfo file:
                    return new PipelineItem(item, Array.Empty<string>(), file.FullName);
                case System.Net.Mail.MailAddress mail:
                    return new PipelineItem(item, new[] { WithDisplayName(mail.Address, mail.DisplayName) }, null);
            }

            var emptyProperties = new List<string>();
            foreach (var name in AddressProperties)
            {
                if (!TryGetProperty(item, name, out var found))
                {
                    continue;
                }

                var addresses = AddressTexts(found).ToList();
                if (addresses.Count == 0)
                {
                    emptyProperties.Add(name);
                    continue;
                }

                var displayName = addresses.Count == 1 ? DisplayNameOf(item) : null;
                return new PipelineItem(item, addresses.Select(a => WithDisplayName(a, displayName)).ToArray(), null);
            }

            var why = emptyProperties.Count > 0
                ? $"its {string.Join(" and ", emptyProperties)} {(emptyProperties.Count == 1 ? "is" : "are")} empty"
                : $"it has none of the properties {string.Join(", ", AddressProperties)}";
            throw new SmtpHandlerException(
                "NoRecipientAddress",
                SmtpFailureKind.InvalidArgument,
                $"The pipeline item {Describe(item)} has no recipient address: {why}. It was skipped.",
                item);
        }

        /// <summary>A short, one-line description of an item for messages: "@{Name=Ann; Dept=IT}".</summary>
        public static string Describe(PSObject item)
        {
            string text;
            try
            {
                text = LanguagePrimitives.ConvertTo<string>(item) ?? string.Empty;
            }
            catch (PSInvalidCastException)
            {
                text = item.BaseObject?.GetType().FullName ?? "null";
            }

            text = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
            return "'" + (text.Length > 200 ? text.Substring(0, 200) + "..." : text) + "'";
        }

        /// <summary>A property of a PowerShell object, or a key of a hashtable.</summary>
        public static bool TryGetProperty(PSObject item, string name, out object? value)
        {
            if (item.BaseObject is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (string.Equals(entry.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase))
                    {
                        value = entry.Value;
                        return true;
                    }
                }

                value = null;
                return false;
            }

            var property = item.Properties[name];
            if (property == null)
            {
                value = null;
                return false;
            }

            try
            {
                value = property.Value;
            }
            catch (GetValueException)
            {
                value = null;
            }

            return true;
        }

        /// <summary>Whether <paramref name="bound"/> is just the value of one of the item's address properties.</summary>
        public static bool IsAddressPropertyValue(PSObject item, string[] bound)
        {
            foreach (var name in AddressProperties)
            {
                if (TryGetProperty(item, name, out var value))
                {
                    var raw = value is PSObject ps ? ps.BaseObject : value;
                    var texts = raw is IEnumerable many && !(raw is string)
                        ? many.Cast<object?>().Select(o => o?.ToString() ?? string.Empty).ToArray()
                        : new[] { raw?.ToString() ?? string.Empty };
                    if (texts.SequenceEqual(bound, StringComparer.Ordinal))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static IEnumerable<string> AddressTexts(object? value)
        {
            value = value is PSObject ps ? ps.BaseObject : value;
            switch (value)
            {
                case null:
                    yield break;
                case string text:
                    foreach (var one in MailAddressList.Split(text).Where(t => !string.IsNullOrWhiteSpace(t)))
                    {
                        yield return one.Trim();
                    }

                    yield break;
                case System.Net.Mail.MailAddress mail:
                    yield return WithDisplayName(mail.Address, mail.DisplayName);
                    yield break;
                case IEnumerable many:
                    foreach (var element in many)
                    {
                        foreach (var one in AddressTexts(element))
                        {
                            yield return one;
                        }
                    }

                    yield break;
                default:
                    // Exchange's SmtpAddress and similar types: their text is the address.
                    var converted = value.ToString();
                    if (!string.IsNullOrWhiteSpace(converted))
                    {
                        yield return converted!.Trim();
                    }

                    yield break;
            }
        }

        private static string? DisplayNameOf(PSObject item)
        {
            foreach (var name in DisplayNameProperties)
            {
                if (TryGetProperty(item, name, out var value) && (value is PSObject ps ? ps.BaseObject : value) is string text && !string.IsNullOrWhiteSpace(text))
                {
                    return text.Trim();
                }
            }

            return null;
        }

        /// <summary>"Name &lt;a@x.test&gt;" for a bare address and a name; the address as it is otherwise.</summary>
        private static string WithDisplayName(string address, string? displayName)
        {
            if (string.IsNullOrWhiteSpace(displayName) || address.IndexOf('<') >= 0 || displayName!.Any(char.IsControl))
            {
                return address;
            }

            return "\"" + displayName!.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\" <" + address + ">";
        }
    }
}
