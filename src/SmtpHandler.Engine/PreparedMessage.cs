using System.Collections.Generic;
using System.Linq;
using MailKit;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// A message checked and built, ready to send: its MIME content, envelope sender and the
    /// de-duplicated envelope recipients. Recipients refused before sending (invalid addresses) are
    /// carried along so the result still names them.
    /// </summary>
    public sealed class PreparedMessage
    {
        internal PreparedMessage(
            SmtpMessage source,
            MimeMessage mime,
            MailboxAddress envelopeSender,
            IReadOnlyList<MailboxAddress> recipients,
            IReadOnlyList<SmtpRecipientResult> refusedBeforeSending,
            DeliveryStatusNotification? notify)
        {
            Source = source;
            Mime = mime;
            EnvelopeSenderMailbox = envelopeSender;
            RecipientMailboxes = recipients;
            RefusedBeforeSending = refusedBeforeSending;
            Notify = notify;
        }

        public SmtpMessage Source { get; }

        public string MessageId => Mime.MessageId ?? string.Empty;

        public string Subject => Mime.Subject ?? string.Empty;

        public string EnvelopeSender => EnvelopeSenderMailbox.Address;

        /// <summary>The envelope recipients the server will be offered.</summary>
        public IReadOnlyList<string> Recipients => RecipientMailboxes.Select(r => r.Address).ToArray();

        /// <summary>Recipients that will not be offered (invalid addresses), with why.</summary>
        public IReadOnlyList<SmtpRecipientResult> RefusedBeforeSending { get; }

        internal MimeMessage Mime { get; }

        internal MailboxAddress EnvelopeSenderMailbox { get; }

        internal IReadOnlyList<MailboxAddress> RecipientMailboxes { get; }

        internal DeliveryStatusNotification? Notify { get; }
    }
}
