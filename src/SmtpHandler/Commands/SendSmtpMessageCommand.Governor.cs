using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's sending limits: the pace and the day's budget (over the config's, or a service's), and the
    /// waits they cause, shown by Write-Progress and -Verbose.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>
        /// At most this many messages (transactions) a minute, evenly spaced across every connection together: one
        /// every 60/N seconds, never in a burst. 0 for no pacing; the config's (or its service's) value when not given.
        /// </summary>
        [Parameter]
        [ValidateRange(0.0, 60000.0)]
        public double MaxMessagesPerMinute { get; set; }

        /// <summary>
        /// Recipients a rolling 24 hours allows; with -StatePath the recipients earlier runs with the file sent count
        /// too. The recipients past it are not attempted (QuotaExceeded). 0 for no budget.
        /// </summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerDay { get; set; }

        /// <summary>The limits given on the command line, laid over -Config (or the defaults) with the other connection parameters.</summary>
        private ConfigParameters WithLimits(ConfigParameters given)
        {
            given.MaxMessagesPerMinute = commandLine.Contains(nameof(MaxMessagesPerMinute)) ? MaxMessagesPerMinute : null;
            given.RecipientsPerDay = commandLine.Contains(nameof(RecipientsPerDay)) ? RecipientsPerDay : null;
            return given;
        }

        /// <summary>Each wait of the send (pacing, a retry's back-off) is shown as progress, and pacing is narrated with -Verbose (retries narrate themselves).</summary>
        private void WatchWaits(SendProgress progress)
        {
            mailer!.Waiting = wait =>
            {
                if (wait.Reason == SmtpSendWaitReason.Pacing)
                {
                    Log.Step(wait.Text);
                }

                progress.Waiting(wait);
            };
        }
    }
}
