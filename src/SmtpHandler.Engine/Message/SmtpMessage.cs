using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler
{
    /// <summary>Message priority, as Send-MailMessage names it.</summary>
    public enum SmtpMessagePriority
    {
        Normal,
        Low,
        High,
    }

    /// <summary>Delivery status notifications to ask for (RFC 3461), as Send-MailMessage names them.</summary>
    [Flags]
    public enum SmtpDeliveryNotification
    {
        None = 0,
        OnSuccess = 1,
        OnFailure = 2,
        Delay = 4,
        Never = 134217728,
    }

    /// <summary>A file to attach, or an image to embed in the HTML body under a Content-ID.</summary>
    public sealed class SmtpAttachment
    {
        public SmtpAttachment(string path, string? contentId = null)
        {
            Path = path;
            ContentId = contentId;
        }

        /// <summary>A full file-system path; the cmdlets resolve provider paths before they get here.</summary>
        public string Path { get; }

        /// <summary>For inline images: the id the HTML refers to as <c>cid:</c>.</summary>
        public string? ContentId { get; }

        public string FileName => System.IO.Path.GetFileName(Path);
    }

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
    }
}
