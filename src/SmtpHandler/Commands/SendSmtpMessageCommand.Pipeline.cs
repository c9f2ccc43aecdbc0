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
            PipelineItem item;
            try
            {
                item = PipelineItemReader.Read(obj);
            }
            catch (SmtpHandlerException ex)
            {
                if (BoundFromPipeline(nameof(To)) is string[] scripted && scripted.Length > 0)
                {
                    item = new PipelineItem(obj, SplitAddresses(scripted), null);
                }
                else
                {
                    WriteSmtpError(ex);
                    itemErrors++;
                    return;
                }
            }

            var parts = new ItemParts(item) { Addresses = item.Addresses };

            // A -To script block (delay-bind) wins over the address properties the item carries.
            if (BoundFromPipeline(nameof(To)) is string[] to && to.Length > 0 && !PipelineItemReader.IsAddressPropertyValue(obj, to))
            {
                parts.Addresses = SplitAddresses(to);
            }

            parts.Subject = BoundFromPipeline(nameof(Subject)) as string;
            parts.Body = BoundFromPipeline(nameof(Body)) as string;
            parts.HtmlBody = BoundFromPipeline(nameof(HtmlBody)) as string;
            var itemFiles = new List<string>();
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
                Remember(pipelineSubjects, parts.Subject);
                Remember(pipelineBodies, parts.Body);
                Remember(pipelineHtmlBodies, parts.HtmlBody);
            }

            items.Add(parts);
        }

        /// <summary>
        /// The paths an -Attachments script block gave for this item; none without one. A piped file attaches as
        /// the item itself, and what an item's Attachments or PsPath property bound is data, not a request to
        /// mail a file: it is ignored, with one warning that says how to ask for per-item files.
        /// </summary>
        private IEnumerable<string> ItemAttachments(PSObject obj, PipelineItem item)
        {
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
                _ => null,
            };
        }

        private static void Remember(HashSet<string> values, string? value)
        {
            if (value != null)
            {
                values.Add(value);
            }
        }

        /// <summary>A value bound from pipeline items in default mode: fine when they all agree.</summary>
        private string? OneValue(HashSet<string> values, string parameter)
        {
            if (values.Count > 1)
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "PerItemValueNeedsIndividual",
                    ErrorCategory.InvalidArgument,
                    $"The pipeline items give {values.Count} different values for -{parameter}, but without -Individual they all go into one message. Add -Individual for one message per item, or give -{parameter} on the command line. Nothing was sent.",
                    parameter));
            }

            return values.FirstOrDefault();
        }

        private static IReadOnlyList<string> SplitAddresses(IEnumerable<string>? addresses) =>
            addresses == null ? Array.Empty<string>() : addresses.SelectMany(MailAddressList.Split).ToList();
    }
}
