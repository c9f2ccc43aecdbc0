using System;
using System.Management.Automation;

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
        private SmtpEnvelopeCheck? envelope;

        [Parameter(Mandatory = true, ParameterSetName = ConfigSet, ValueFromPipeline = true)]
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
                config = Config;
            }
            else
            {
                // The plaintext-credential rule is part of the diagnosis (a finding, with the rest of the
                // server still tested), so validation here must not stop at it; every other rule applies.
                config = BuildConfig(c => c with { AllowUnencryptedAuthentication = true }) with
                {
                    AllowUnencryptedAuthentication = AllowUnencryptedAuthentication.IsPresent,
                };
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
    }
}
