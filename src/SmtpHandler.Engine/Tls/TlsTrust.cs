using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler
{
    /// <summary>
    /// Decides whether a server certificate is trusted, and supplies the client certificate.
    /// </summary>
    /// <remarks>
    /// The trust policy:
    /// <list type="bullet">
    /// <item>Without <see cref="SmtpHandlerConfig.TrustedCertificatePaths"/>, the operating system decides
    /// (its trust store, its revocation checking when <see cref="SmtpHandlerConfig.CheckCertificateRevocation"/>
    /// is on); this class only explains a refusal.</item>
    /// <item>With trusted files, they REPLACE the operating system's store (they are not added to it): the
    /// server's chain must reach one of them. That may be a CA root, an intermediate (the chain above it
    /// does not matter), or the server's own certificate pinned (self-signed or not). A certificate the OS
    /// would trust but that does not reach one of the files is refused: what the user named is exactly
    /// what is trusted, the same on every machine.</item>
    /// <item>Always, with or without files: the host name must match (a name mismatch is never
    /// accepted), and every certificate from the server's up to and including the trusted one must be
    /// within its validity dates, and a server certificate that names its uses must allow TLS server
    /// authentication.</item>
    /// <item>With trusted files, no certificate below the trusted one may be signed with SHA-1 or weaker, as
    /// browsers refuse them; the trusted certificate's own signature is not relied on, so it does not count.</item>
    /// <item>Revocation only with <see cref="SmtpHandlerConfig.CheckCertificateRevocation"/> (default off,
    /// like .NET's SslStream): then a revoked certificate, or one whose status can't be learned, below the
    /// trusted one is refused. The trusted certificate itself is not revocation-checked (like a root).</item>
    /// <item>There is no way to switch verification off.</item>
    /// <item>An OAuth token endpoint (<see cref="CreateAddingToSystemStore"/>) is the exception: it is
    /// usually public, so there the files are trusted besides the operating system's store.</item>
    /// </list>
    /// The custom chain is built with <see cref="X509ChainPolicy.ExtraStore"/> and
    /// <see cref="X509VerificationFlags.AllowUnknownCertificateAuthority"/>, then the anchor is checked
    /// here: X509ChainPolicy.CustomTrustStore does not exist on .NET Framework 4.7.2.
    /// </remarks>
    internal sealed class TlsTrust
    {
        private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
        private readonly SmtpHandlerConfig config;
        private readonly bool addToSystemStore;
        private readonly Lazy<X509Certificate2Collection?> anchors;
        private readonly Lazy<X509CertificateCollection?> clientCertificates;

        private TlsTrust(SmtpHandlerConfig config, bool addToSystemStore = false)
        {
            this.config = config;
            this.addToSystemStore = addToSystemStore;
            anchors = new Lazy<X509Certificate2Collection?>(LoadAnchors);
            clientCertificates = new Lazy<X509CertificateCollection?>(LoadClientCertificate);
        }

        /// <summary>The verdict on the certificate of the current connection attempt; null before the handshake reached it.</summary>
        public TlsVerdict? LastVerdict { get; private set; }

        /// <summary>
        /// The client certificate with its key, or null. Read from its files on first use (a file that
        /// disappeared since the configuration was made throws <see cref="SmtpHandlerException"/>).
        /// </summary>
        public X509CertificateCollection? ClientCertificates => clientCertificates.Value;

        /// <summary>Whether the trusted files replace the operating system's store.</summary>
        public bool HasCustomTrust => config.TrustedCertificatePaths.Count > 0;

        public static TlsTrust Create(SmtpHandlerConfig config) => new(config);

        /// <summary>
        /// For HTTPS endpoints other than the SMTP server (an OAuth token endpoint): what the operating
        /// system trusts stays trusted, and the files are trusted besides. The token endpoint is usually
        /// public (login.microsoftonline.com) while the files name the SMTP server's private CA.
        /// </summary>
        public static TlsTrust CreateAddingToSystemStore(IReadOnlyList<string> trustedCertificatePaths) =>
            new(new SmtpHandlerConfig { TrustedCertificatePaths = trustedCertificatePaths }, addToSystemStore: true);

        /// <summary>What this trust does beyond the operating system's defaults, for verbose output; null when nothing.</summary>
        public string? Describe()
        {
            var parts = new List<string>();
            if (HasCustomTrust)
            {
                parts.Add($"trusting only the certificates in {string.Join(", ", config.TrustedCertificatePaths.Select(p => $"'{p}'"))} (not the operating system's store)");
            }

            if (config.ClientCertificatePath != null)
            {
                parts.Add($"presenting the client certificate in '{config.ClientCertificatePath}'");
            }

            if (config.CheckCertificateRevocation)
            {
                parts.Add("checking revocation");
            }

            return parts.Count == 0 ? null : "TLS: " + string.Join("; ", parts);
        }

        /// <summary>Reads every certificate file of <paramref name="config"/>; throws InvalidCertificateFile naming the parameter.</summary>
        public static void CheckFiles(SmtpHandlerConfig config)
        {
            foreach (var path in config.TrustedCertificatePaths)
            {
                CertificateFiles.LoadTrusted(path);
            }

            if (config.ClientCertificatePath != null)
            {
                CertificateFiles.LoadClient(config.ClientCertificatePath, config.ClientCertificateKeyPath, config.ClientCertificatePassword).Dispose();
            }
        }

        /// <summary>Whether the server's certificate was accepted during the current connection attempt.</summary>
        public bool ServerCertificateAccepted { get; private set; }

        /// <summary>Forgets what the previous connection attempt learned.</summary>
        public void BeginConnection()
        {
            ServerCertificateAccepted = false;
            LastVerdict = null;
        }

        /// <summary>
        /// Adds a hint to a connection failure that came after this side accepted the server's certificate,
        /// before SMTP could go on: the server broke off the TLS session from its side. The usual cause is a
        /// server that requires a client certificate (with TLS 1.3 a client learns of that refusal only after
        /// its own handshake has completed). Any other failure passes unchanged.
        /// </summary>
        public SmtpHandlerException Explain(SmtpHandlerException failure)
        {
            if (!ServerCertificateAccepted || failure.Kind == SmtpFailureKind.CertificateUntrusted)
            {
                return failure;
            }

            var presented = clientCertificates.IsValueCreated ? clientCertificates.Value : null;
            var hint = presented == null || presented.Count == 0
                ? " The server broke off right after the TLS handshake: if it requires a client certificate, give one with -ClientCertificatePath."
                : $" The server broke off right after the TLS handshake: it may have refused the client certificate '{presented[0].Subject}' given with -ClientCertificatePath (does the server trust its issuer?).";
            return new SmtpHandlerException(failure.ErrorId, failure.Kind, failure.Message + hint, failure.Target, failure.InnerException)
            {
                ParameterName = failure.ParameterName,
                Transient = failure.Transient,
            };
        }

        /// <summary>The certificate validation callback for SslStream and MailKit: keeps the verdict in <see cref="LastVerdict"/>.</summary>
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            LastVerdict = Judge(certificate, chain, errors);
            ServerCertificateAccepted = LastVerdict.Trusted;
            return ServerCertificateAccepted;
        }

        /// <summary>The trust decision itself (see the remarks on this class).</summary>
        public TlsVerdict Judge(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate == null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                return Refuse(new TlsProblem(TlsProblemKind.NoCertificate, "the server sent no certificate", "The server must present a certificate for TLS."));
            }

            using var leaf = new X509Certificate2(certificate.GetRawCertData());
            var problems = new List<TlsProblem>();
            X509Certificate2Collection? trusted;
            try
            {
                trusted = anchors.Value;
            }
            catch (SmtpHandlerException ex)
            {
                return Refuse(new TlsProblem(TlsProblemKind.UntrustedRoot, ex.Message, "Give readable certificate files with -TrustedCertificatePath."));
            }

            if ((trusted == null || addToSystemStore) && errors == SslPolicyErrors.None)
            {
                return TlsVerdict.Accepted(HasCustomTrust);
            }

            if (trusted == null)
            {
                if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
                {
                    problems.AddRange(SystemChainProblems(leaf, chain));
                }
            }
            else
            {
                problems.AddRange(CustomChainProblems(leaf, chain, trusted));
            }

            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                problems.Add(NameMismatch(leaf));
            }

            return problems.Count == 0 ? TlsVerdict.Accepted(HasCustomTrust) : Refuse(problems.ToArray());
        }

        /// <summary>Explains the operating system's refusal from the chain it built.</summary>
        private IEnumerable<TlsProblem> SystemChainProblems(X509Certificate2 leaf, X509Chain? chain)
        {
            var elements = chain?.ChainElements.Cast<X509ChainElement>().ToList() ?? new List<X509ChainElement>();
            var found = false;
            for (var i = 0; i < elements.Count; i++)
            {
                foreach (var status in elements[i].ChainElementStatus)
                {
                    if (Problem(status, elements[i].Certificate, untrustedMeansRoot: true) is { } problem)
                    {
                        found = true;
                        yield return problem;
                    }
                }
            }

            if (chain != null)
            {
                // Some platforms report a partial chain only for the whole chain, not on an element.
                foreach (var status in chain.ChainStatus)
                {
                    var last = elements.Count > 0 ? elements[elements.Count - 1].Certificate : leaf;
                    if (Problem(status, last, untrustedMeansRoot: true) is { } problem)
                    {
                        found = true;
                        yield return problem;
                    }
                }
            }

            if (!found)
            {
                yield return new TlsProblem(TlsProblemKind.UntrustedRoot, $"the operating system does not trust the chain of '{leaf.Subject}'", UntrustedAdvice());
            }
        }

        /// <summary>
        /// Builds the chain towards the trusted files and checks it up to the first of them: dates up to and
        /// including it, the signatures below it (SHA-1 or weaker is refused).
        /// </summary>
        private IEnumerable<TlsProblem> CustomChainProblems(X509Certificate2 leaf, X509Chain? serverChain, X509Certificate2Collection trusted)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.ExtraStore.AddRange(trusted);
            if (serverChain != null)
            {
                // Intermediates the server sent (the platform's chain holds them); the anchor is decided below, not by them.
                chain.ChainPolicy.ExtraStore.AddRange(serverChain.ChainPolicy.ExtraStore);
                foreach (var element in serverChain.ChainElements.Cast<X509ChainElement>().Skip(1))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            chain.ChainPolicy.RevocationMode = config.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
            chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
            var now = DateTime.Now;
            chain.ChainPolicy.VerificationTime = now;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));

            // Build's verdict is not used: with AllowUnknownCertificateAuthority it differs between platforms.
            chain.Build(leaf);
            var elements = chain.ChainElements.Cast<X509ChainElement>().ToList();
            var anchor = elements.FindIndex(e => trusted.Cast<X509Certificate2>().Any(t => t.RawData.SequenceEqual(e.Certificate.RawData)));
            if (anchor < 0)
            {
                var top = elements.Count > 0 ? elements[elements.Count - 1].Certificate : leaf;
                yield return new TlsProblem(
                    TlsProblemKind.UntrustedRoot,
                    $"{ChainEnd(top)} is none of the certificates given with -TrustedCertificatePath (untrusted root; those files replace the operating system's store)",
                    $"Give the certificate of the CA that issued '{leaf.Subject}' (or the server's own certificate, to pin it) with -TrustedCertificatePath.");
                yield break;
            }

            for (var i = 0; i <= anchor; i++)
            {
                foreach (var status in elements[i].ChainElementStatus)
                {
                    if (i == anchor && IsRevocationStatus(status.Status))
                    {
                        continue;
                    }

                    if (Problem(status, elements[i].Certificate, untrustedMeansRoot: false) is { } problem)
                    {
                        yield return problem;
                    }
                }

                // Checked here too: a platform may leave out the dates of the certificate a partial chain ends at.
                if (CertificateRules.OutsideDates(elements[i].Certificate, now) is { } dates)
                {
                    yield return dates;
                }

                if (i < anchor && CertificateRules.WeakSignature(elements[i].Certificate) is { } weak)
                {
                    yield return weak;
                }
            }
        }

        private TlsProblem? Problem(X509ChainStatus status, X509Certificate2 certificate, bool untrustedMeansRoot)
        {
            var subject = $"'{certificate.Subject}'";
            switch (status.Status)
            {
                case X509ChainStatusFlags.NoError:
                    return null;
                case X509ChainStatusFlags.UntrustedRoot:
                case X509ChainStatusFlags.PartialChain:
                    return untrustedMeansRoot
                        ? new TlsProblem(TlsProblemKind.UntrustedRoot, $"{ChainEnd(certificate)} is not trusted by the operating system (untrusted root)", UntrustedAdvice())
                        : null;
                case X509ChainStatusFlags.NotTimeValid:
                    return certificate.NotAfter < DateTime.Now ? CertificateRules.Expired(certificate) : CertificateRules.NotYetValid(certificate);
                case X509ChainStatusFlags.Revoked:
                    return new TlsProblem(TlsProblemKind.Revoked, $"the certificate {subject} has been revoked by its issuer", "The server needs a new certificate.");
                case X509ChainStatusFlags.RevocationStatusUnknown:
                case X509ChainStatusFlags.OfflineRevocation:
                    return new TlsProblem(
                        TlsProblemKind.RevocationUnknown,
                        $"the revocation status of {subject} could not be checked",
                        "Revocation is checked because of -CheckCertificateRevocation: make the issuer's CRL or OCSP responder reachable, or leave that switch out.");
                case X509ChainStatusFlags.NotValidForUsage:
                    return new TlsProblem(TlsProblemKind.InvalidChain, $"the certificate {subject} is not valid for server authentication", "The server needs a certificate issued for TLS server authentication.");
                default:
                    var info = string.IsNullOrWhiteSpace(status.StatusInformation) ? status.Status.ToString() : status.StatusInformation.Trim();
                    return new TlsProblem(TlsProblemKind.InvalidChain, $"the certificate {subject} is not valid ({info})", "The server's certificate chain must be fixed.");
            }
        }

        private TlsProblem NameMismatch(X509Certificate2 leaf)
        {
            var names = leaf.Extensions["2.5.29.17"]?.Format(false);
            var issuedTo = string.IsNullOrWhiteSpace(names) ? leaf.GetNameInfo(X509NameType.SimpleName, false) : names!.Trim();
            return new TlsProblem(
                TlsProblemKind.NameMismatch,
                $"the certificate is issued to {issuedTo}, not to '{config.SmtpServer}' (name mismatch)",
                $"Connect with a name the certificate was issued to (-SmtpServer), or have the server's certificate reissued for '{config.SmtpServer}'.");
        }

        /// <summary>The top of a chain in words: its self-signed root, or the issuer that could not be found.</summary>
        private static string ChainEnd(X509Certificate2 top) =>
            top.SubjectName.RawData.SequenceEqual(top.IssuerName.RawData)
                ? $"its root '{top.Subject}'"
                : $"its issuer '{top.Issuer}'";

        private string UntrustedAdvice() =>
            "For a private CA or a self-signed server certificate, give its certificate file with -TrustedCertificatePath.";

        private static bool IsRevocationStatus(X509ChainStatusFlags flags) =>
            flags == X509ChainStatusFlags.RevocationStatusUnknown || flags == X509ChainStatusFlags.OfflineRevocation || flags == X509ChainStatusFlags.Revoked;

        private static TlsVerdict Refuse(params TlsProblem[] problems) => TlsVerdict.Refused(problems);

        private X509Certificate2Collection? LoadAnchors()
        {
            if (config.TrustedCertificatePaths.Count == 0)
            {
                return null;
            }

            var all = new X509Certificate2Collection();
            foreach (var path in config.TrustedCertificatePaths)
            {
                all.AddRange(CertificateFiles.LoadTrusted(path));
            }

            return all;
        }

        private X509CertificateCollection? LoadClientCertificate() =>
            config.ClientCertificatePath == null
                ? null
                : new X509CertificateCollection { CertificateFiles.LoadClient(config.ClientCertificatePath, config.ClientCertificateKeyPath, config.ClientCertificatePassword) };
    }
}
