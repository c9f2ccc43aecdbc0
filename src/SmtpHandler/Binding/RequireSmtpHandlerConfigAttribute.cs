using System;
using System.Collections;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// -Config takes only a configuration made by New-SmtpHandlerConfig. Without this PowerShell would build one
    /// from any hashtable or object with matching property names, unchecked (no file is resolved, no rule
    /// applied), and a piped object with SmtpServer and Port would become a config instead of binding to
    /// -SmtpServer and -Port.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class RequireSmtpHandlerConfigAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = Unwrap(inputData);
            if (value is IList list && list.Count == 1)
            {
                // -Config @($config), as from a function that returns through @(): the one element.
                value = Unwrap(list[0]);
            }

            if (value == null || value is SmtpHandlerConfig)
            {
                return value;
            }

            // Settings meant as a configuration are refused aloud, piped or not: a hashtable, or a configuration
            // that went through serialization (Import-Clixml, a remote session, a job), which has lost its type and
            // its secrets. Piped, either would otherwise bind -SmtpServer and be tested as another server.
            if (value is IDictionary)
            {
                throw new ArgumentTransformationMetadataException(
                    "-Config takes a configuration made by New-SmtpHandlerConfig, not a hashtable: use New-SmtpHandlerConfig -FromHashtable.");
            }

            if (inputData is PSObject ps && ps.TypeNames.Contains("Deserialized." + typeof(SmtpHandlerConfig).FullName))
            {
                throw new ArgumentTransformationMetadataException(
                    "-Config got a configuration that went through serialization (Import-Clixml, a remote session or a job): it is no longer one, and its password or token is gone. Make it again with New-SmtpHandlerConfig where it is used.");
            }

            // Anything else is no exception: a piped object (an Import-Csv row with SmtpServer and Port) then binds
            // -SmtpServer and -Port by property name, as a value PowerShell can't convert lets the binder move on;
            // on the command line PowerShell's conversion error quotes this text.
            return new NotAConfig(value);
        }

        private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;
    }
}
