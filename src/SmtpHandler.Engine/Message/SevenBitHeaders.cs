using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// What the headers become for a server without SMTPUTF8 (RFC 6531), where no header may carry 8-bit octets.
    /// A domain travels as its ASCII (xn--) form and a display name as encoded-words, but a local part that is not
    /// ASCII has no 7-bit spelling: such a To or Cc address is left out of the copy the others get (it is not sent
    /// to either, and its result says so), and a From, Sender or Reply-To one means the message can't be sent there.
    /// </summary>
    internal static class SevenBitHeaders
    {
        /// <summary>Whether the address can only be written with SMTPUTF8: its local part is not ASCII.</summary>
        public static bool NeedsSmtpUtf8(MailboxAddress mailbox) => mailbox.LocalPart.Any(c => c > 127);

        /// <summary>The header (From, Sender, Reply-To, or an address header given with -Header) whose address can't be written in 7 bits, as "Reply-To &lt;...&gt;"; null when none.</summary>
        public static string? UnwritableOriginator(MimeMessage mime)
        {
            foreach (var (name, list) in new[] { ("From", mime.From), ("Reply-To", mime.ReplyTo) })
            {
                var mailbox = list.Mailboxes.FirstOrDefault(NeedsSmtpUtf8);
                if (mailbox != null)
                {
                    return $"{name} <{mailbox.Address}>";
                }
            }

            if (mime.Sender != null && NeedsSmtpUtf8(mime.Sender))
            {
                return $"Sender <{mime.Sender.Address}>";
            }

            // An address header given with -Header (Disposition-Notification-To, ...): the same rule as Reply-To.
            foreach (var header in mime.Headers)
            {
                if (header.Id != HeaderId.From && header.Id != HeaderId.ReplyTo && header.Id != HeaderId.Sender && header.Id != HeaderId.To && header.Id != HeaderId.Cc &&
                    HeaderEncoding.CustomAddresses(header)?.Mailboxes.FirstOrDefault(NeedsSmtpUtf8) is MailboxAddress custom)
                {
                    return $"{header.Field} <{custom.Address}>";
                }
            }

            return null;
        }

        /// <summary>Whether any header of the message as written carries an octet over 127 (which only SMTPUTF8 allows).</summary>
        public static bool HasEightBitHeader(MimeMessage mime) => mime.Headers.Any(h => h.RawValue.Any(b => b > 127));

        /// <summary>The To and Cc addresses that need SMTPUTF8.</summary>
        public static IEnumerable<MailboxAddress> Recipients(MimeMessage mime) => mime.To.Mailboxes.Concat(mime.Cc.Mailboxes).Where(NeedsSmtpUtf8);

        /// <summary>Removes the mailboxes that need SMTPUTF8 from the list and from its groups (a group stays, if empty).</summary>
        private static void RemoveNeedingSmtpUtf8(InternetAddressList list)
        {
            foreach (var address in list.ToList())
            {
                if (address is MailboxAddress mailbox && NeedsSmtpUtf8(mailbox))
                {
                    list.Remove(address);
                }
                else if (address is GroupAddress group)
                {
                    RemoveNeedingSmtpUtf8(group.Members);
                }
            }
        }

        /// <summary>
        /// Removes the To and Cc addresses that need SMTPUTF8 from a freshly built message, and writes its address
        /// headers again. When none is left in either, To says "undisclosed-recipients:;" (RFC 5322 A.1.3).
        /// </summary>
        public static MimeMessage Strip(MimeMessage mime)
        {
            var hadRecipients = mime.To.Count + mime.Cc.Count > 0;
            foreach (var list in new[] { mime.To, mime.Cc })
            {
                RemoveNeedingSmtpUtf8(list);
            }

            if (hadRecipients && mime.To.Count + mime.Cc.Count == 0)
            {
                mime.To.Add(new GroupAddress("undisclosed-recipients"));
            }

            HeaderEncoding.Apply(mime, Enumerable.Empty<string>());
            return mime;
        }
    }
}
