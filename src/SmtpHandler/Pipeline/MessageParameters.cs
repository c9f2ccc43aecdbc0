using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler.Commands
{
    /// <summary>The message parts given once, on the command line, for every message of one call.</summary>
    internal sealed class MessageParameters
    {
        public string? From { get; set; }

        public string? Sender { get; set; }

        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> Bcc { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> ReplyTo { get; set; } = Array.Empty<string>();

        public string? Subject { get; set; }

        public string? Body { get; set; }

        public string? HtmlBody { get; set; }

        /// <summary>-BodyAsHtml: -Body is HTML (Send-MailMessage's meaning).</summary>
        public bool BodyAsHtml { get; set; }

        public IReadOnlyList<string> Attachments { get; set; } = Array.Empty<string>();

        public IReadOnlyList<SmtpAttachment> InlineImages { get; set; } = Array.Empty<SmtpAttachment>();

        public SmtpMessagePriority Priority { get; set; }

        public SmtpDeliveryNotification DeliveryNotification { get; set; }

        public IDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public Encoding? Encoding { get; set; }

        public string? MessageId { get; set; }

        public PipelineRecipientHeader PipelineHeader { get; set; }

        /// <summary>-CalendarEvent, converted: an invitation beside the body of every message.</summary>
        public SmtpCalendarEvent? CalendarEvent { get; set; }
        /// <summary>S/MIME and DKIM for every message of the call (read once); null for none.</summary>
        public MessageSecurity? Security { get; set; }

        /// <summary>Each command-line text parsed once for all the items of a send, not once per item.</summary>
        public PlaceholderTemplate Template(string text)
        {
            if (!templates.TryGetValue(text, out var template))
            {
                template = PlaceholderTemplate.Parse(text);
                templates[text] = template;
            }

            return template;
        }

        private readonly Dictionary<string, PlaceholderTemplate> templates = new(StringComparer.Ordinal);
    }
}
