using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MailKit;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;

namespace SmtpHandler
{
    /// <summary>
    /// Checks a <see cref="SmtpMessage"/> and builds its MIME form. Everything that can be wrong with the
    /// input is found here, before any connection: addresses, header injection, missing files.
    /// </summary>
    internal static class MessageBuilder
    {
        // Headers the message model sets itself; a custom header may not replace them.
        private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
        {
            "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-Id",
            "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
        };

        private static readonly IEnumerable<Header> NoHeaders = Array.Empty<Header>();

        // requireRecipients: false checks a message template whose recipients come later.
        public static PreparedMessage Prepare(SmtpMessage message, SmtpHandlerConfig config, bool skipInvalidRecipients, bool requireRecipients = true)
        {
            var from = ParseOptional(message.From, "From") ?? ParseOptional(config.DefaultFrom, "DefaultFrom");
            var sender = ParseOptional(message.Sender, "Sender");
            var envelopeSender = sender ?? from ?? throw new SmtpHandlerException(
                "NoSender",
                SmtpFailureKind.InvalidArgument,
                "The message has no sender: give -From, or a DefaultFrom in the configuration.",
                message.Subject) { ParameterName = "From" };

            var refused = new List<SmtpRecipientResult>();
            var headerTo = ParseRecipients(message.To, "To", skipInvalidRecipients, refused);
            var headerCc = ParseRecipients(message.Cc, "Cc", skipInvalidRecipients, refused);
            var bcc = ParseRecipients(message.Bcc, "Bcc", skipInvalidRecipients, refused);

            // One RCPT per address, whatever its case or how often it was given.
            var envelope = new List<MailboxAddress>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var mailbox in headerTo.Concat(headerCc).Concat(bcc))
            {
                if (seen.Add(mailbox.Address))
                {
                    envelope.Add(mailbox);
                }
            }

            message.Security?.LeaveOutUnreadable(envelope, refused);
            if (envelope.Count == 0 && refused.Count == 0 && requireRecipients)
            {
                throw new SmtpHandlerException("NoRecipients", SmtpFailureKind.InvalidArgument, "The message has no recipients: give -To, -Cc or -Bcc.", message.Subject) { ParameterName = "To" };
            }

            var replyTos = (message.ReplyTo ?? Array.Empty<string>()).Select(r => MailAddressParser.Parse(r, "ReplyTo")).ToList();
            var subject = RequireSingleLine(message.Subject ?? string.Empty, "Subject");
            string messageId;
            if (!string.IsNullOrWhiteSpace(message.MessageId))
            {
                messageId = RequireSingleLine(message.MessageId!, "MessageId").Trim().TrimStart('<').TrimEnd('>');
                if (messageId.IndexOf('@') <= 0 || messageId.Any(c => c <= ' ' || c >= 127 || c == '<' || c == '>'))
                {
                    throw Invalid("InvalidMessageId", "MessageId", message.MessageId, $"'{message.MessageId}' is not a Message-Id of the form id@domain.");
                }

                RfcLimits.CheckHeaderLine("Message-Id", $"<{messageId}>", "MessageId");
            }
            else
            {
                messageId = MimeUtils.GenerateMessageId(envelopeSender.Domain is { Length: > 0 } domain ? domain : "localhost");
            }

            // Everything else that can be wrong is found now too: custom headers and files. Building the MIME
            // form waits until the message is sent (PreparedMessage.Mime): a large send then never holds thousands
            // of built messages.
            var headers = (message.Headers ?? new Dictionary<string, string>()).ToList();
            foreach (var header in headers)
            {
                CheckCustomHeader(header.Key, header.Value);
            }

            // In the order the body uses them: inline images (shown only by an HTML body), then attachments.
            var images = message.HtmlBody != null ? message.InlineImages ?? Array.Empty<SmtpAttachment>() : Array.Empty<SmtpAttachment>();
            foreach (var file in images.Concat(message.Attachments ?? Array.Empty<SmtpAttachment>()))
            {
                CheckReadable(file);
            }

            // A character the chosen charset can't hold would be sent as "?": refused now, before any connection.
            CharsetCheck.Require(message.Encoding ?? Encoding.UTF8, message.TextBody, "body");
            CharsetCheck.Require(message.Encoding ?? Encoding.UTF8, message.HtmlBody, "HTML body");

            var date = message.Date ?? DateTimeOffset.Now;
            var invitation = message.CalendarEvent == null ? null : CalendarInvitation.Create(message.CalendarEvent, subject, headerTo, headerCc, requireRecipients, date);
            var priority = message.Priority;
            var security = message.Security;
            var content = new SmtpMessage
            {
                TextBody = message.TextBody,
                HtmlBody = message.HtmlBody,
                Encoding = message.Encoding,
                Attachments = (message.Attachments ?? Array.Empty<SmtpAttachment>()).ToList(),
                InlineImages = (message.InlineImages ?? Array.Empty<SmtpAttachment>()).ToList(),
            };

