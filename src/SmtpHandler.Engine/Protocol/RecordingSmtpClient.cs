using System.Collections.Generic;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// MailKit's client, told not to cancel a whole message when one recipient is refused (its default):
    /// every RCPT reply is recorded so each recipient can be reported, and refused ones retried or split.
    /// </summary>
    internal sealed class RecordingSmtpClient : SmtpClient
    {
        public RecordingSmtpClient(IProtocolLogger logger)
            : base(logger)
        {
        }

        public List<RecipientReply> Replies { get; } = new();

        /// <summary>The DSN flags to ask for on every RCPT of the current transaction.</summary>
        public DeliveryStatusNotification? Notify { get; set; }

        public void BeginTransaction(DeliveryStatusNotification? notify)
        {
            Replies.Clear();
            Notify = notify;
        }

        protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            Replies.Add(new RecipientReply(mailbox, (int)response.StatusCode, response.Response));

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            Replies.Add(new RecipientReply(mailbox, (int)response.StatusCode, response.Response));

        // No recipient accepted: MailKit then sends no DATA; the caller reads the replies and decides.
        protected override void OnNoRecipientsAccepted(MimeMessage message)
        {
        }

        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) => Notify;

        // A message replayed from a file goes byte for byte: MailKit's preparation would re-encode its parts.
        protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
        {
            if (!StoredMessage.IsStored(message))
            {
                base.Prepare(options, message, constraint, maxLineLength);
            }
        }
    }
}
