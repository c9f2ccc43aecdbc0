using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Sends mail through the SMTP handler: a drop-in for Send-MailMessage (same parameters), with recipients
    /// from the pipeline, one message for all of them or one per item (-Individual), everything validated before
    /// connecting, one connection, and one result object per message.
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "SmtpMessage", SupportsShouldProcess = true, DefaultParameterSetName = MessageSet)]
    [OutputType(typeof(SmtpSendResult))]
    public sealed partial class SendSmtpMessageCommand : SmtpCmdletBase
    {
        // From this many messages on, -Individual builds them on every core (a few would not repay the threads).
        private const int ParallelPrepareThreshold = 64;
        private readonly List<ItemParts> items = new();
        private readonly PipelineAgreement messageAgreement = new();
        private readonly PipelineAgreement connectionAgreement = new();
        private readonly List<string> pipelineCc = new();
        private readonly List<string> pipelineBcc = new();
        private ConfigParameters givenConnection = new();
        private HashSet<string> commandLine = new(StringComparer.OrdinalIgnoreCase);
        private MessageParameters parameters = new();
        private SmtpHandlerConfig? config;
        private SmtpMailer? mailer;
        private ProviderFiles? files;
        private int itemErrors;
        private bool attachmentsPerItem;
        private bool warnedOfAttachmentProperty;

        protected override void BeginProcessing()
        {
            // What the command line gave. A script block for a pipeline parameter (delay-bind) is listed as bound
            // but has no value yet: it is evaluated per item, so it does not count.
            commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            if (Replaying)
            {
                BeginReplay();
                return;
            }

            // A script block stands in the bound parameters (PowerShell's own holder, not a ScriptBlock) while the property is unset.
            attachmentsPerItem = MyInvocation.BoundParameters.TryGetValue(nameof(Attachments), out var givenAttachments) && givenAttachments != null && Attachments == null;
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Attachments)) && !attachmentsPerItem && !HasEveryPath(Attachments))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "ParameterArgumentValidationError",
                    ErrorCategory.InvalidData,
                    "Cannot validate argument on parameter 'Attachments'. The argument is null or empty, or an element of it is: give the files to attach, or leave -Attachments out.",
                    givenAttachments));
            }

            RequireCommandLineValues();
            foreach (var perItem in new (string Name, object? Value)[] { (nameof(To), To), (nameof(Subject), Subject), (nameof(Body), Body), (nameof(HtmlBody), HtmlBody), (nameof(Attachments), Attachments), (nameof(From), From), (nameof(Cc), Cc), (nameof(Bcc), Bcc), (nameof(ReplyTo), ReplyTo), (nameof(SmtpServer), SmtpServer) })
            {
                if (perItem.Value == null)
                {
                    commandLine.Remove(perItem.Name);
                }
            }

            if (BodyAsHtml && commandLine.Contains(nameof(HtmlBody)))
            {
                ThrowTerminatingError(ErrorRecords.Create("BodyAsHtmlWithHtmlBody", ErrorCategory.InvalidArgument, "-BodyAsHtml makes -Body the HTML body, so -HtmlBody can't be given too. For a text and an HTML part, give -Body (text) and -HtmlBody without -BodyAsHtml.", HtmlBody));
            }

            files = new ProviderFiles(this);
            givenConnection = WithLimits(GivenConnection(files));
            config = BuildConfig(givenConnection, Config);
            Log.Step($"Sending through {config}");
            parameters = GivenMessage(files);
            parameters.Security = GivenSecurity(files);

            // Everything given once is checked once, before any pipeline item: sender, headers, files.
            mailer = new SmtpMailer(config, Log);
            var template = MessageComposer.Template(parameters);
            if (Individual)
            {
                template.MessageId = null;
            }

            // Recipients are checked with each real message (an invalid one is reported there, or stops the send
            // with -AllOrNothing); here they would only be parsed twice, which costs with thousands of -Bcc.
            template.To = Array.Empty<string>();
            template.Cc = Array.Empty<string>();
            template.Bcc = Array.Empty<string>();

            // The sender may come from each pipeline item (From by property name): each real message is checked with its own.
            if (template.From == null && template.Sender == null && config.DefaultFrom == null)
            {
                template.From = SenderFromPipelineStandIn;
            }

            Try(() => mailer.Validate(template));
        }

        protected override void ProcessRecord()
        {
            if (Replaying)
            {
                CollectMessagePaths();
                return;
            }

            if (InputObject == null)
            {
                return;
            }

            // -InputObject given an array on the command line: each element is an item.
            var objects = InputObject.BaseObject is IEnumerable many && !(InputObject.BaseObject is string) && !(InputObject.BaseObject is IDictionary)
                ? many.Cast<object?>().Where(o => o != null).Select(PSObject.AsPSObject)
                : new[] { InputObject };
            foreach (var item in objects)
            {
                Collect(item);
            }
        }

        protected override void EndProcessing()
        {
            if (Replaying)
            {
                EndReplay();
                return;
            }

            UseItemConnection();
            WarnOfLiteralPlaceholders();
            var prepared = Individual ? PrepareIndividual() : PrepareSingle();
            if (prepared == null)
            {
                return;
            }

            var invalid = ReportInvalidAddresses(prepared);
            var unreadable = AllOrNothing ? ReportUnreadableRecipients(prepared) : 0;
            if (AllOrNothing && (invalid > 0 || itemErrors > 0 || unreadable > 0))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "InvalidInputNothingSent",
                    ErrorCategory.InvalidData,
                    $"Nothing was sent: -AllOrNothing, and {invalid} invalid address(es), {unreadable} recipient(s) without an encryption certificate and {itemErrors} unusable pipeline item(s) were found (see the errors above).",
                    null));
            }

            // Every confirmation before connecting: a server would not wait while a prompt does.
            var via = config!.ToString();
            var confirmed = prepared.Where(m => ShouldProcess(
                $"{m.Recipients.Count} recipient(s) via {via}",
                $"Send '{m.Subject}' from {m.EnvelopeSender}")).ToList();
            if (confirmed.Count == 0)
            {
                return;
            }

            var connections = Math.Min(config!.ConnectionCount, confirmed.Count);
            if (config.MaxConnections > 0)
            {
                // The engine caps it too, and says why.
                connections = Math.Min(connections, config.MaxConnections);
            }

            Log.Step($"Sending {confirmed.Count} message(s) to {confirmed.Sum(m => m.Recipients.Count)} recipient(s) over {(connections > 1 ? $"{connections} connections at once" : "one connection")}");
            Send(confirmed);
        }

        private static bool HasEveryPath(string[]? paths) => paths != null && paths.Length > 0 && paths.All(p => !string.IsNullOrEmpty(p));

        private T Try<T>(Func<T> action)
        {
            try
            {
                return action();
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                throw;
            }
        }

        private void Try(Action action) => Try(() =>
        {
            action();
            return true;
        });
    }
}
