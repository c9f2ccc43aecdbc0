using System;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Diagnoses one SMTP server the way swaks does, without sending mail: DNS, TCP, greeting, EHLO
    /// before and after STARTTLS, TLS and the certificate with the same trust decision as sending,
    /// AUTH, and optionally MAIL FROM / RCPT TO followed by RSET. It speaks SMTP itself over a socket
    /// (MailKit hides the plaintext EHLO and the raw failures worth reporting); every step is bounded by
    /// the configuration's timeout and by the cancellation token. Problems become findings with advice,
    /// never exceptions; only cancellation is thrown.
    /// </summary>
    public sealed class SmtpDiagnostics
    {
        /// <summary>A certificate that expires within this many days is a warning.</summary>
        public const int ExpiryWarningDays = 30;

        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public SmtpDiagnostics(SmtpHandlerConfig config, ISmtpLog? log = null)
        {
            this.config = config ?? throw new ArgumentNullException(nameof(config));
            this.log = log ?? NullSmtpLog.Instance;
        }

        /// <summary>When set, MAIL FROM and RCPT TO are tried, then RSET.</summary>
        public SmtpEnvelopeCheck? Envelope { get; init; }

        /// <summary>The user asked for STARTTLS but the configuration resolved to implicit TLS (port 465 or -UseTls): worth saying.</summary>
        public bool StartTlsOverridden { get; init; }

        public SmtpConnectionReport Run(CancellationToken cancellationToken = default) =>
            new SmtpDiagnosis(config, log, Envelope, StartTlsOverridden, cancellationToken).Run();
    }
}
