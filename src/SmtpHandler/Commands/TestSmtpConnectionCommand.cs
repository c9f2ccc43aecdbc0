using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Diagnoses an SMTP server without sending mail, and reports what it found as an object.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "SmtpConnection", DefaultParameterSetName = ParametersSet)]
    [OutputType(typeof(SmtpConnectionReport))]
    public sealed class TestSmtpConnectionCommand : SmtpConnectionCmdletBase
    {
        private const string ParametersSet = "Parameters";
        private const string ConfigSet = "Config";

        [Parameter(Mandatory = true, ParameterSetName = ConfigSet, ValueFromPipeline = true)]
        public SmtpHandlerConfig? Config { get; set; }

        protected override void ProcessRecord()
        {
            var config = Config ?? BuildConfig();
            WriteObject(new SmtpDiagnostics(config, Log).Run(CancelToken));
        }
    }
}
