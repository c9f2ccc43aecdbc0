using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>Lays <see cref="TlsParameters"/> over a <see cref="ConfigParameters"/>, certificate files resolved through the provider.</summary>
    internal static class TlsParametersBinding
    {
        /// <summary>
        /// Sets the certificate and TLS values <paramref name="tls"/> gives; a path that matches no file, or a
        /// client certificate or key path that matches more than one, stops the cmdlet naming the parameter.
        /// </summary>
        public static ConfigParameters WithTls(this ConfigParameters given, TlsParameters tls, ProviderFiles files)
        {
            if (tls.TrustedCertificatePath != null)
            {
                given.TrustedCertificatePaths = tls.TrustedCertificatePath.SelectMany(p => files.ResolveOrStop(p, nameof(TlsParameters.TrustedCertificatePath))).ToArray();
            }

            given.ClientCertificatePath = tls.ClientCertificatePath == null ? null : files.OneFileOrStop(tls.ClientCertificatePath, nameof(TlsParameters.ClientCertificatePath));
            given.ClientCertificatePassword = tls.ClientCertificatePassword;
            given.ClientCertificateKeyPath = tls.ClientCertificateKeyPath == null ? null : files.OneFileOrStop(tls.ClientCertificateKeyPath, nameof(TlsParameters.ClientCertificateKeyPath));
            given.CheckCertificateRevocation = tls.CheckCertificateRevocation;
            given.TlsProtocol = tls.TlsProtocol;
            return given;
        }
    }
}
