using System;
using System.Management.Automation;
using System.Threading;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// What every SmtpHandler cmdlet shares: a cancellation token that Ctrl+C (StopProcessing) cancels,
    /// and a log that turns the engine's narration into verbose output.
    /// </summary>
    public abstract class SmtpCmdletBase : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource stopping = new();
        private VerboseLog? log;

        protected CancellationToken CancelToken => stopping.Token;

        /// <summary>The engine's narration as Write-Verbose; only on the pipeline thread, where the engine runs.</summary>
        internal ISmtpLog Log => log ??= new VerboseLog(this);

        public void Dispose()
        {
            stopping.Dispose();
            GC.SuppressFinalize(this);
        }

        protected override void StopProcessing() => stopping.Cancel();

        /// <summary>
        /// The configuration <paramref name="given"/> lays over <paramref name="baseConfig"/> (or the defaults),
        /// checked by <paramref name="validate"/> (every rule when null). A broken rule stops the cmdlet with the
        /// parameter named.
        /// </summary>
        private protected SmtpHandlerConfig BuildConfig(ConfigParameters given, SmtpHandlerConfig? baseConfig = null, Func<SmtpHandlerConfig, SmtpHandlerConfig>? validate = null)
        {
            try
            {
                var config = given.ToConfig(baseConfig, ConfigParameters.PSEmailServer(this));
                return validate != null ? validate(config) : config.Validate();
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                throw;
            }
        }

        /// <summary>Writes an engine failure as a non-terminating error with its stable ErrorId.</summary>
        protected void WriteSmtpError(SmtpHandlerException exception) => WriteError(ErrorRecords.From(exception));

        /// <summary>Stops the cmdlet with an engine failure as its terminating error.</summary>
        protected void ThrowSmtpError(SmtpHandlerException exception) => ThrowTerminatingError(ErrorRecords.From(exception));
    }
}
