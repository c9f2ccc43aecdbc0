using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Maps Send-SmtpMessage's parameters (and pipeline items) to the engine's message model.</summary>
    internal static class MessageComposer
    {
        /// <summary>The message without pipeline recipients: checked once before any item is used.</summary>
        public static SmtpMessage Template(MessageParameters p) => Build(p, Array.Empty<string>(), p.Subject, p.Body, p.HtmlBody, Array.Empty<string>(), p.MessageId);

        /// <summary>Default mode: every pipeline recipient in one message.</summary>
        public static SmtpMessage Single(MessageParameters p, IEnumerable<string> pipelineAddresses, IEnumerable<string> pipelineFiles, string? subject, string? body, string? htmlBody) =>
            Build(p, pipelineAddresses.ToList(), subject, body, htmlBody, pipelineFiles.ToList(), p.MessageId);

        /// <summary>-Individual: one message for one item; command-line templates get the item's placeholders.</summary>
        public static SmtpMessage ForItem(MessageParameters commandLine, ItemParts item, PlaceholderValues values)
        {
            var p = commandLine.With(item.Values);
            var html = p.BodyAsHtml;
            var subject = item.Subject ?? Expand(p, p.Subject, values, false);
            var body = item.Body ?? Expand(p, p.Body, values, html);
            var htmlBody = item.HtmlBody ?? Expand(p, p.HtmlBody, values, true);
            var messageId = Expand(p, p.MessageId, values, false);
            return Build(p, item.Addresses, subject, body, htmlBody, item.Files, messageId);
        }

        /// <summary>The command-line texts that take placeholders in -Individual mode, by parameter name.</summary>
        public static IEnumerable<KeyValuePair<string, PlaceholderTemplate>> Templates(MessageParameters p, ItemParts item)
        {
            if (item.Subject == null && p.Subject != null)
            {
                yield return new KeyValuePair<string, PlaceholderTemplate>("Subject", p.Template(p.Subject));
            }

            if (item.Body == null && p.Body != null)
            {
                yield return new KeyValuePair<string, PlaceholderTemplate>("Body", p.Template(p.Body));
            }

            if (item.HtmlBody == null && p.HtmlBody != null)
            {
                yield return new KeyValuePair<string, PlaceholderTemplate>("HtmlBody", p.Template(p.HtmlBody));
            }

            if (p.MessageId != null)
            {
                yield return new KeyValuePair<string, PlaceholderTemplate>("MessageId", p.Template(p.MessageId));
            }
        }

        /// <summary>-Header @{...} as the engine's header dictionary.</summary>
        public static IDictionary<string, string> ToHeaders(IDictionary? header)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (header != null)
            {
                foreach (DictionaryEntry entry in header)
                {
                    var value = entry.Value is PSObject ps ? ps.BaseObject : entry.Value;
                    headers[entry.Key?.ToString() ?? string.Empty] = value?.ToString() ?? string.Empty;
                }
            }

            return headers;
        }

        /// <summary>Send-MailMessage's priority as the engine's.</summary>
        public static SmtpMessagePriority ToPriority(System.Net.Mail.MailPriority priority) => priority switch
        {
            System.Net.Mail.MailPriority.High => SmtpMessagePriority.High,
            System.Net.Mail.MailPriority.Low => SmtpMessagePriority.Low,
            _ => SmtpMessagePriority.Normal,
        };

        /// <summary>Send-MailMessage's DSN options as the engine's (the same flag values).</summary>
        public static SmtpDeliveryNotification ToDeliveryNotification(System.Net.Mail.DeliveryNotificationOptions options) => (SmtpDeliveryNotification)(int)options;

        private static string? Expand(MessageParameters p, string? text, PlaceholderValues values, bool html) =>
            text == null ? null : p.Template(text).Expand(values, html);

        private static SmtpMessage Build(MessageParameters p, IReadOnlyList<string> pipelineAddresses, string? subject, string? body, string? htmlBody, IReadOnlyList<string> extraFiles, string? messageId)
        {
            var message = new SmtpMessage
            {
                From = p.From,
                Sender = p.Sender,
                To = p.To.ToList(),
                Cc = p.Cc.ToList(),
                Bcc = p.Bcc.ToList(),
                ReplyTo = p.ReplyTo.ToList(),
                Subject = subject,
                Priority = p.Priority,
                DeliveryNotification = p.DeliveryNotification,
                Headers = new Dictionary<string, string>(p.Headers, StringComparer.OrdinalIgnoreCase),
                Encoding = p.Encoding,
                MessageId = messageId,
                InlineImages = p.InlineImages.ToList(),
                CalendarEvent = p.CalendarEvent,
                Security = p.Security,
            };

            var target = p.PipelineHeader switch
            {
                PipelineRecipientHeader.Cc => message.Cc,
                PipelineRecipientHeader.Bcc => message.Bcc,
                _ => message.To,
            };
            foreach (var address in pipelineAddresses)
            {
                target.Add(address);
            }

            // -Body with -BodyAsHtml is HTML (Send-MailMessage); -Body with -HtmlBody is the text alternative.
            if (p.BodyAsHtml)
            {
                message.HtmlBody = body;
            }
            else
            {
                message.TextBody = body;
                message.HtmlBody = htmlBody;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in p.Attachments.Concat(extraFiles))
            {
                if (seen.Add(path))
                {
                    message.Attachments.Add(new SmtpAttachment(path));
                }
            }

            return message;
        }
    }
}
