using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The message values a pipeline item bound by property name (as Send-MailMessage declares them) where the
    /// command line gave none: its own sender, copies, Reply-To, format, priority, notification and encoding.
    /// Null or empty means the item gave nothing (an empty CSV cell counts as nothing).
    /// </summary>
    internal sealed class ItemMessageValues
    {
        public string? From { get; set; }

        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> Bcc { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> ReplyTo { get; set; } = Array.Empty<string>();

        public bool BodyAsHtml { get; set; }

        public SmtpMessagePriority? Priority { get; set; }

        public SmtpDeliveryNotification? DeliveryNotification { get; set; }

        public Encoding? Encoding { get; set; }
    }
}
