using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage -MessagePath: stored messages (.eml files, a pickup folder) sent as they are, one result
    /// per file. The envelope is -From/-To, else the file's X-Sender/X-Receiver lines, else its headers.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        private const string MessageSet = "Message";
        private const string ReplaySet = "Replay";

        private readonly List<string> messageFiles = new();

        /// <summary>
        /// Message files to send as they are: wildcards are expanded, a path that exists as written is taken
        /// literally; file objects (Get-ChildItem) are taken by their path.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = ReplaySet, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        [FilePathTransformation]
        public string[]? MessagePath { get; set; }

        private bool Replaying => ParameterSetName == ReplaySet;

        private void BeginReplay()
        {
            files = new ProviderFiles(this);
            config = BuildConfig(WithLimits(GivenConnection(files)), Config);
            if (StatePath != null || config.StatePath != null)
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "MessagePathWithStatePath",
                    ErrorCategory.InvalidArgument,
                    "-MessagePath can't be used with a state file (-StatePath, or the config's StatePath): a state file records one message, and each file is its own message.",
                    StatePath ?? config.StatePath));
            }

            if (config.DkimDomain != null)
            {
                // A stored message goes out byte for byte, so the relay's DKIM identity is not applied to it.
                WriteWarning($"The configuration DKIM-signs what it sends as {config.DkimDomain}, but -MessagePath sends stored files unchanged: they are not DKIM-signed.");
            }

            Log.Step($"Sending stored messages through {config}");
            mailer = new SmtpMailer(config, Log);
        }

        /// <summary>Each path of this record resolved to files now; one that names no file is an error of its own.</summary>
        private void CollectMessagePaths()
        {
            foreach (var path in MessagePath ?? Array.Empty<string>())
            {
                try
                {
                    foreach (var file in files!.Resolve(path, nameof(MessagePath)))
                    {
                        RequireRegularFile(file);
                        messageFiles.Add(file);
                    }
                }
                catch (SmtpHandlerException ex)
                {
                    WriteSmtpError(ex);
                    itemErrors++;
                }
            }
        }

        /// <summary>
        /// A device, pipe or socket is refused before it is opened (opening a pipe blocks): on Unix, PowerShell 7's
        /// file-system provider says what a path is (UnixStat); elsewhere the engine refuses what is not seekable.
        /// </summary>
        private void RequireRegularFile(string path)
        {
            var mode = UnixItemType(path);
            var target = path;
            if (mode == "SymbolicLink")
            {
                // A link is judged by what it finally points to: a link to a pipe would block in open() like the pipe.
                target = RegularFile.FinalPath(path);
                mode = target == path ? null : UnixItemType(target);
            }

            if (mode != null && mode != "File")
            {
                var what = target == path ? $"it is a {mode}" : $"it is a link to '{target}', a {mode}";
                throw new SmtpHandlerException("MessageFileNotRegular", SmtpFailureKind.InvalidArgument, $"'{path}' is not a regular file ({what}).", path) { ParameterName = nameof(MessagePath) };
            }
        }

        /// <summary>What PowerShell 7's file-system provider says a path is (File, Directory, SymbolicLink, NamedPipe…); null where it can't.</summary>
        private string? UnixItemType(string path)
        {
            try
            {
                // The provider's item carries the file's stat (UnixStat), which UnixMode reads; a bare FileInfo does not.
                var item = SessionState.InvokeProvider.Item.Get(new[] { path }, true, true).FirstOrDefault();
                var stat = item?.Properties["UnixStat"]?.Value;
                return stat == null ? null : PSObject.AsPSObject(stat).Properties["ItemType"]?.Value?.ToString();
            }
            catch (Exception ex) when (!(ex is PipelineStoppedException))
            {
                // Windows, or a PowerShell without UnixMode: the engine's own checks stand.
                return null;
            }
        }

        private void EndReplay()
        {
            var to = commandLine.Contains(nameof(To)) ? SplitAddresses(To) : null;
            var notify = MessageComposer.ToDeliveryNotification(DeliveryNotificationOption);
            var prepared = new List<PreparedMessage>();
            var paths = new List<string>();
            foreach (var path in messageFiles)
            {
                try
                {
                    prepared.Add(mailer!.PrepareStored(path, From, to, notify));
                    paths.Add(path);
                }
                catch (SmtpHandlerException ex)
                {
                    WriteError(new ErrorRecord(
                        new SmtpHandlerException(ex.ErrorId, ex.Kind, ex.Message.Contains(path) ? ex.Message : $"'{path}': {ex.Message}", path, ex) { ParameterName = ex.ParameterName },
                        ex.ErrorId,
                        ErrorCategory.InvalidData,
                        path));
                    itemErrors++;
                }
            }

            if (AllOrNothing && itemErrors > 0)
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "InvalidInputNothingSent",
                    ErrorCategory.InvalidData,
                    $"Nothing was sent: -AllOrNothing, and {itemErrors} message file(s) can't be sent (see the errors above).",
                    null));
            }

            var via = config!.ToString();
            var confirmed = new List<PreparedMessage>();
            var confirmedPaths = new List<string>();
            for (var i = 0; i < prepared.Count; i++)
            {
                var m = prepared[i];
                if (ShouldProcess($"{m.Recipients.Count} recipient(s) via {via}", $"Send '{paths[i]}' ('{m.Subject}') from {m.EnvelopeSender}"))
                {
                    confirmed.Add(m);
                    confirmedPaths.Add(paths[i]);
                }
            }

            if (confirmed.Count == 0)
            {
                return;
            }

            Log.Step($"Sending {confirmed.Count} stored message(s) to {confirmed.Sum(m => m.Recipients.Count)} recipient(s)");
            Send(confirmed, confirmedPaths);
        }
    }
}
