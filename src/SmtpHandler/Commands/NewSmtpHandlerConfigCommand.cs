using System;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Builds a reusable, validated connection configuration for Send-SmtpMessage and Test-SmtpConnection.</summary>
    [Cmdlet(VerbsCommon.New, "SmtpHandlerConfig")]
    [OutputType(typeof(SmtpHandlerConfig))]
    public sealed partial class NewSmtpHandlerConfigCommand : SmtpConnectionCmdletBase
    {
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DefaultFrom { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerMessage { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxMessagesPerConnection { get; set; }

        [Parameter]
        [ValidateRange(0, 100)]
        public int RetryCount { get; set; } = SmtpHandlerConfig.DefaultRetryCount;

        /// <summary>Seconds before the first retry; each further retry waits twice as long.</summary>
        [Parameter]
        [ValidateRange(0.0, 3600.0)]
        public double RetryDelay { get; set; } = SmtpHandlerConfig.DefaultRetryDelay.TotalSeconds;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? PickupDirectory { get; set; }

        protected override void EndProcessing()
        {
            WriteObject(BuildConfig(config => WithOAuth(config) with
            {
                DefaultFrom = DefaultFrom,
                RecipientsPerMessage = RecipientsPerMessage,
                MaxMessagesPerConnection = MaxMessagesPerConnection,
                RetryCount = RetryCount,
                RetryDelay = TimeSpan.FromSeconds(RetryDelay),
                PickupDirectory = PickupDirectory == null ? null : GetUnresolvedProviderPathFromPSPath(PickupDirectory),
            }));
        }
    }
}
