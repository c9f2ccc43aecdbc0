using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's parameters (Send-MailMessage's, then its own), and what the command line gave as a
    /// connection and as the parts every message shares.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        // ---- Send-MailMessage's parameters: same names, types, positions and aliases ----
        // Those Send-MailMessage takes from the pipeline by property name are taken so here too, except -Credential
        // (a secret never comes from a row of data). A value bound from an item may be empty (an empty CSV cell): it
        // counts as not given, so emptiness is checked for the command line only (DropIn.cs), not by attributes
        // that would drop the item.

        /// <summary>Recipients. Objects piped in give theirs through these property names (the same list as PipelineItemReader).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("EmailAddress", "Email", "Mail", "PrimarySmtpAddress", "WindowsEmailAddress", "UserPrincipalName", "Address")]
        public string[]? To { get; set; }

        [Parameter(ParameterSetName = MessageSet, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("sub")]
        public string? Subject { get; set; }

        [Parameter(ParameterSetName = MessageSet, Position = 2, ValueFromPipelineByPropertyName = true)]
        public string? Body { get; set; }

        [Parameter(Position = 3, ValueFromPipelineByPropertyName = true)]
        [Alias("ComputerName")]
        public string? SmtpServer { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? From { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string[]? Cc { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string[]? Bcc { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string[]? ReplyTo { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("BAH")]
        public SwitchParameter BodyAsHtml { get; set; }

        /// <summary>
        /// Files to attach: wildcards are expanded, a path that exists as written is taken literally. It takes
        /// pipeline input by property name only so that a script block can give each item its files: a value an
        /// item's Attachments or PsPath property binds is ignored (a column of data never names a file to mail),
        /// so emptiness is checked in BeginProcessing, not by a validation attribute that would drop such an item.
        /// </summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PsPath")]
        public string[]? Attachments { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public MailPriority Priority { get; set; } = MailPriority.Normal;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("DNO")]
        public DeliveryNotificationOptions DeliveryNotificationOption { get; set; } = DeliveryNotificationOptions.None;

        /// <summary>The body's character set; UTF-8 when not given (Send-MailMessage's default was ASCII).</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("BE")]
        [ValidateNotNullOrEmpty]
        [EncodingTransformation]
        [ArgumentCompleter(typeof(EncodingCompleter))]
        public Encoding? Encoding { get; set; }

        /// <summary>0 (or not given) means the config's port, else 25.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        /// <summary>STARTTLS, as in Send-MailMessage; port 465 means implicit TLS by itself. -UseStartTls is the same switch (New-SmtpHandlerConfig's name).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("UseStartTls")]
        public SwitchParameter UseSsl { get; set; }

        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        // ---- SmtpHandler's own ----

        /// <summary>A pipeline item: a recipient (string, MailAddress, object with an address property) or a file to attach.</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipeline = true)]
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
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string? HtmlBody { get; set; }

        /// <summary>Images for the HTML body: @{ logo = 'logo.png' } is referenced as &lt;img src="cid:logo"&gt;.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNull]
        public IDictionary? InlineImage { get; set; }

        [Parameter(ParameterSetName = MessageSet)]
        [Alias("Headers")]
        [ValidateNotNull]
        public IDictionary? Header { get; set; }

        /// <summary>The envelope sender and Sender header, when it differs from From.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? Sender { get; set; }

        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? MessageId { get; set; }

        /// <summary>One message per pipeline item instead of one message to all of them.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        public SwitchParameter Individual { get; set; }

        /// <summary>The header piped recipients land in: To (default), Cc or Bcc (mass mail: nobody sees the others).</summary>
        [Parameter(ParameterSetName = MessageSet)]
        public PipelineRecipientHeader PipelineAs { get; set; } = PipelineRecipientHeader.To;

        /// <summary>Any invalid address or unusable pipeline item stops the whole send before connecting.</summary>
        [Parameter]
        public SwitchParameter AllOrNothing { get; set; }

        /// <summary>The connection parameters given on the command line, to lay over -Config (or the defaults).</summary>
        private ConfigParameters GivenConnection(ProviderFiles files) => new ConfigParameters
        {
            SmtpServer = SmtpServer,
            Port = commandLine.Contains(nameof(Port)) ? Port : null,
            UseStartTls = UseSsl,
            UseTls = UseTls,
            Credential = Credential,
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
            RecipientsPerMessage = commandLine.Contains(nameof(RecipientsPerMessage)) ? RecipientsPerMessage : null,
            ConnectionCount = commandLine.Contains(nameof(ConnectionCount)) ? ConnectionCount : null,
            Proxy = Proxy,
            ProxyCredential = ProxyCredential,
        }.WithTls(GivenTls, files);

        /// <summary>The message parts given on the command line, shared by every message of the call; files resolved.</summary>
        private MessageParameters GivenMessage(ProviderFiles files) => new()
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
            Attachments = commandLine.Contains(nameof(Attachments)) ? Try(() => Attachments!.SelectMany(files.Resolve).Distinct(StringComparer.Ordinal).ToList()) : Array.Empty<string>(),
            InlineImages = Try(() => files.InlineImages(InlineImage)),
            Priority = MessageComposer.ToPriority(Priority),
            DeliveryNotification = MessageComposer.ToDeliveryNotification(DeliveryNotificationOption),
            Headers = MessageComposer.ToHeaders(Header),
            Encoding = Encoding,
            MessageId = MessageId,
            PipelineHeader = PipelineAs,
            CalendarEvent = GivenCalendarEvent(),
        };
    }
}
