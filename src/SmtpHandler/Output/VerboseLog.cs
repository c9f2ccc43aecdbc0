using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The engine's narration as Write-Verbose, only when the caller asked for verbose output (-Verbose or
    /// $VerbosePreference); used only on the pipeline thread, where the engine runs.
    /// </summary>
    internal sealed class VerboseLog : ISmtpLog
    {
        private readonly Cmdlet cmdlet;
        private readonly bool verbose;

        public VerboseLog(PSCmdlet cmdlet)
        {
            this.cmdlet = cmdlet;
            verbose = cmdlet.MyInvocation.BoundParameters.TryGetValue("Verbose", out var value)
                ? value is SwitchParameter s && s.IsPresent
                : cmdlet.SessionState.PSVariable.GetValue("VerbosePreference") is ActionPreference preference && preference != ActionPreference.SilentlyContinue;
        }

        public bool IsProtocolEnabled => verbose;

        public void Step(string text)
        {
            if (verbose)
            {
                cmdlet.WriteVerbose(text);
            }
        }

        public void Protocol(string line) => Step(line);
    }
}
