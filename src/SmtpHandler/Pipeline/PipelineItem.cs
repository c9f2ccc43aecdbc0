using System.Collections.Generic;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>What one pipeline item of Send-SmtpMessage carries: recipient addresses, or a file to attach.</summary>
    internal sealed class PipelineItem
    {
        public PipelineItem(PSObject item, IReadOnlyList<string> addresses, string? file)
        {
            Item = item;
            Addresses = addresses;
            File = file;
        }

        public PSObject Item { get; }

        /// <summary>The recipient texts ("a@x.test" or "Name &lt;a@x.test&gt;"), not yet validated.</summary>
        public IReadOnlyList<string> Addresses { get; }

        /// <summary>A file item (from Get-ChildItem): attached, as Send-MailMessage does with piped files.</summary>
        public string? File { get; }
    }
}
