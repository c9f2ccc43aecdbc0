using System;
using System.Collections.Generic;
using System.Linq;
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

        /// <summary>
        /// These parameters with what a pipeline item (or, in default mode, all items alike) gave where the command
        /// line gave nothing: its sender, Reply-To, format, priority, notification and encoding replace, its Cc and
        /// Bcc add. The parsed texts are shared with this instance.
        /// </summary>
        public MessageParameters With(ItemMessageValues item)
        {
            var copy = (MessageParameters)MemberwiseClone();
            copy.From = item.From ?? From;
            copy.Cc = item.Cc.Count == 0 ? Cc : Cc.Concat(item.Cc).ToList();
            copy.Bcc = item.Bcc.Count == 0 ? Bcc : Bcc.Concat(item.Bcc).ToList();
            copy.ReplyTo = item.ReplyTo.Count == 0 ? ReplyTo : item.ReplyTo;
            copy.BodyAsHtml = BodyAsHtml || item.BodyAsHtml;
            copy.Priority = item.Priority ?? Priority;
            copy.DeliveryNotification = item.DeliveryNotification ?? DeliveryNotification;
            copy.Encoding = item.Encoding ?? Encoding;
            return copy;
        }

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