            MimeMessage Build(bool sevenBitHeaders)
            {
                // An empty message, not new MimeMessage(): that one makes a Date and a Message-Id of its own, which
                // would be formatted only to be replaced (a cost paid per message in a large send). The headers come
                // in the order MimeKit's default gives them.
                var mime = new MimeMessage(NoHeaders);
                mime.From.Add(from ?? sender!);
                mime.Date = date;
                mime.Subject = subject;
                mime.MessageId = messageId;
                if (sender != null && from != null && !sender.Address.Equals(from.Address, StringComparison.OrdinalIgnoreCase))
                {
                    mime.Sender = sender;
                }

                mime.To.AddRange(headerTo);
                mime.Cc.AddRange(headerCc);
                mime.ReplyTo.AddRange(replyTos);
                SetPriority(mime, priority);
                foreach (var header in headers)
                {
                    AddCustomHeader(mime, header.Key, header.Value);
                }

                var body = BuildBody(content);
                mime.Body = invitation != null ? invitation.AddTo(body) : body;
                HeaderEncoding.Apply(mime, headers.Select(h => h.Key));
                if (sevenBitHeaders)
                {
                    SevenBitHeaders.Strip(mime);
                }

                // S/MIME and DKIM last: DKIM signs the headers and body exactly as they will be sent.
                security?.Apply(mime, envelope);
                return mime;
            }

            return new PreparedMessage(message, Build, messageId, subject, envelopeSender, envelope, refused, ToMailKit(message.DeliveryNotification));
        }

