using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// New-SmtpHandlerConfig -FromHashtable, -Path and -LiteralPath: settings keyed by parameter name set the
    /// cmdlet's own parameters, so they make exactly the configuration the same parameters would.
    /// </summary>
    public sealed partial class NewSmtpHandlerConfigCommand
    {
        /// <summary>Sets this cmdlet's parameters from -FromHashtable or the file of -Path/-LiteralPath.</summary>
        private void ApplySettings()
        {
            var binder = new ConfigSettingsBinder(this, nameof(FromHashtable), nameof(Path), nameof(LiteralPath));
            settingsGiven = binder.Applied;
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
            var files = new List<string>();
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
