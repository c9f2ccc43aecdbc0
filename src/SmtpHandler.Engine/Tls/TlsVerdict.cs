using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// What <see cref="TlsTrust"/> decided about one server certificate, and why. Sending turns a refusal into
    /// its error, diagnostics into findings: both say it with the words held here.
    /// </summary>
    internal sealed class TlsVerdict
    {
        private TlsVerdict(bool trusted, string? trustedBy, IReadOnlyList<TlsProblem> problems)
        {
            Trusted = trusted;
            TrustedBy = trustedBy;
            Problems = problems;
        }

        public bool Trusted { get; }

        /// <summary>OperatingSystem or TrustedCertificatePath when trusted; null when refused.</summary>
        public string? TrustedBy { get; }

        /// <summary>Every distinct reason for a refusal, the first the most telling; empty when trusted.</summary>
        public IReadOnlyList<TlsProblem> Problems { get; }

        /// <summary>All reasons in one clause; null when trusted.</summary>
        public string? Reason => Trusted ? null : string.Join("; ", Problems.Select(p => p.Reason));

        /// <summary>All advice, each piece once; null when trusted.</summary>
        public string? Advice => Trusted ? null : string.Join(" ", Problems.Select(p => p.Advice).Distinct());

        public static TlsVerdict Accepted(bool byTrustedFiles) =>
            new(true, byTrustedFiles ? "TrustedCertificatePath" : "OperatingSystem", Array.Empty<TlsProblem>());

        public static TlsVerdict Refused(IEnumerable<TlsProblem> problems)
        {
            var distinct = problems.GroupBy(p => p.Reason).Select(g => g.First()).ToList();
            if (distinct.Count == 0)
            {
                throw new ArgumentException("A refusal needs a reason.", nameof(problems));
            }

            return new TlsVerdict(false, null, distinct);
        }

        /// <summary>"The certificate of host:port is not trusted: reason" (no final full stop).</summary>
        public static string NotTrusted(string endpoint, string reason) => $"The certificate of {endpoint} is not trusted: {reason}";
    }
}