        /// <summary>CRLF everywhere: no bare CR or LF reaches the wire (SMTP smuggling).</summary>
        internal static string NormalizeLineEndings(string text)
        {
            if (text.IndexOf('\r') < 0 && text.IndexOf('\n') < 0)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length + 16);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\r')
                {
                    builder.Append("\r\n");
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }
                }
                else if (c == '\n')
                {
                    builder.Append("\r\n");
                }
                else
                {
                    builder.Append(c);
                }
            }

            return builder.ToString();
        }

        private static MimeEntity BuildBody(SmtpMessage message)
        {
            var encoding = message.Encoding ?? new UTF8Encoding(false);
            var text = message.TextBody != null ? NormalizeLineEndings(message.TextBody) : null;
            var html = message.HtmlBody != null ? NormalizeLineEndings(message.HtmlBody) : null;
            if (html != null && text == null)
            {
                // HTML alone gets a plain-text part too, for readers that show no HTML.
                text = NormalizeLineEndings(HtmlText.ToPlainText(html));
            }

            MimeEntity body;
            var textPart = text != null ? CreateTextPart(TextFormat.Plain, text, GeneratedTextHolds(message, text, encoding)) : null;
            if (html != null)
            {
                MimeEntity htmlEntity = CreateTextPart(TextFormat.Html, html, encoding);
                if (message.InlineImages.Count > 0)
                {
                    var related = new MultipartRelated { htmlEntity };
                    related.ContentType.Parameters["type"] = htmlEntity.ContentType.MimeType; // RFC 2387 3.1: the root's type
                    foreach (var image in message.InlineImages)
                    {
                        var part = CreateFilePart(image, ContentDisposition.Inline);
                        part.ContentId = image.ContentId ?? MimeUtils.GenerateMessageId();
                        related.Add(part);
                    }

                    htmlEntity = related;
                }

                body = new MultipartAlternative { textPart!, htmlEntity };
            }
            else
            {
                body = textPart ?? CreateTextPart(TextFormat.Plain, string.Empty, encoding);
            }

            if (message.Attachments.Count == 0)
            {
                return body;
            }

            var mixed = new Multipart("mixed") { body };
            foreach (var attachment in message.Attachments)
            {
                mixed.Add(CreateFilePart(attachment, ContentDisposition.Attachment));
            }

            return mixed;
        }

        /// <summary>
        /// The charset for the text part: the chosen one, unless the text was generated from the HTML and an entity
        /// there (say &amp;euro; in a Latin-1 body) gave a character it can't hold; that part is then UTF-8, never "?".
        /// </summary>
        private static Encoding GeneratedTextHolds(SmtpMessage message, string text, Encoding encoding) =>
            message.TextBody == null && !CharsetCheck.Holds(encoding, text) ? new UTF8Encoding(false) : encoding;

        private static TextPart CreateTextPart(TextFormat format, string text, Encoding encoding)
        {
            var part = new TextPart(format);
            part.SetText(encoding, text);
            return part;
        }

        /// <summary>
        /// The first attachment or inline image that can't be read now (gone, a directory, locked), as the error
        /// Prepare would give; null when all can. The files are read only while the message is written, so a
        /// sender checks again right before each transaction.
        /// </summary>
        internal static SmtpHandlerException? FindUnreadableFile(SmtpMessage message)
        {
            foreach (var file in message.Attachments.Concat(message.InlineImages))
            {
                try
                {
                    CheckReadable(file);
                }
                catch (SmtpHandlerException ex)
                {
                    return ex;
                }
            }

            return null;
        }

        /// <summary>A file part whose content is read from disk while it is written: never held in memory.</summary>
        private static MimePart CreateFilePart(SmtpAttachment file, string disposition)
        {
            CheckReadable(file);
            var part = new MimePart(MimeTypes.GetMimeType(file.Path))
            {
                Content = new MimeContent(new FileContentStream(file.Path)),
                ContentDisposition = new ContentDisposition(disposition),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = new string(file.FileName.Select(c => char.IsControl(c) ? '_' : c).ToArray()),
            };
            FileNameParameter.Apply(part, part.FileName);
            return part;
        }

        /// <summary>Whether a file to attach or embed is a file that can be read; proves it before any connection.</summary>
        private static void CheckReadable(SmtpAttachment file)
        {
            if (Directory.Exists(file.Path))
            {
                throw Invalid("AttachmentIsDirectory", "Attachments", file.Path, $"'{file.Path}' is a directory, not a file.");
            }

            if (!File.Exists(file.Path))
            {
                throw Invalid("AttachmentNotFound", "Attachments", file.Path, $"The attachment '{file.Path}' does not exist.");
            }

            try
            {
                using (File.Open(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                {
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw Invalid("AttachmentUnreadable", "Attachments", file.Path, $"The attachment '{file.Path}' cannot be read: {ex.Message}");
            }
        }

        private static void SetPriority(MimeMessage mime, SmtpMessagePriority priority)
        {
            switch (priority)
            {
                case SmtpMessagePriority.High:
                    mime.Priority = MessagePriority.Urgent;
                    mime.Importance = MessageImportance.High;
                    mime.XPriority = XMessagePriority.Highest;
                    break;
                case SmtpMessagePriority.Low:
                    mime.Priority = MessagePriority.NonUrgent;
                    mime.Importance = MessageImportance.Low;
                    mime.XPriority = XMessagePriority.Lowest;
                    break;
            }
        }

        private static void CheckCustomHeader(string name, string? value)
        {
            if (string.IsNullOrEmpty(name) || name.Any(c => c <= 32 || c >= 127 || c == ':'))
            {
                throw Invalid("InvalidHeaderName", "Header", name, $"'{name}' is not a valid header name (printable ASCII without spaces or colons).");
            }

            if (ReservedHeaders.Contains(name))
            {
                throw Invalid("ReservedHeader", "Header", name, $"The header '{name}' is set by its own parameter; it can't be given with -Header.");
            }

            RequireSingleLine(value ?? string.Empty, $"Header '{name}'");
            RfcLimits.CheckHeaderLine(name, value ?? string.Empty, "Header");
        }

        private static void AddCustomHeader(MimeMessage mime, string name, string? value)
        {
            CheckCustomHeader(name, value);
            mime.Headers.Add(name, value ?? string.Empty);
        }

        private static string RequireSingleLine(string value, string parameter)
        {
            if (value.IndexOf('\r') >= 0 || value.IndexOf('\n') >= 0 || value.IndexOf('\0') >= 0)
            {
                throw Invalid("HeaderInjection", parameter.Split(' ')[0], value, $"{parameter} contains a line break; header values must be one line (a line break could add headers).");
            }

            return value;
        }

        private static MailboxAddress? ParseOptional(string? text, string parameter) =>
            string.IsNullOrWhiteSpace(text) ? null : MailAddressParser.Parse(text, parameter);

        private static List<MailboxAddress> ParseRecipients(IEnumerable<string>? addresses, string parameter, bool skipInvalid, List<SmtpRecipientResult> refused)
        {
            var list = new List<MailboxAddress>();
            foreach (var text in addresses ?? Array.Empty<string>())
            {
                if (MailAddressParser.TryParse(text, out var mailbox, out var why))
                {
                    list.Add(mailbox!);
                }
                else if (skipInvalid)
                {
                    refused.Add(new SmtpRecipientResult(text ?? string.Empty, SmtpRecipientStatus.NotAttempted, reason: $"Invalid address: {why}", errorId: "InvalidMailAddress"));
                }
                else
                {
                    MailAddressParser.Parse(text, parameter);
                }
            }

            return list;
        }

        internal static DeliveryStatusNotification? ToMailKit(SmtpDeliveryNotification option)
        {
            if (option == SmtpDeliveryNotification.None)
            {
                return null;
            }

            if (option.HasFlag(SmtpDeliveryNotification.Never))
            {
                return DeliveryStatusNotification.Never;
            }

            var notify = default(DeliveryStatusNotification);
            if (option.HasFlag(SmtpDeliveryNotification.OnSuccess))
            {
                notify |= DeliveryStatusNotification.Success;
            }

            if (option.HasFlag(SmtpDeliveryNotification.OnFailure))
            {
                notify |= DeliveryStatusNotification.Failure;
            }

            if (option.HasFlag(SmtpDeliveryNotification.Delay))
            {
                notify |= DeliveryStatusNotification.Delay;
            }

            return notify;
        }

        private static SmtpHandlerException Invalid(string errorId, string parameter, object? target, string message) =>
            new(errorId, SmtpFailureKind.InvalidArgument, message, target) { ParameterName = parameter };
    }
}
