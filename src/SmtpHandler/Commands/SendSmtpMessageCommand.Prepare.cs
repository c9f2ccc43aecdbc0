using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's messages: one for everything collected, or one per item (-Individual), each checked and
    /// built by the engine before anything connects; invalid addresses and items are reported here.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>Default mode: all pipeline recipients and files in one message.</summary>
        private List<PreparedMessage>? PrepareSingle()
        {
            var agreed = AgreedParameters();
            var pipelineAddresses = items.SelectMany(i => i.Addresses).ToList();
            HintAtPipelineAs(pipelineAddresses.Count);
            var message = MessageComposer.Single(
                agreed,
                pipelineAddresses,
                items.SelectMany(i => i.Files),
                parameters.Subject ?? messageAgreement.Agreed<string>(nameof(Subject)),
                parameters.Body ?? messageAgreement.Agreed<string>(nameof(Body)),
                parameters.HtmlBody ?? messageAgreement.Agreed<string>(nameof(HtmlBody)));
            RequireHtmlForInlineImages(message);
            PreparedMessage prepared;
            try
            {
                prepared = mailer!.Prepare(message, skipInvalidRecipients: true);
            }
            catch (SmtpHandlerException ex) when (ex.ErrorId == "NoSender")
            {
                // Like an item's own failure in -Individual mode: an error that -ErrorAction governs, and nothing is sent.
                WriteSmtpError(ex);
                return null;
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                throw;
            }

            Log.Step($"Prepared one message '{prepared.Subject}' for {prepared.Recipients.Count} recipient(s){(items.Count > 0 ? $" ({items.Count} from the pipeline)" : string.Empty)}");
            return new List<PreparedMessage> { prepared };
        }

        /// <summary>-Individual: one message per pipeline item; placeholders checked for every item before any is built.</summary>
        private List<PreparedMessage>? PrepareIndividual()
        {
            if (items.Count == 0)
            {
                WriteWarning(itemErrors > 0 ? "-Individual: no usable pipeline item, so no message was sent." : "-Individual sends one message per pipeline item, and nothing was piped in: no message was sent.");
                return null;
            }

            var values = items.Select(PlaceholderValues.For).ToList();
            for (var i = 0; i < items.Count; i++)
            {
                foreach (var template in MessageComposer.Templates(parameters, items[i]))
                {
                    var unknown = template.Value.Unknown(values[i]).ToList();
                    if (unknown.Count > 0)
                    {
                        var offered = string.Join(", ", values[i].Available);
                        ThrowTerminatingError(ErrorRecords.Create(
                            "UnknownPlaceholder",
                            ErrorCategory.InvalidArgument,
                            $"-{template.Key} uses {string.Join(", ", unknown.Select(u => "{" + u + "}"))}, which pipeline item {i + 1} {PipelineItemReader.Describe(items[i].Item.Item)} does not have. It has: {offered}. Nothing was sent. For literal braces write {{{{ and }}}}.",
                            "{" + unknown[0] + "}"));
                    }
                }
            }

            var messages = new SmtpMessage[items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                messages[i] = MessageComposer.ForItem(parameters, items[i], values[i]);
                RequireHtmlForInlineImages(messages[i]);
            }

            var built = PrepareAll(messages);
            var prepared = new List<PreparedMessage>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                if (built[i].Failure is SmtpHandlerException ex)
                {
                    // Through ErrorRecords, so an invalid address is the FormatException a script catches.
                    WriteError(ErrorRecords.From(
                        new SmtpHandlerException(ex.ErrorId, ex.Kind, $"Pipeline item {i + 1} {PipelineItemReader.Describe(items[i].Item.Item)}: {ex.Message} No message was made for it.", ex.Target, ex)));
                    itemErrors++;
                }
                else
                {
                    prepared.Add(built[i].Message!);
                }
            }

            if (parameters.MessageId != null)
            {
                var duplicate = prepared.GroupBy(m => m.MessageId, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
                if (duplicate != null)
                {
                    ThrowTerminatingError(ErrorRecords.Create("DuplicateMessageId", ErrorCategory.InvalidArgument, $"-MessageId gives {duplicate.Count()} messages the id <{duplicate.Key}>; each message needs its own: use a placeholder that differs per item, e.g. '{{Id}}.report@example.com'. Nothing was sent.", duplicate.Key));
                }
            }

            Log.Step($"Prepared {prepared.Count} message(s), one per pipeline item");
            return prepared;
        }

        /// <summary>
        /// The engine checks and builds each message (pure .NET: the SmtpMessages hold no PowerShell objects). Many
        /// messages are built on every core at once; the caller reports failures in item order on this thread.
        /// </summary>
        private (PreparedMessage? Message, SmtpHandlerException? Failure)[] PrepareAll(SmtpMessage[] messages)
        {
            var built = new (PreparedMessage? Message, SmtpHandlerException? Failure)[messages.Length];
            void Build(int i)
            {
                try
                {
                    built[i] = (mailer!.Prepare(messages[i], skipInvalidRecipients: true), null);
                }
                catch (SmtpHandlerException ex)
                {
                    built[i] = (null, ex);
                }
            }

            if (messages.Length < ParallelPrepareThreshold || Environment.ProcessorCount < 2)
            {
                for (var i = 0; i < messages.Length; i++)
                {
                    Build(i);
                }

                return built;
            }

            try
            {
                Parallel.For(0, messages.Length, new ParallelOptions { CancellationToken = CancelToken }, Build);
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            return built;
        }

        /// <summary>Each invalid address once, as a non-terminating error; returns how many there were.</summary>
        private int ReportInvalidAddresses(List<PreparedMessage> prepared)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var message in prepared)
            {
                // "The others are sent to" only when there are others: a message left with none is not sent.
                var consequence = AllOrNothing
                    ? "Nothing will be sent (-AllOrNothing)."
                    : message.Recipients.Count > 0 ? "It is left out; the other recipients are sent to." : "It is left out, and no valid recipient is left: the message is not sent.";
                foreach (var refused in message.RefusedBeforeSending.Where(r => r.ErrorId == ErrorRecords.InvalidMailAddress))
                {
                    if (seen.Add(refused.Address))
                    {
                        var why = refused.Reason?.Replace("Invalid address: ", string.Empty);
                        WriteError(ErrorRecords.RecipientNotAttempted(refused, $"'{refused.Address}' is not a valid mail address: {why} {consequence}"));
                    }
                }
            }

            return seen.Count;
        }

        /// <summary>
        /// With -AllOrNothing: each recipient an encrypted message could not be sent to (no certificate names it) once,
        /// as a non-terminating error before the send stops; returns how many there were.
        /// </summary>
        private int ReportUnreadableRecipients(List<PreparedMessage> prepared)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var refused in prepared.SelectMany(m => m.RefusedBeforeSending).Where(r => r.ErrorId == MessageSecurityErrors.NoEncryptionCertificate))
            {
                if (seen.Add(refused.Address))
                {
                    WriteError(ErrorRecords.RecipientNotAttempted(refused, $"{refused.Reason} Nothing will be sent (-AllOrNothing)."));
                }
            }

            return seen.Count;
        }

        private void RequireHtmlForInlineImages(SmtpMessage message)
        {
            if (message.InlineImages.Count > 0 && message.HtmlBody == null)
            {
                ThrowTerminatingError(ErrorRecords.Create("InlineImageNeedsHtml", ErrorCategory.InvalidArgument, "-InlineImage images are shown by an HTML body (<img src=\"cid:name\">): give -HtmlBody, or -Body with -BodyAsHtml. Nothing was sent.", InlineImage));
            }
        }
    }
}
