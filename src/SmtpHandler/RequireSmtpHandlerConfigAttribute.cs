using System;
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
            var value = inputData is PSObject ps ? ps.BaseObject : inputData;
            if (value == null || value is SmtpHandlerConfig)
            {
                return value;
            }

            // Not an exception: for a piped object that would end the pipeline. A value PowerShell can't convert
            // lets the binder move on (a piped object then binds -SmtpServer and -Port by property name); on the
            // command line PowerShell's conversion error then quotes this text.
            return new NotAConfig(value);
        }
    }

    /// <summary>What -Config got instead of a configuration; its text says what to give.</summary>
    public sealed class NotAConfig
    {
        private readonly string typeName;

        internal NotAConfig(object value)
        {
            typeName = value.GetType().Name;
        }

        public override string ToString() =>
            $"-Config takes a configuration made by New-SmtpHandlerConfig, not a {typeName}; for settings in a hashtable or a file use New-SmtpHandlerConfig -FromHashtable or -Path";
    }
}
