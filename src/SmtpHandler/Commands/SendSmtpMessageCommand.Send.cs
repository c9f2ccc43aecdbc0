using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Send-SmtpMessage's sending: the engine sends, each result goes to the pipeline as it comes, and its
    /// failures become errors and warnings.
    /// </summary>
    public sealed partial class SendSmtpMessageCommand
    {
        // sourcePaths: with -MessagePath, the file of each message (the results come in the order of the messages).
        private void Send(List<PreparedMessage> messages, IReadOnlyList<string>? sourcePaths = null)
        {
            var index = 0;
            var progress = new SendProgress(this, messages.Count, messages.Sum(m => m.Recipients.Count), config!.ToString());
            var reported = new HashSet<string>(StringComparer.Ordinal);
            using var state = OpenState(messages);
            WatchWaits(progress);
            progress.Start();
            try
            {
                foreach (var result in mailer!.Send(messages, state, CancelToken))
                {
                    if (sourcePaths != null && index < sourcePaths.Count)
                    {
                        result.MessagePath = sourcePaths[index++];
                    }

                    progress.Advance(result);
                    if (WritesResults)
                    {
                        WriteObject(result);
                    }

                    WriteResultErrors(result, reported);
                    WriteResultWarnings(result, reported);
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

            // A quota is said once, by the message's error above, not once per recipient it stopped.
            foreach (var skipped in result.NotAttempted.Where(r => r.ErrorId != null && r.ErrorId != "InvalidMailAddress" && r.ErrorId != "QuotaExceeded"))
            {
                WriteError(ErrorRecords.RecipientNotAttempted(skipped, $"{skipped.Address} was not sent '{result.Subject}': {skipped.Reason}"));
            }

            foreach (var unknown in result.Unknown)
            {
                WriteWarning($"Delivery of '{result.Subject}' to {unknown.Address} is unknown: {unknown.Reason}");
            }
        }
    }
}
