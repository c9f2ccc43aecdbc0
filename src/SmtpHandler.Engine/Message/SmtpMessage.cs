using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// One message as the user describes it: plain strings, no MailKit types. The engine validates it
    /// before anything is sent.
    /// </summary>
    public sealed class SmtpMessage
    {
        public string? From { get; set; }

        /// <summary>The envelope sender (and Sender header) when it differs from From.</summary>
        public string? Sender { get; set; }

        public IList<string> To { get; set; } = new List<string>();

        public IList<string> Cc { get; set; } = new List<string>();

        /// <summary>Envelope recipients only: never written to a header.</summary>
        public IList<string> Bcc { get; set; } = new List<string>();

        public IList<string> ReplyTo { get; set; } = new List<string>();

        public string? Subject { get; set; }

        public string? TextBody { get; set; }

        public string? HtmlBody { get; set; }

        public IList<SmtpAttachment> Attachments { get; set; } = new List<SmtpAttachment>();

        public IList<SmtpAttachment> InlineImages { get; set; } = new List<SmtpAttachment>();

        public SmtpMessagePriority Priority { get; set; } = SmtpMessagePriority.Normal;

        public SmtpDeliveryNotification DeliveryNotification { get; set; } = SmtpDeliveryNotification.None;

        /// <summary>Extra headers; a value with a line break is refused.</summary>
        public IDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The body text encoding; UTF-8 when not set.</summary>
        public Encoding? Encoding { get; set; }

        /// <summary>Overrides the generated Message-Id (without or with angle brackets).</summary>
        public string? MessageId { get; set; }

        public DateTimeOffset? Date { get; set; }

        /// <summary>A calendar invitation (iMIP) to send beside the body, when given.</summary>
        public SmtpCalendarEvent? CalendarEvent { get; set; }
        /// <summary>S/MIME and DKIM, read once for a whole send (see <see cref="MessageSecurity.Load(MessageSecurityOptions)"/>); null for none.</summary>
        public MessageSecurity? Security { get; set; }
    }
}
