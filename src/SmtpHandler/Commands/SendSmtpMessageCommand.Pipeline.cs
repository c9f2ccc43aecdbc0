using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's pipeline collection: each item's recipients, files, and the values it bound by property
    /// name or through a script block, kept until EndProcessing makes the messages.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        private void Collect(PSObject obj)
        {
            var values = ItemValues();
            var piped = PipedPaths(obj);
            if (piped == null)
            {
                itemErrors++;
                return;
            }

            PipelineItem item;
            try
            {
                item = piped.Count > 0 ? new PipelineItem(obj, Array.Empty<string>(), null) : PipelineItemReader.Read(obj);
            }
            catch (SmtpHandlerException ex)
            {
                if (BoundFromPipeline(nameof(To)) is string[] scripted && scripted.Length > 0)
                {
                    item = new PipelineItem(obj, SplitAddresses(scripted), null);
                }
                else if (values.Cc.Count > 0 || values.Bcc.Count > 0 || (InvokedAsSendMailMessage && PropertyAttachments().Any()))
                {
                    // Its recipients are in Cc or Bcc, or (as Send-MailMessage) it brings only files.
                    item = new PipelineItem(obj, Array.Empty<string>(), null);
                }
                else
                {
                    WriteSmtpError(ex);
                    itemErrors++;
                    return;
                }
            }

            var parts = new ItemParts(item) { Addresses = item.Addresses, Values = values, Connection = ItemConnectionValues() };

            // A -To script block (delay-bind) wins over the address properties the item carries.
            if (BoundFromPipeline(nameof(To)) is string[] to && to.Length > 0 && !PipelineItemReader.IsAddressPropertyValue(obj, to))
            {
                parts.Addresses = SplitAddresses(to);
            }

            parts.Subject = BoundFromPipeline(nameof(Subject)) as string;
            parts.Body = BoundFromPipeline(nameof(Body)) as string;
            parts.HtmlBody = BoundFromPipeline(nameof(HtmlBody)) as string;
            var itemFiles = new List<string>(piped);
            if (item.File != null)
            {
                itemFiles.Add(item.File);
            }

            try
            {
                itemFiles.AddRange(ItemAttachments(obj, item).SelectMany(files!.Resolve));
            }
            catch (SmtpHandlerException ex)
            {
                WriteSmtpError(ex);
                itemErrors++;
                return;
            }

            parts.Files = itemFiles.Distinct(StringComparer.Ordinal).ToList();
            if (!Individual)
            {
                AgreeOnMessage(parts);
            }

            AgreeOnConnection(parts.Connection);
            items.Add(parts);
        }

        /// <summary>
        /// The paths an -Attachments script block gave for this item; none without one. A piped file attaches as
        /// the item itself, and what an item's Attachments or PsPath property bound is data, not a request to
        /// mail a file: it is ignored, with one warning that says how to ask for per-item files.
        /// </summary>
        private IEnumerable<string> ItemAttachments(PSObject obj, PipelineItem item)
        {
            if (InvokedAsSendMailMessage && !commandLine.Contains(nameof(Attachments)))
            {
                // Send-MailMessage attached what an item's Attachments or PsPath property named: a script written for it expects that.
                return PropertyAttachments();
            }

            if (attachmentsPerItem)
            {
                return HasEveryPath(Attachments)
                    ? Attachments!
                    : throw new SmtpHandlerException(
                        "AttachmentNotFound",
                        SmtpFailureKind.InvalidArgument,
                        $"The -Attachments script block gave no file for the pipeline item {PipelineItemReader.Describe(obj)}, so it was skipped.",
                        obj) { ParameterName = nameof(Attachments) };
            }

            if (!commandLine.Contains(nameof(Attachments)) && item.File == null && Attachments != null && Attachments.Any(p => !string.IsNullOrEmpty(p)) && !warnedOfAttachmentProperty)
            {
                warnedOfAttachmentProperty = true;
                WriteWarning("The pipeline items' Attachments or PsPath property attaches nothing: files come from -Attachments, from piped files (Get-ChildItem), or per item with -Individual -Attachments { $_.Attachments }.");
            }

            return Array.Empty<string>();
        }

        /// <summary>The value a parameter got from the current pipeline item (its property, or a script block), if any.</summary>
        private object? BoundFromPipeline(string name)
        {
            // Parameters bound from an item are reset to null before the next item, so a value here is this item's.
            if (commandLine.Contains(name))
            {
                return null;
            }

            return name switch
            {
                nameof(To) => To,
                nameof(Subject) => Subject,
                nameof(Body) => Body,
                nameof(HtmlBody) => HtmlBody,
                nameof(From) => From,
                nameof(Cc) => Cc,
                nameof(Bcc) => Bcc,
                nameof(ReplyTo) => ReplyTo,
                nameof(BodyAsHtml) => BodyAsHtml,
                nameof(Priority) => Priority,
                nameof(DeliveryNotificationOption) => DeliveryNotificationOption,
                nameof(Encoding) => Encoding,
                nameof(SmtpServer) => SmtpServer,
                nameof(Port) => Port,
                nameof(UseSsl) => UseSsl,
                _ => null,
            };
        }

        /// <summary>The message values this item bound by property name; defaults and empty values count as not given.</summary>
        private ItemMessageValues ItemValues() => new()
        {
            From = BoundFromPipeline(nameof(From)) is string from && !string.IsNullOrWhiteSpace(from) ? from : null,
            Cc = NonEmptyAddresses(BoundFromPipeline(nameof(Cc)) as string[]),
            Bcc = NonEmptyAddresses(BoundFromPipeline(nameof(Bcc)) as string[]),
            ReplyTo = NonEmptyAddresses(BoundFromPipeline(nameof(ReplyTo)) as string[]),
            BodyAsHtml = BoundFromPipeline(nameof(BodyAsHtml)) is SwitchParameter html && html.IsPresent,
            Priority = BoundFromPipeline(nameof(Priority)) is System.Net.Mail.MailPriority priority && priority != System.Net.Mail.MailPriority.Normal ? MessageComposer.ToPriority(priority) : null,
            DeliveryNotification = BoundFromPipeline(nameof(DeliveryNotificationOption)) is System.Net.Mail.DeliveryNotificationOptions dno && dno != System.Net.Mail.DeliveryNotificationOptions.None ? MessageComposer.ToDeliveryNotification(dno) : null,
            Encoding = BoundFromPipeline(nameof(Encoding)) as System.Text.Encoding,
        };

        private ItemConnection ItemConnectionValues() => new()
        {
            SmtpServer = BoundFromPipeline(nameof(SmtpServer)) is string server && !string.IsNullOrWhiteSpace(server) ? server.Trim() : null,
            Port = BoundFromPipeline(nameof(Port)) is int port && port != 0 ? port : null,
            UseSsl = BoundFromPipeline(nameof(UseSsl)) is SwitchParameter ssl && ssl.IsPresent,
        };

        /// <summary>Default mode: the values that must be the same for every item of the one message.</summary>
        private void AgreeOnMessage(ItemParts parts)
        {
            messageAgreement.Add(nameof(Subject), parts.Subject);
            messageAgreement.Add(nameof(Body), parts.Body);
            messageAgreement.Add(nameof(HtmlBody), parts.HtmlBody);
            var v = parts.Values;
            messageAgreement.Add(nameof(From), v.From);
            messageAgreement.Add(nameof(ReplyTo), v.ReplyTo.Count > 0 ? v.ReplyTo : null, string.Join(",", v.ReplyTo));
            messageAgreement.Add(nameof(BodyAsHtml), v.BodyAsHtml ? (object)true : null);
            messageAgreement.Add(nameof(Priority), v.Priority);
            messageAgreement.Add(nameof(DeliveryNotificationOption), v.DeliveryNotification);
            messageAgreement.Add(nameof(Encoding), v.Encoding, v.Encoding?.WebName + (v.Encoding?.GetPreamble().Length > 0 ? "+bom" : string.Empty));
            AddOnce(pipelineCc, v.Cc);
            AddOnce(pipelineBcc, v.Bcc);
        }

        /// <summary>A Cc or Bcc that many rows repeat (a CSV column) is named once in the message, whatever its case.</summary>
        private static void AddOnce(List<string> list, IEnumerable<string> values)
        {
            foreach (var value in values)
            {
                if (!list.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
                {
                    list.Add(value.Trim());
                }
            }
        }

        /// <summary>Every mode: one call is one connection, so the items' servers, ports and TLS must agree.</summary>
        private void AgreeOnConnection(ItemConnection connection)
        {
            connectionAgreement.Add(nameof(SmtpServer), connection.SmtpServer, connection.SmtpServer?.ToLowerInvariant());
            connectionAgreement.Add(nameof(Port), connection.Port);
            connectionAgreement.Add(nameof(UseSsl), connection.UseSsl ? (object)true : null);
        }

        /// <summary>Default mode: what all the items gave alike, laid over the command line's parameters; refused when they differ.</summary>
        private MessageParameters AgreedParameters()
        {
            if (messageAgreement.Disagreement() is (string parameter, int count))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "PerItemValueNeedsIndividual",
                    ErrorCategory.InvalidArgument,
                    $"The pipeline items give {count} different values for -{parameter}, but without -Individual they all go into one message. Add -Individual for one message per item, or give -{parameter} on the command line. Nothing was sent.",
                    parameter));
            }

            return parameters.With(new ItemMessageValues
            {
                From = messageAgreement.Agreed<string>(nameof(From)),
                Cc = pipelineCc,
                Bcc = pipelineBcc,
                ReplyTo = messageAgreement.Agreed<IReadOnlyList<string>>(nameof(ReplyTo)) ?? Array.Empty<string>(),
                BodyAsHtml = messageAgreement.AgreedValue<bool>(nameof(BodyAsHtml)) == true,
                Priority = messageAgreement.AgreedValue<SmtpMessagePriority>(nameof(Priority)),
                DeliveryNotification = messageAgreement.AgreedValue<SmtpDeliveryNotification>(nameof(DeliveryNotificationOption)),
                Encoding = messageAgreement.Agreed<System.Text.Encoding>(nameof(Encoding)),
            });
        }

        /// <summary>What an item's Attachments or PsPath property named (bound to -Attachments by property name).</summary>
        private IReadOnlyList<string> PropertyAttachments() =>
            !commandLine.Contains(nameof(Attachments)) && Attachments != null ? Attachments.Where(p => !string.IsNullOrEmpty(p)).ToList() : Array.Empty<string>();

        private static IReadOnlyList<string> NonEmptyAddresses(string[]? addresses) =>
            addresses == null ? Array.Empty<string>() : SplitAddresses(addresses.Where(a => !string.IsNullOrWhiteSpace(a))).Where(a => !string.IsNullOrWhiteSpace(a)).ToList();

        private static IReadOnlyList<string> SplitAddresses(IEnumerable<string>? addresses) =>
            addresses == null ? Array.Empty<string>() : addresses.SelectMany(MailAddressList.Split).ToList();
    }
}
