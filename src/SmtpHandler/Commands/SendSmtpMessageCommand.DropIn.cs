using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// What keeps Send-SmtpMessage a drop-in for Send-MailMessage: invoked by that name (an alias,
    /// MyInvocation.InvocationName), it writes results only with -PassThru, takes piped strings and PsPath as
    /// attachments, and stops when no server was given, as the built-in did. Under its own name it keeps its
    /// own behaviour, with warnings where a Send-MailMessage habit would surprise.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>Without -Individual, this many piped recipients in To (each seeing the others) earn a hint.</summary>
        internal const int ManyPipelineRecipients = 10;

        /// <summary>The name under which Send-MailMessage scripts call this cmdlet through an alias.</summary>
        internal const string SendMailMessageName = "Send-MailMessage";

        // A syntactically valid stand-in that never reaches a message: only the template check in BeginProcessing sees it.
        private const string SenderFromPipelineStandIn = "sender-from-pipeline@invalid";

        private bool? invokedAsSendMailMessage;

        /// <summary>
        /// Writes a result object per message. The default: yes under the name Send-SmtpMessage, no under the name
        /// Send-MailMessage (which wrote nothing, so a function that calls it and returns a value keeps returning
        /// only that value). -PassThru or -PassThru:$false decides under either name.
        /// </summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Whether the caller used the name Send-MailMessage (an alias of this cmdlet), module-qualified or not.</summary>
        internal bool InvokedAsSendMailMessage => invokedAsSendMailMessage ??= IsSendMailMessageName(MyInvocation.InvocationName);

        private bool WritesResults => MyInvocation.BoundParameters.ContainsKey(nameof(PassThru)) ? PassThru.IsPresent : !InvokedAsSendMailMessage;

        internal static bool IsSendMailMessageName(string? invocationName)
        {
            var name = invocationName ?? string.Empty;
            var slash = name.LastIndexOf('\\');
            return string.Equals(slash >= 0 ? name.Substring(slash + 1) : name, SendMailMessageName, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// The values the command line gave must not be empty (what ValidateNotNullOrEmpty did before these took
        /// pipeline input, where an empty CSV cell must not drop the row). A delay-bind script block is not a value yet.
        /// </summary>
        private void RequireCommandLineValues()
        {
            foreach (var name in new[] { nameof(From), nameof(Cc), nameof(Bcc), nameof(ReplyTo), nameof(SmtpServer) })
            {
                if (!MyInvocation.BoundParameters.TryGetValue(name, out var bound))
                {
                    continue;
                }

                var value = bound is PSObject ps ? ps.BaseObject : bound;
                var empty = value switch
                {
                    null => true,
                    string text => text.Length == 0,
                    IEnumerable many => !many.Cast<object?>().Any() || many.Cast<object?>().Any(e => e == null || (e is string s && s.Length == 0)),
                    _ => false,
                };
                if (empty)
                {
                    ThrowTerminatingError(ErrorRecords.Create(
                        "ParameterArgumentValidationError",
                        ErrorCategory.InvalidData,
                        $"Cannot validate argument on parameter '{name}'. The argument is null or empty, or an element of it is: give a value, or leave -{name} out.",
                        bound));
                }
            }
        }

        /// <summary>
        /// A piped string that names files. Invoked as Send-MailMessage: they are attachments (a name that matches
        /// no file stops the command, as there). Otherwise a piped string is a recipient, and one that is no address
        /// but names a file stops the command saying how to attach it: a file is never dropped silently.
        /// Returns the files to attach (none for other items).
        /// </summary>
        private IReadOnlyList<string> PipedPaths(PSObject obj)
        {
            if (!(obj.BaseObject is string text))
            {
                return Array.Empty<string>();
            }

            if (InvokedAsSendMailMessage)
            {
                return Try(() => files!.Resolve(text).ToList());
            }

            if (text.IndexOf('@') < 0 && NamesFile(text))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "PipedPathNotAnAddress",
                    ErrorCategory.InvalidArgument,
                    $"The pipeline item '{text}' names a file, not a mail address: Send-SmtpMessage takes recipients from piped strings. To attach it, give -Attachments '{text}', or pipe the file itself (Get-Item '{text}' | Send-SmtpMessage ...). Nothing was sent.",
                    text));
            }

            return Array.Empty<string>();
        }

        private bool NamesFile(string text)
        {
            try
            {
                return files!.Resolve(text).Any();
            }
            catch (SmtpHandlerException)
            {
                return false;
            }
        }

        /// <summary>
        /// The pipeline items' server, port and STARTTLS (by property name, as Send-MailMessage declares them) for the
        /// one connection of this call, used only when neither -Config, -SmtpServer nor $PSEmailServer named a server:
        /// data (a CSV's ComputerName or Port column) must never move a configured login, or its TLS, to another host.
        /// Then, invoked as Send-MailMessage, no server at all stops the command as it did.
        /// </summary>
        private void UseItemConnection()
        {
            var itemsGaveConnection = connectionAgreement.Agreed<string>(nameof(SmtpServer)) != null ||
                connectionAgreement.Disagreement() != null || connectionAgreement.AgreedValue<int>(nameof(Port)) != null ||
                connectionAgreement.AgreedValue<bool>(nameof(UseSsl)) == true;
            if (itemsGaveConnection && ServerGivenOutsideItems())
            {
                WriteWarning("The pipeline items give -SmtpServer (ComputerName), -Port or -UseSsl, which are ignored: -Config, -SmtpServer or $PSEmailServer already names the server, and data never moves a configured login or its TLS to another host. Mail goes through " + config + ".");
                return;
            }

            if (connectionAgreement.Disagreement() is (string parameter, int count))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "PerItemConnectionDiffers",
                    ErrorCategory.InvalidArgument,
                    $"The pipeline items give {count} different values for -{parameter}, but one call sends over one connection. Call once per server (for example per group of Group-Object {parameter}), or give -{parameter} on the command line. Nothing was sent.",
                    parameter));
            }

            var server = connectionAgreement.Agreed<string>(nameof(SmtpServer));
            var port = connectionAgreement.AgreedValue<int>(nameof(Port));
            var startTls = connectionAgreement.AgreedValue<bool>(nameof(UseSsl)) == true;
            if (server != null || port != null || startTls)
            {
                givenConnection.SmtpServer = server ?? givenConnection.SmtpServer;
                givenConnection.Port = port ?? givenConnection.Port;
                givenConnection.UseStartTls |= startTls;
                config = BuildConfig(givenConnection, Config);
                mailer = new SmtpMailer(config, Log);
                Log.Step($"Sending through {config} (the connection the pipeline items gave)");
            }

            if (InvokedAsSendMailMessage && !ServerGivenOutsideItems())
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "NoSmtpServer",
                    ErrorCategory.InvalidArgument,
                    "The email cannot be sent because no SMTP server was specified: give -SmtpServer, set $PSEmailServer, or give -Config. (Called by its own name, Send-SmtpMessage sends to localhost:25 when none is given.)",
                    null));
            }
        }

        private bool ServerGivenOutsideItems() =>
            Config != null || !string.IsNullOrEmpty(givenConnection.SmtpServer) || !string.IsNullOrEmpty(ConfigParameters.PSEmailServer(this));

        /// <summary>Without -Individual nothing fills in {Name}: say so once rather than send the braces unnoticed.</summary>
        private void WarnOfLiteralPlaceholders()
        {
            if (Individual || parameters.Subject == null)
            {
                return;
            }

            var names = parameters.Template(parameters.Subject).Names;
            if (names.Count > 0)
            {
                WriteWarning($"-Subject has {string.Join(", ", names.Select(n => "{" + n + "}"))}, but placeholders are filled in only with -Individual (one message per pipeline item): the subject is sent as written. Add -Individual, or write {{{{ and }}}} for literal braces.");
            }
        }

        /// <summary>Many piped recipients in one To header see each other: a hint, unless -PipelineAs says that is meant.</summary>
        private void HintAtPipelineAs(int pipelineRecipients)
        {
            if (!Individual && PipelineAs == PipelineRecipientHeader.To && !MyInvocation.BoundParameters.ContainsKey(nameof(PipelineAs)) && pipelineRecipients >= ManyPipelineRecipients)
            {
                WriteWarning($"{pipelineRecipients} recipients from the pipeline are all in the To header of one message, so each sees every other address. For mass mail add -PipelineAs Bcc (nobody sees the others) or -Individual (one message each); -PipelineAs To says the shared list is meant and silences this warning.");
            }
        }
    }
}
