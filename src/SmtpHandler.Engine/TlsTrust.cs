using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler
{
    /// <summary>
    /// Decides whether a server certificate is trusted, and supplies the client certificate.
    /// With no trusted certificate files, the operating system's verdict stands; with them, a chain that
    /// builds to (or contains) one of those certificates is trusted too.
    /// </summary>
    internal sealed class TlsTrust
    {
        private readonly List<X509Certificate2> anchors;

        private TlsTrust(List<X509Certificate2> anchors)
        {
            this.anchors = anchors;
        }

        /// <summary>Why the last certificate was refused, in words a user can act on.</summary>
        public string? LastFailure { get; private set; }

        public X509CertificateCollection? ClientCertificates { get; private set; }

        public static TlsTrust Create(SmtpHandlerConfig config) =>
            new(config.TrustedCertificatePaths.Select(path => new X509Certificate2(path)).ToList());

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            LastFailure = null;
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate != null && anchors.Count > 0 && BuildsToAnchor(certificate))
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

        private bool BuildsToAnchor(X509Certificate certificate)
        {
            using var leaf = new X509Certificate2(certificate);
            using var custom = new X509Chain();
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            custom.ChainPolicy.ExtraStore.AddRange(anchors.ToArray());
            if (!custom.Build(leaf) &&
                custom.ChainStatus.Any(s => s.Status != X509ChainStatusFlags.UntrustedRoot && s.Status != X509ChainStatusFlags.PartialChain))
            {
                return false;
            }

            var thumbprints = new HashSet<string>(anchors.Select(a => a.Thumbprint));
            return custom.ChainElements.Cast<X509ChainElement>().Any(e => thumbprints.Contains(e.Certificate.Thumbprint));
        }
    }
}
