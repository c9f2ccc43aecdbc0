using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// Writes the headers that carry the user's text (Subject, the address headers' display names, -Header values)
    /// with <see cref="HeaderWriter"/> instead of MimeKit's encoder: MimeKit 4.18 sizes an encoded-word by the line
    /// length (78) rather than RFC 2047's 75, and counts a Latin-1 letter as one byte where UTF-8 needs two, so a
    /// subject of 120 "ü" became words of 124 characters on lines of 133.
    /// </summary>
    internal static class HeaderEncoding
    {
        private const int LongestPlainWord = 900;

        private static readonly HeaderId[] AddressHeaders = { HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc };

        /// <summary>
        /// Rewrites the raw values of Subject, the address headers and the named custom headers. Call it last: a
        /// later change to an address list makes MimeKit encode that header again.
        /// </summary>
        public static void Apply(MimeMessage mime, IEnumerable<string> customHeaders)
        {
            var custom = new HashSet<string>(customHeaders, StringComparer.OrdinalIgnoreCase);
            foreach (var header in mime.Headers.ToList())
            {
                if (header.Id == HeaderId.Subject || custom.Contains(header.Field))
                {
                    if (header.Id != HeaderId.Subject && CustomAddresses(header) is InternetAddressList addresses)
                    {
                        // An encoded-word may not stand in an addr-spec or a quoted string (RFC 2047 5): write it as addresses.
                        header.SetRawValue(AddressList(header.Field, addresses.ToList()));
                    }
                    else if (header.Value.Length > 0)
                    {
                        header.SetRawValue(Unstructured(header.Field, header.Value));
                    }
                }
            }

            foreach (var id in AddressHeaders)
            {
                var list = id switch
                {
                    HeaderId.From => mime.From,
                    HeaderId.ReplyTo => mime.ReplyTo,
                    HeaderId.To => mime.To,
                    HeaderId.Cc => mime.Cc,
                    _ => null,
                };
                var header = mime.Headers.FirstOrDefault(h => h.Id == id);
                if (header == null)
                {
                    continue;
                }

                var mailboxes = list != null ? list.ToList() : mime.Sender != null ? new List<InternetAddress> { mime.Sender } : new List<InternetAddress>();
                if (mailboxes.Count > 0)
                {
                    header.SetRawValue(AddressList(header.Field, mailboxes));
                }
            }
        }

        /// <summary>
        /// The addresses of a header whose syntax is an address list (Disposition-Notification-To, Resent-*, ...)
        /// when its value reads as one; null for any other header, or a value that is no address list.
        /// </summary>
        public static InternetAddressList? CustomAddresses(Header header) =>
            KnownAddressHeaders.Contains(header.Field) && InternetAddressList.TryParse(header.Value, out var list) && list.Count > 0 ? list : null;

        private static readonly HashSet<string> KnownAddressHeaders = new(StringComparer.OrdinalIgnoreCase)
        {
            "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
            "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Reply-To",
            "Disposition-Notification-To", "Return-Receipt-To", "Errors-To", "Mail-Followup-To", "Mail-Reply-To", "Apparently-To",
        };

        /// <summary>Unstructured text (RFC 5322 3.2.5): words of printable ASCII stay as they are, runs of others become encoded-words.</summary>
        public static byte[] Unstructured(string field, string value)
        {
            var writer = new HeaderWriter(field);
            WriteWords(writer, " ", value, phrase: false);
            return writer.ToRawValue();
        }

        /// <summary>An address list: each mailbox as "display name" &lt;address&gt;, separated by commas, folded between words.</summary>
        public static byte[] AddressList(string field, IReadOnlyList<InternetAddress> addresses)
        {
            var writer = new HeaderWriter(field);
            for (var i = 0; i < addresses.Count; i++)
            {
                var last = i == addresses.Count - 1;
                var separator = last ? string.Empty : ",";
                switch (addresses[i])
                {
                    case MailboxAddress mailbox:
                        WriteMailbox(writer, mailbox, separator);
                        break;
                    case GroupAddress group when group.Members.Count == 0:
                        WritePhrase(writer, group.Name ?? string.Empty);
                        writer.Plain(string.Empty, ":;" + separator);
                        break;
                    case GroupAddress group:
                        // "name: member, member;" (RFC 5322 3.4); a group does not nest.
                        WritePhrase(writer, group.Name ?? string.Empty);
                        writer.Plain(string.Empty, ":");
                        var members = group.Members.Mailboxes.ToList();
                        for (var m = 0; m < members.Count; m++)
                        {
                            WriteMailbox(writer, members[m], m == members.Count - 1 ? ";" + separator : ",");
                        }

                        break;
                    default:
                        throw new InvalidOperationException($"An address of type {addresses[i].GetType().Name} can't be written.");
                }
            }

            return writer.ToRawValue();
        }

        /// <summary>One mailbox as "display name" &lt;address&gt; (or the bare address), then <paramref name="separator"/>.</summary>
        private static void WriteMailbox(HeaderWriter writer, MailboxAddress mailbox, string separator)
        {
            var address = mailbox.GetAddress(idnEncode: true);
            if (string.IsNullOrEmpty(mailbox.Name))
            {
                writer.Plain(" ", address + separator);
                return;
            }

            // "Name <address>," on one line when it fits on a line of its own.
            var name = mailbox.Name!.Trim();
            if (name.All(c => c >= 32 && c < 127))
            {
                writer.KeepTogether(1 + name.Length + 2 + 2 + address.Length + separator.Length);
            }

            WritePhrase(writer, mailbox.Name!);
            writer.Plain(" ", "<" + address + ">" + separator);
        }

        /// <summary>A display name: atoms as they are, a quoted string when ASCII needs one, encoded-words when not ASCII.</summary>
        private static void WritePhrase(HeaderWriter writer, string name)
        {
            var trimmed = name.Trim();
            if (trimmed.All(c => c >= 32 && c < 127))
            {
                if (trimmed.All(c => IsAtext(c) || c == ' ') && !trimmed.Contains("  "))
                {
                    WriteWords(writer, " ", trimmed, phrase: true);
                    return;
                }

                var quoted = "\"" + trimmed.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
                // Without spaces a quoted string can't fold: it stays quoted up to the longest word a line may hold.
                if (quoted.Length <= HeaderWriter.FoldAt / 2 || (!trimmed.Contains(' ') && quoted.Length <= LongestPlainWord))
                {
                    writer.Plain(" ", quoted);
                    return;
                }

                // A long quoted name: encoded-words fold where a quoted string could not.
                writer.Encoded(" ", trimmed, phrase: true);
                return;
            }

            WriteWords(writer, " ", trimmed, phrase: true);
        }

        /// <summary>
        /// Splits text at its whitespace and writes each word plainly when it may stand as it is, and each run of
        /// words that may not (non-ASCII, controls, what would read as an encoded-word, phrase specials) as encoded-words.
        /// </summary>
        private static void WriteWords(HeaderWriter writer, string leading, string text, bool phrase)
        {
            var words = Split(text);
            var i = 0;
            var first = true;
            while (i < words.Count)
            {
                var (space, word) = words[i];
                var whitespace = first ? leading + space : space;
                first = false;
                if (MayStandAsIs(word, phrase))
                {
                    writer.Plain(whitespace, word);
                    i++;
                    continue;
                }

                // A run of words to encode together; the whitespace between them is encoded with them.
                var run = new System.Text.StringBuilder(word);
                var j = i + 1;
                while (j < words.Count && !MayStandAsIs(words[j].Word, phrase))
                {
                    run.Append(words[j].Space).Append(words[j].Word);
                    j++;
                }

                writer.Encoded(whitespace, run.ToString(), phrase);
                i = j;
            }
        }

        private static List<(string Space, string Word)> Split(string text)
        {
            var words = new List<(string, string)>();
            var i = 0;
            while (i < text.Length)
            {
                var spaceStart = i;
                while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
                {
                    i++;
                }

                var wordStart = i;
                while (i < text.Length && text[i] != ' ' && text[i] != '\t')
                {
                    i++;
                }

                if (i > wordStart)
                {
                    words.Add((text.Substring(spaceStart, wordStart - spaceStart), text.Substring(wordStart, i - wordStart)));
                }
            }

            return words;
        }

        private static bool MayStandAsIs(string word, bool phrase)
        {
            // A word too long for any line (RFC 5322's 998) is split into encoded-words; a shorter one stays readable.
            if (word.IndexOf("=?", StringComparison.Ordinal) >= 0 || word.Length > LongestPlainWord)
            {
                return false;
            }

            foreach (var c in word)
            {
                if (c <= 32 || c >= 127 || (phrase && !IsAtext(c)))
                {
                    return false;
                }
            }

            return true;
        }

        // RFC 5322 3.2.3 atext; a "." in a display name is obsolete syntax (RFC 5322 4.1), so such a name is quoted.
        private static bool IsAtext(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-/=?^_`{|}~".IndexOf(c) >= 0;
    }
}
