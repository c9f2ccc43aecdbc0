using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Whether $PSDefaultParameterValues gives a cmdlet a parameter. PowerShell lists such values among the bound
    /// parameters as if the caller had typed them, and a profile line such as '*:Credential' must not count as
    /// something the caller gave this call.
    /// </summary>
    internal static class DefaultParameterValues
    {
        public static bool Supplies(PSCmdlet cmdlet, string parameterName, string[] aliases)
        {
            if (!(cmdlet.SessionState.PSVariable.GetValue("PSDefaultParameterValues") is IDictionary defaults) || IsDisabled(defaults))
            {
                return false;
            }

            var commandName = cmdlet.MyInvocation.MyCommand.Name;
            foreach (var key in defaults.Keys.OfType<string>())
            {
                var colon = key.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }

                var parameter = key.Substring(colon + 1).Trim();
                var command = key.Substring(0, colon).Trim();
                if ((parameter.Equals(parameterName, StringComparison.OrdinalIgnoreCase) || aliases.Contains(parameter, StringComparer.OrdinalIgnoreCase))
                    && new WildcardPattern(command, WildcardOptions.IgnoreCase).IsMatch(commandName))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsDisabled(IDictionary defaults)
        {
            var disabled = defaults.Contains("Disabled") ? defaults["Disabled"] : null;
            return LanguagePrimitives.IsTrue(disabled is PSObject ps ? ps.BaseObject : disabled);
        }
    }
}
