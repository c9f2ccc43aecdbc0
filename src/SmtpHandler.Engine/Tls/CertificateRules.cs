using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler
{
    /// <summary>
    /// Checks of one certificate that the trust decision makes itself, the same on every platform, instead of
    /// relying on what the platform's chain builder reports (which differs, for example, for a chain that ends
    /// at a trusted intermediate).
    /// </summary>
    internal static class CertificateRules
    {
        // Signature algorithms browsers no longer accept: SHA-1, MD5, MD4 and MD2, with RSA, DSA or ECDSA.
        private static readonly Dictionary<string, string> WeakSignatures = new(StringComparer.Ordinal)
        {
            ["1.2.840.113549.1.1.5"] = "SHA-1",
            ["1.3.14.3.2.29"] = "SHA-1",
            ["1.2.840.10040.4.3"] = "SHA-1",
            ["1.2.840.10045.4.1"] = "SHA-1",
            ["1.2.840.113549.1.1.4"] = "MD5",
            ["1.2.840.113549.1.1.3"] = "MD4",
            ["1.2.840.113549.1.1.2"] = "MD2",
        };

        /// <summary>Expired or not yet valid at <paramref name="now"/>; null when within its dates.</summary>
        public static TlsProblem? OutsideDates(X509Certificate2 certificate, DateTime now) =>
            certificate.NotAfter < now ? Expired(certificate)
            : certificate.NotBefore > now ? NotYetValid(certificate)
            : null;

        public static TlsProblem Expired(X509Certificate2 certificate) => new(
            TlsProblemKind.Expired,
            $"the certificate '{certificate.Subject}' expired on {Utc(certificate.NotAfter)}",
            "The server's certificate must be renewed: an expired certificate is never accepted.");

        public static TlsProblem NotYetValid(X509Certificate2 certificate) => new(
            TlsProblemKind.NotYetValid,
            $"the certificate '{certificate.Subject}' is not valid before {Utc(certificate.NotBefore)}",
            "Check the clock of this computer and of the server.");

        /// <summary>
        /// A certificate signed with SHA-1 or weaker; null otherwise. Only a signature the trust relies on
        /// counts: the caller does not ask about the trusted certificate itself, whose own signature proves nothing.
        /// </summary>
        public static TlsProblem? WeakSignature(X509Certificate2 certificate) =>
            certificate.SignatureAlgorithm.Value is { } oid && WeakSignatures.TryGetValue(oid, out var hash)
                ? new TlsProblem(
                    TlsProblemKind.InvalidChain,
                    $"the certificate '{certificate.Subject}' is signed with {hash}, which can be forged",
                    "The server's certificate and its intermediates must be signed with SHA-256 or stronger, as browsers require.")
                : null;

        private static string Utc(DateTime local) => local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    }
}
