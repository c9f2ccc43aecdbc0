using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;
using System.Threading.Tasks;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Sends mail through the SMTP handler: a drop-in for Send-MailMessage (same parameters), with recipients
    /// from the pipeline, one message for all of them or one per item (-Individual), everything validated before
    /// connecting, one connection, and one result object per message.
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "SmtpMessage", SupportsShouldProcess = true)]
    [OutputType(typeof(SmtpSendResult))]
    public sealed class SendSmtpMessageCommand : SmtpCmdletBase
    {
        // From this many messages on, -Individual builds them on every core (a few would not repay the threads).
        private const int ParallelPrepareThreshold = 64;
        private readonly List<ItemParts> items = new();
        private readonly HashSet<string> pipelineSubjects = new(StringComparer.Ordinal);
        private readonly HashSet<string> pipelineBodies = new(StringComparer.Ordinal);
        private readonly HashSet<string> pipelineHtmlBodies = new(StringComparer.Ordinal);
        private HashSet<string> commandLine = new(StringComparer.OrdinalIgnoreCase);
        private MessageParameters parameters = new();
        private SmtpHandlerConfig? config;
        private SmtpMailer? mailer;
        private ProviderFiles? files;
        private int itemErrors;

        // ---- Send-MailMessage's parameters: same names, types, positions and aliases ----

        /// <summary>Recipients. Objects piped in give theirs through these property names (the same list as PipelineItemReader).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("EmailAddress", "Email", "Mail", "PrimarySmtpAddress", "WindowsEmailAddress", "UserPrincipalName", "Address")]
        public string[]? To { get; set; }

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("sub")]
        public string? Subject { get; set; }

        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        public string? Body { get; set; }

        [Parameter(Position = 3)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? SmtpServer { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Cc { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Bcc { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ReplyTo { get; set; }

        [Parameter]
        [Alias("BAH")]
        public SwitchParameter BodyAsHtml { get; set; }

        /// <summary>Files to attach: wildcards are expanded, a path that exists as written is taken literally.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("PsPath")]
        [ValidateNotNullOrEmpty]
        public string[]? Attachments { get; set; }

        [Parameter]
        public MailPriority Priority { get; set; } = MailPriority.Normal;

        [Parameter]
        [Alias("DNO")]
        public DeliveryNotificationOptions DeliveryNotificationOption { get; set; } = DeliveryNotificationOptions.None;

        /// <summary>The body's character set; UTF-8 when not given (Send-MailMessage's default was ASCII).</summary>
        [Parameter]
        [Alias("BE")]
        [ValidateNotNullOrEmpty]
        [EncodingTransformation]
        public Encoding? Encoding { get; set; }

        /// <summary>0 (or not given) means the config's port, else 25.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        /// <summary>STARTTLS, as in Send-MailMessage; port 465 means implicit TLS by itself.</summary>
        [Parameter]
        public SwitchParameter UseSsl { get; set; }

        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        // ---- SmtpHandler's own ----

        /// <summary>A pipeline item: a recipient (string, MailAddress, object with an address property) or a file to attach.</summary>
        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>A configuration from New-SmtpHandlerConfig; inline connection parameters override its values.</summary>
        [Parameter]
        [ValidateNotNull]
        [RequireSmtpHandlerConfig]
        public SmtpHandlerConfig? Config { get; set; }

        /// <summary>Implicit TLS on any port (port 465 has it by itself).</summary>
        [Parameter]
        public SwitchParameter UseTls { get; set; }

        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerMessage { get; set; }

        /// <summary>
        /// Connections to use at once for several messages (-Individual, or many per-item messages): each takes the
        /// next unsent message in turn. Results still come out in the order of the messages. 1 (the default, or the
        /// config's ConnectionCount) sends them one after another over one connection.
        /// </summary>
        [Parameter]
        [ValidateRange(1, SmtpHandlerConfig.MaxConnectionCount)]
        public int ConnectionCount { get; set; } = 1;

        /// <summary>The HTML alternative of -Body (then -Body is the text part), or the only body.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? HtmlBody { get; set; }

        /// <summary>Images for the HTML body: @{ logo = 'logo.png' } is referenced as &lt;img src="cid:logo"&gt;.</summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? InlineImage { get; set; }

        [Parameter]
        [Alias("Headers")]
        [ValidateNotNull]
        public IDictionary? Header { get; set; }

        /// <summary>The envelope sender and Sender header, when it differs from From.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Sender { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? MessageId { get; set; }

        /// <summary>One message per pipeline item instead of one message to all of them.</summary>
        [Parameter]
        public SwitchParameter Individual { get; set; }

        /// <summary>The header piped recipients land in: To (default), Cc or Bcc (mass mail: nobody sees the others).</summary>
        [Parameter]
        public PipelineRecipientHeader PipelineAs { get; set; } = PipelineRecipientHeader.To;

        /// <summary>Any invalid address or unusable pipeline item stops the whole send before connecting.</summary>
        [Parameter]
        public SwitchParameter AllOrNothing { get; set; }

        protected override void BeginProcessing()
        {
            // What the command line gave. A script block for a pipeline parameter (delay-bind) is listed as bound
            // but has no value yet: it is evaluated per item, so it does not count.
            commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            foreach (var perItem in new (string Name, object? Value)[] { (nameof(To), To), (nameof(Subject), Subject), (nameof(Body), Body), (nameof(HtmlBody), HtmlBody), (nameof(Attachments), Attachments) })
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

            files = new ProviderFiles(SessionState.Path);
            config = Try(() => new SendConnectionSettings
            {
                Config = Config,
                SmtpServer = SmtpServer,
                Port = commandLine.Contains(nameof(Port)) ? Port : null,
                UseSsl = UseSsl,
                UseTls = UseTls,
                Credential = Credential,
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
                RecipientsPerMessage = commandLine.Contains(nameof(RecipientsPerMessage)) ? RecipientsPerMessage : null,
                ConnectionCount = commandLine.Contains(nameof(ConnectionCount)) ? ConnectionCount : null,
                PSEmailServer = SessionState.PSVariable.GetValue("PSEmailServer") as string,
            }.Resolve());
            Log.Step($"Sending through {config}");

            parameters = new MessageParameters
            {
                From = From,
                Sender = Sender,
                To = SplitAddresses(commandLine.Contains(nameof(To)) ? To : null),
                Cc = SplitAddresses(Cc),
                Bcc = SplitAddresses(Bcc),
                ReplyTo = SplitAddresses(ReplyTo),
                Subject = commandLine.Contains(nameof(Subject)) ? Subject : null,
                Body = commandLine.Contains(nameof(Body)) ? Body : null,
                HtmlBody = commandLine.Contains(nameof(HtmlBody)) ? HtmlBody : null,
                BodyAsHtml = BodyAsHtml,
                Attachments = commandLine.Contains(nameof(Attachments)) ? ResolveFilesOrStop(Attachments!) : Array.Empty<string>(),
                InlineImages = Try(() => files.InlineImages(InlineImage)),
                Priority = MessageComposer.ToPriority(Priority),
                DeliveryNotification = MessageComposer.ToDeliveryNotification(DeliveryNotificationOption),
                Headers = MessageComposer.ToHeaders(Header),
                Encoding = Encoding,
                MessageId = MessageId,
                PipelineHeader = PipelineAs,
            };

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

            Try(() => mailer.Validate(template));
        }

        protected override void ProcessRecord()
        {
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
            var prepared = Individual ? PrepareIndividual() : PrepareSingle();
            if (prepared == null)
            {
                return;
            }

            var invalid = ReportInvalidAddresses(prepared);
            if (AllOrNothing && (invalid > 0 || itemErrors > 0))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "InvalidInputNothingSent",
                    ErrorCategory.InvalidData,
                    $"Nothing was sent: -AllOrNothing, and {invalid} invalid address(es) and {itemErrors} unusable pipeline item(s) were found (see the errors above).",
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
            Log.Step($"Sending {confirmed.Count} message(s) to {confirmed.Sum(m => m.Recipients.Count)} recipient(s) over {(connections > 1 ? $"{connections} connections at once" : "one connection")}");
            Send(confirmed);
        }

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

            if (BoundFromPipeline(nameof(Attachments)) is string[] attachments)
            {
                try
                {
                    itemFiles.AddRange(attachments.SelectMany(files!.Resolve));
                }
                catch (SmtpHandlerException ex)
                {
                    WriteSmtpError(ex);
                    itemErrors++;
                    return;
                }
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

        /// <summary>Default mode: all pipeline recipients and files in one message.</summary>
        private List<PreparedMessage>? PrepareSingle()
        {
            var message = MessageComposer.Single(
                parameters,
                items.SelectMany(i => i.Addresses),
                items.SelectMany(i => i.Files),
                parameters.Subject ?? OneValue(pipelineSubjects, nameof(Subject)),
                parameters.Body ?? OneValue(pipelineBodies, nameof(Body)),
                parameters.HtmlBody ?? OneValue(pipelineHtmlBodies, nameof(HtmlBody)));
            RequireHtmlForInlineImages(message);
            var prepared = Try(() => mailer!.Prepare(message, skipInvalidRecipients: true));
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
                    WriteError(new ErrorRecord(
                        new SmtpHandlerException(ex.ErrorId, ex.Kind, $"Pipeline item {i + 1} {PipelineItemReader.Describe(items[i].Item.Item)}: {ex.Message} No message was made for it.", ex.Target, ex),
                        ex.ErrorId,
                        ErrorCategory.InvalidArgument,
                        ex.Target));
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

        private void Send(List<PreparedMessage> messages)
        {
            var progress = new SendProgress(this, messages.Count, messages.Sum(m => m.Recipients.Count), config!.ToString());
            var reported = new HashSet<string>(StringComparer.Ordinal);
            progress.Start();
            try
            {
                foreach (var result in mailer!.Send(messages, CancelToken))
                {
                    progress.Advance(result);
                    WriteObject(result);
                    WriteResultErrors(result, reported);
                }
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                // Ctrl+C: the results written so far stand; the pipeline is stopping.
                throw new PipelineStoppedException();
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
            }
            finally
            {
                progress.Complete();
            }
        }

        private void WriteResultErrors(SmtpSendResult result, HashSet<string> reported)
        {
            // A failure that dooms the rest of the send (connection, TLS, login) is said once, not per message.
            if (result.ErrorId != null && reported.Add(result.ErrorId + "\n" + result.Error))
            {
                WriteError(ErrorRecords.MessageFailed(result, config!.SmtpServer));
            }

            foreach (var rejected in result.Rejected)
            {
                WriteError(ErrorRecords.RecipientRejected(rejected, result));
            }

            foreach (var skipped in result.NotAttempted.Where(r => r.ErrorId != null && r.ErrorId != "InvalidMailAddress"))
            {
                WriteError(ErrorRecords.RecipientNotAttempted(skipped, $"{skipped.Address} was not sent '{result.Subject}': {skipped.Reason}"));
            }

            foreach (var unknown in result.Unknown)
            {
                WriteWarning($"Delivery of '{result.Subject}' to {unknown.Address} is unknown: {unknown.Reason}");
            }
        }

        /// <summary>Each invalid address once, as a non-terminating error; returns how many there were.</summary>
        private int ReportInvalidAddresses(List<PreparedMessage> prepared)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var refused in prepared.SelectMany(m => m.RefusedBeforeSending).Where(r => r.ErrorId == "InvalidMailAddress"))
            {
                if (seen.Add(refused.Address))
                {
                    var why = refused.Reason?.Replace("Invalid address: ", string.Empty);
                    WriteError(ErrorRecords.RecipientNotAttempted(
                        refused,
                        $"'{refused.Address}' is not a valid mail address: {why} {(AllOrNothing ? "Nothing will be sent (-AllOrNothing)." : "It is left out; the other recipients are sent to.")}"));
                }
            }

            return seen.Count;
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
                nameof(Attachments) => Attachments,
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

        private void RequireHtmlForInlineImages(SmtpMessage message)
        {
            if (message.InlineImages.Count > 0 && message.HtmlBody == null)
            {
                ThrowTerminatingError(ErrorRecords.Create("InlineImageNeedsHtml", ErrorCategory.InvalidArgument, "-InlineImage images are shown by an HTML body (<img src=\"cid:name\">): give -HtmlBody, or -Body with -BodyAsHtml. Nothing was sent.", InlineImage));
            }
        }

        private static IReadOnlyList<string> SplitAddresses(IEnumerable<string>? addresses) =>
            addresses == null ? Array.Empty<string>() : addresses.SelectMany(MailAddressList.Split).ToList();

        private IReadOnlyList<string> ResolveFilesOrStop(IEnumerable<string> paths) =>
            Try(() => paths.SelectMany(files!.Resolve).Distinct(StringComparer.Ordinal).ToList());

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
