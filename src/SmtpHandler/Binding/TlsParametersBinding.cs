using System.Linq;

namespace SmtpHandler.Commands
{
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
