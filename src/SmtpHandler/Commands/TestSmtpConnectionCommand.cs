using System;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Diagnoses an SMTP server without sending mail (DNS, TCP, greeting, EHLO, TLS and certificate,
    /// trust, AUTH, and optionally a sender and recipients), and reports it as one object per server.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "SmtpConnection", DefaultParameterSetName = ParametersSet)]
    [OutputType(typeof(SmtpConnectionReport))]
    [OutputType(typeof(bool))]
    public sealed class TestSmtpConnectionCommand : SmtpConnectionCmdletBase
    {
        private const string ParametersSet = "Parameters";
        private const string ConfigSet = "Config";
        // The connection parameters (SmtpServer, Port, UseTls, Credential...): with -Config they would be ignored.
        private static readonly PropertyInfo[] ConnectionParameters = typeof(SmtpConnectionCmdletBase)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.IsDefined(typeof(ParameterAttribute), true))
            .ToArray();

        private SmtpEnvelopeCheck? envelope;

        // Read in BeginProcessing, before any pipeline binding: a piped config's own SmtpServer and Port bind by
        // property name later, and are not the caller's.
        private string[] connectionParametersGiven = Array.Empty<string>();

        [Parameter(Mandatory = true, ParameterSetName = ConfigSet, ValueFromPipeline = true)]
        [RequireSmtpHandlerConfig]
        public SmtpHandlerConfig? Config { get; set; }

        /// <summary>A sender to try with MAIL FROM (then RSET): would the server take it?</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        /// <summary>Recipients to try with RCPT TO (then RSET): would the server take them? Nothing is sent.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? To { get; set; }

        /// <summary>Only $true or $false: whether sending with this configuration should work.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            connectionParametersGiven = ConnectionParameters
                .Where(p => MyInvocation.BoundParameters.ContainsKey(p.Name) && !DefaultParameterValues.Supplies(this, p.Name, AliasesOf(p)))
                .Select(p => p.Name)
                .ToArray();
            if (From == null && To == null)
            {
                return;
            }

            try
            {
                envelope = new SmtpEnvelopeCheck(From, To);
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
            }
        }

        protected override void ProcessRecord()
        {
            SmtpHandlerConfig config;
            if (Config != null)
            {
                if (connectionParametersGiven.Length > 0)
                {
                    ThrowTerminatingError(ErrorRecords.Create(
                        "ConfigWithConnectionParameters",
                        ErrorCategory.InvalidArgument,
                        $"-Config holds the connection settings, so {string.Join(", ", connectionParametersGiven.Select(n => "-" + n))} would be ignored. Give either -Config or the connection parameters; for other settings make a new configuration with New-SmtpHandlerConfig. Nothing was tested.",
                        Config));
                }

                config = Config;
            }
            else
            {
                config = BuildConfig(GivenConnection(new ProviderFiles(this)), validate: built => built.ValidateForDiagnosis());
            }

            if (config.IsPickup)
            {
                WriteError(ErrorRecords.Create("PickupConfiguration", ErrorCategory.InvalidArgument, $"The configuration writes to the pickup folder '{config.PickupDirectory}': there is no server to test.", config));
                return;
            }

            var diagnostics = new SmtpDiagnostics(config, Log)
            {
                Envelope = envelope,
                StartTlsOverridden = Config == null && UseStartTls.IsPresent && config.TlsMode == SmtpTlsMode.ImplicitTls,
            };

            SmtpConnectionReport report;
            try
            {
                report = diagnostics.Run(CancelToken);
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                // Ctrl+C: the pipeline is stopping; there is nothing to report.
                throw new PipelineStoppedException();
            }

            WriteObject(Quiet ? report.Success : report);
        }

        private static string[] AliasesOf(PropertyInfo parameter) =>
            parameter.GetCustomAttributes(typeof(AliasAttribute), true).Cast<AliasAttribute>().SelectMany(a => a.AliasNames).ToArray();
    }
}
