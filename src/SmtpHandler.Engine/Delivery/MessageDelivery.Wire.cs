using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// What a message's delivery does about extensions the server lacks: a copy without 8-bit headers when there
    /// is no SMTPUTF8, and a warning when DSN was asked for and is not offered (MailKit leaves NOTIFY out silently).
    /// </summary>
    internal sealed partial class MessageDelivery
    {
        private readonly List<string> warnings = new();

        /// <summary>The message as this connection may carry it: no header with 8-bit octets unless SMTPUTF8 is offered.</summary>
        private MimeMessage MimeFor(RecordingSmtpClient client)
        {
            try
            {
                return message.MimeFor(client.Capabilities.HasFlag(SmtpCapabilities.UTF8));
            }
            catch (SmtpHandlerException ex) when (ex.Target is string path)
            {
                // The 7-bit copy is built here, after the files were checked: one gone since fails this message alone.
                throw new AttachmentReadException(path, ex);
            }
        }

        // MailKit says SMTPUTF8 on MAIL only for an international envelope address or format: UTF-8 headers need it too.
        private static readonly FormatOptions InternationalWireFormat = International(WireFormat);

        /// <summary>Sends this connection's form of the message, saying SMTPUTF8 whenever a header carries 8-bit octets.</summary>
        private string SendMime(RecordingSmtpClient client, List<MailboxAddress> batch, CancellationToken token)
        {
            var mime = MimeFor(client);
            var format = client.Capabilities.HasFlag(SmtpCapabilities.UTF8) && SevenBitHeaders.HasEightBitHeader(mime) ? InternationalWireFormat : WireFormat;
            return client.Send(format, mime, message.EnvelopeSenderMailbox, batch, token);
        }

        private static FormatOptions International(FormatOptions format)
        {
            var international = format.Clone();
            international.International = true;
            return international;
        }

        private void NoteMissingExtensions(RecordingSmtpClient client)
        {
            if (message.Notify != null && !client.Capabilities.HasFlag(SmtpCapabilities.Dsn))
            {
                Warn($"{session.Endpoint} does not offer DSN (RFC 3461): -DeliveryNotificationOption was not passed on, so no delivery status notification was asked for.");
            }
        }

        private void Warn(string text)
        {
            if (!warnings.Contains(text))
            {
                warnings.Add(text);
                log.Step(text);
            }
        }

        /// <summary>Why a recipient is not attempted for want of SMTPUTF8, and what the others' copy says of it.</summary>
        private string SmtpUtf8Reason(MailboxAddress mailbox, bool senderNeedsIt)
        {
            var lacking = $"{session.Endpoint} does not offer SMTPUTF8";
            if (senderNeedsIt)
            {
                return NeedsSmtpUtf8(message.EnvelopeSenderMailbox)
                    ? $"{lacking}, which the sender <{message.EnvelopeSender}> needs (its local part is not ASCII)."
                    : $"{lacking}, which the header {SevenBitHeaders.UnwritableOriginator(message.Mime)} needs (its local part is not ASCII and can't be written in a 7-bit header).";
            }

            var inHeader = SevenBitHeaders.Recipients(message.Mime).Any(m => m.Address == mailbox.Address);
            return $"{lacking}, which <{mailbox.Address}> needs (its local part is not ASCII)."
                + (inHeader ? " The copy sent to the other recipients leaves it out of its To/Cc header: it can't be written in a 7-bit header." : string.Empty);
        }
    }
}
