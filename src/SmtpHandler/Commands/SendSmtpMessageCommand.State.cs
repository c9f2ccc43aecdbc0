using System.Collections.Generic;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's state file: the parameters that name it, and opening it before anything connects. The
    /// engine keeps it (<see cref="SendStateFile"/>); a failure to open it stops the command with its ErrorId.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>
        /// A file that records each recipient's outcome (JSON lines). A rerun with the same file skips the recipients
        /// already settled and holds back as Unknown those whose transaction was in flight when the earlier run ended.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        /// <summary>With -StatePath: sends again the recipients whose delivery an earlier run could not know (they may get it twice).</summary>
        [Parameter]
        public SwitchParameter ResendUnknown { get; set; }

        /// <summary>With -StatePath: goes on with a state file written for a different message.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>The state file of this send, opened and locked; null without -StatePath (or the config's StatePath).</summary>
        private SendStateFile? OpenState(List<PreparedMessage> messages)
        {
            var path = StatePath ?? config!.StatePath;
            if (path == null)
            {
                return null;
            }

            // The fingerprint: what the command line gave for all messages (-Individual), or the one message itself.
            var message = Individual ? MessageComposer.Template(parameters) : messages[0].Source;
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            Log.Step($"State file {full}");
            return Try(() => SendStateFile.Open(full, message, ResendUnknown, Force));
        }
    }
}
