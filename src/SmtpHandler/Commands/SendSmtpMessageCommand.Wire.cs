using System.Collections.Generic;

namespace SmtpHandler.Commands
{
    /// <summary>Send-SmtpMessage's warnings about the wire: what the server could not do as asked (no DSN offered).</summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>Each of a result's warnings once per run: the same server lacks the same extension for every message.</summary>
        private void WriteResultWarnings(SmtpSendResult result, HashSet<string> reported)
        {
            foreach (var warning in result.Warnings)
            {
                if (reported.Add("warning\n" + warning))
                {
                    WriteWarning(warning);
                }
            }
        }
    }
}
