using System;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Builds a reusable, validated connection configuration for Send-SmtpMessage and Test-SmtpConnection.</summary>
    [Cmdlet(VerbsCommon.New, "SmtpHandlerConfig", DefaultParameterSetName = ParametersSet)]
    [OutputType(typeof(SmtpHandlerConfig))]
    public sealed partial class NewSmtpHandlerConfigCommand : SmtpConnectionCmdletBase
    {
        private const string ParametersSet = "Parameters";
        private const string HashtableSet = "FromHashtable";
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        /// <summary>
        /// Settings as a hashtable whose keys are this cmdlet's parameter names (case-insensitive). A parameter
        /// given as well wins over its key. Never a password: pass -Credential.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = HashtableSet)]
        [ValidateNotNull]
        public System.Collections.IDictionary? FromHashtable { get; set; }

        /// <summary>
        /// A settings file (.json, or .psd1) with the same keys as -FromHashtable. Relative paths in it are taken
        /// relative to the file's folder.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet)]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Like -Path, without wildcard expansion.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string? LiteralPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DefaultFrom { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerMessage { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxMessagesPerConnection { get; set; }

        /// <summary>Connections a send of several messages may use at once (Send-SmtpMessage -ConnectionCount).</summary>
        [Parameter]
        [ValidateRange(1, SmtpHandlerConfig.MaxConnectionCount)]
        public int ConnectionCount { get; set; } = 1;

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

        /// <summary>The state file Send-SmtpMessage keeps with this configuration (Send-SmtpMessage -StatePath).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        // One config per pipeline item ('a', 'b' | New-SmtpHandlerConfig, or Import-Csv rows with SmtpServer and
        // Port); without pipeline input ProcessRecord runs once.
        protected override void ProcessRecord()
        {
            if (ParameterSetName != ParametersSet)
            {
                ApplySettings();
            }

            var files = new ProviderFiles(this);
            var given = GivenConnection(files);
            given.DefaultFrom = DefaultFrom;
            given.RecipientsPerMessage = RecipientsPerMessage;
            given.MaxMessagesPerConnection = MaxMessagesPerConnection;
            given.ConnectionCount = ConnectionCount;
            given.RetryCount = RetryCount;
            given.RetryDelay = TimeSpan.FromSeconds(RetryDelay);
            AddOAuth(given, files);
            given.PickupDirectory = PickupDirectory == null ? null : GetUnresolvedProviderPathFromPSPath(PickupDirectory);
            given.StatePath = StatePath == null ? null : GetUnresolvedProviderPathFromPSPath(StatePath);
            AddDkim(given, files);
            WriteObject(BuildConfig(WithService(given), ServiceBase()));
        }
    }
}
