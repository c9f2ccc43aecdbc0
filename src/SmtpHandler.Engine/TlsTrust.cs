using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler
{
    /// <summary>
    /// Decides whether a server certificate is trusted, and supplies the client certificate.
    /// With no trusted certificate files, the operating system's verdict stands.
    /// </summary>
    internal sealed class TlsTrust
    {
        private TlsTrust()
        {
        }

        /// <summary>Why the last certificate was refused, in words a user can act on.</summary>
        public string? LastFailure { get; private set; }

        public X509CertificateCollection? ClientCertificates { get; private set; }

        public static TlsTrust Create(SmtpHandlerConfig config) => new();

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            LastFailure = null;
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            LastFailure = errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
                ? "the certificate's name does not match the server name"
                : errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)
                    ? "the server sent no certificate"
                    : "the certificate chain does not build to a trusted root";
            return false;
        }
    }
}
