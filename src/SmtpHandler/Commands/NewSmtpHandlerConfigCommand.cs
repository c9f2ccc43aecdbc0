using System;
using System.IO;
using System.Linq;
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
        /// Settings as a hashtable whose keys are this cmdlet's parameter names (case-insensitive), as the seed's
        /// from_config. A parameter given as well wins over its key. Never a password: pass -Credential.
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

        // One config per pipeline item ('a', 'b' | New-SmtpHandlerConfig, or Import-Csv rows with SmtpServer and
        // Port); without pipeline input ProcessRecord runs once.
        protected override void ProcessRecord()
        {
            if (ParameterSetName != ParametersSet)
            {
                ApplySettings();
            }

            WriteObject(BuildConfig(config => WithOAuth(config) with
            {
                DefaultFrom = DefaultFrom,
                RecipientsPerMessage = RecipientsPerMessage,
                MaxMessagesPerConnection = MaxMessagesPerConnection,
                ConnectionCount = ConnectionCount,
                RetryCount = RetryCount,
                RetryDelay = TimeSpan.FromSeconds(RetryDelay),
                PickupDirectory = PickupDirectory == null ? null : GetUnresolvedProviderPathFromPSPath(PickupDirectory),
            }));
        }

        /// <summary>Sets this cmdlet's parameters from -FromHashtable or the file of -Path/-LiteralPath.</summary>
        private void ApplySettings()
        {
            var binder = new ConfigSettingsBinder(this, nameof(FromHashtable), nameof(Path), nameof(LiteralPath));
            if (FromHashtable != null)
            {
                binder.Apply(ConfigSettingsBinder.Read(FromHashtable), null);
                return;
            }

            var file = SettingsFile();
            object settings;
            try
            {
                var script = file.EndsWith(".psd1", StringComparison.OrdinalIgnoreCase)
                    ? "Microsoft.PowerShell.Utility\\Import-PowerShellDataFile -LiteralPath $args[0]"
                    : "Microsoft.PowerShell.Management\\Get-Content -LiteralPath $args[0] -Raw | Microsoft.PowerShell.Utility\\ConvertFrom-Json";
                var read = InvokeCommand.InvokeScript(script, file);
                settings = read.Count == 1 && read[0] != null ? read[0] : throw new InvalidDataException("it does not hold one object of settings.");
            }
            catch (Exception ex) when (ex is RuntimeException || ex is InvalidDataException || ex is IOException)
            {
                ThrowTerminatingError(ErrorRecords.Create("InvalidConfigurationFile", ErrorCategory.InvalidData, $"Cannot read the settings in '{file}': {ex.Message}", file, ex));
                return;
            }

            binder.Apply(ConfigSettingsBinder.Read(settings), System.IO.Path.GetDirectoryName(file));
        }

        private string SettingsFile()
        {
            var given = Path ?? LiteralPath!;
            var files = new System.Collections.Generic.List<string>();
            try
            {
                files.AddRange(Path != null
                    ? GetResolvedProviderPathFromPSPath(Path, out _)
                    : new[] { SessionState.Path.GetUnresolvedProviderPathFromPSPath(LiteralPath) });
            }
            catch (ItemNotFoundException)
            {
                // Reported below, as for a path that matches nothing.
            }

            if (files.Count != 1 || !File.Exists(files[0]))
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "ConfigFileNotFound",
                    ErrorCategory.ObjectNotFound,
                    files.Count > 1 ? $"'{given}' matches {files.Count} files; give one settings file." : $"Cannot find the settings file '{given}'.",
                    given));
            }

            return files[0];
        }
    }
}
