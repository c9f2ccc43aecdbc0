using System.Diagnostics;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Write-Progress for a send that takes more than a moment (several messages, or many recipients). Called
    /// only from the pipeline thread, between messages; updates at most four times a second.
    /// </summary>
    internal sealed class SendProgress
    {
        private const int ActivityId = 0x5370;
        private readonly Cmdlet cmdlet;
        private readonly int messages;
        private readonly int recipients;
        private readonly bool enabled;
        private readonly Stopwatch sinceUpdate = new();
        private int messagesDone;
        private int recipientsDone;
        private bool waited;

        public SendProgress(Cmdlet cmdlet, int messages, int recipients, string server)
        {
            this.cmdlet = cmdlet;
            this.messages = messages;
            this.recipients = recipients;
            Server = server;
            enabled = messages > 1 || recipients > 100;
        }

        private string Server { get; }

        public void Start()
        {
            if (enabled)
            {
                Write($"Sending {messages} message(s) to {recipients} recipient(s) through {Server}");
            }
        }

        public void Advance(SmtpSendResult result)
        {
            messagesDone++;
            recipientsDone += result.Recipients.Count;
            if (enabled && sinceUpdate.ElapsedMilliseconds >= 250)
            {
                Write($"{messagesDone} of {messages} message(s) sent, {recipientsDone} of {recipients} recipient(s) handled");
            }
        }

        /// <summary>
        /// A wait of the send, told before it begins: the status says why and how long ("30 messages/minute: next in
        /// 1.8 s", "Retry 1 of 3 ...: next try in 2.0 s"). Always shown, even for one message: an interactive user
        /// should see why nothing moves.
        /// </summary>
        public void Waiting(SmtpSendWait wait)
        {
            var percent = recipients > 0 ? (int)(100L * recipientsDone / recipients) : (int)(100L * messagesDone / System.Math.Max(1, messages));
            var record = new ProgressRecord(ActivityId, "Send-SmtpMessage", $"{messagesDone} of {messages} message(s) sent; waiting: {wait.Text}")
            {
                PercentComplete = System.Math.Min(100, percent),
                SecondsRemaining = -1,
                CurrentOperation = wait.Text,
            };
            cmdlet.WriteProgress(record);
            sinceUpdate.Restart();
            waited = true;
        }

        public void Complete()
        {
            if (enabled || waited)
            {
                cmdlet.WriteProgress(new ProgressRecord(ActivityId, "Send-SmtpMessage", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private void Write(string status)
        {
            var percent = recipients > 0 ? (int)(100L * recipientsDone / recipients) : (int)(100L * messagesDone / System.Math.Max(1, messages));
            cmdlet.WriteProgress(new ProgressRecord(ActivityId, "Send-SmtpMessage", status) { PercentComplete = System.Math.Min(100, percent) });
            sinceUpdate.Restart();
        }
    }
}
