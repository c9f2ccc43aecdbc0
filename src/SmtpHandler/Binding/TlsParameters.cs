using System;
using System.Collections.Generic;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The trust and client-certificate parameters as a cmdlet got them (paths not yet resolved). Every cmdlet that
    /// has them (New-SmtpHandlerConfig, Test-SmtpConnection, Send-SmtpMessage) hands them to
    /// <see cref="ConfigParameters.WithTls"/>: one resolution of the files, one rule for each parameter.
    /// </summary>
    internal sealed class TlsParameters
    {
        public IReadOnlyList<string>? TrustedCertificatePath { get; set; }

        public string? ClientCertificatePath { get; set; }

        public SecureString? ClientCertificatePassword { get; set; }

        public string? ClientCertificateKeyPath { get; set; }

        public bool CheckCertificateRevocation { get; set; }

        /// <summary>Null when not given: the base configuration's (or the default) stands.</summary>
        public SmtpTlsVersion? TlsProtocol { get; set; }
    }
}
