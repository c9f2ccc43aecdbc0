using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SaslException = MailKit.Security.SaslException;
using SaslMechanism = MailKit.Security.SaslMechanism;
using SaslMechanismOAuth2 = MailKit.Security.SaslMechanismOAuth2;

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

        // The order MailKit's SmtpClient tries mechanisms in, so the report names the one sending would use.
        private static readonly string[] RankedMechanisms = { "SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "NTLM", "DIGEST-MD5", "CRAM-MD5", "PLAIN", "LOGIN" };

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

        public SmtpConnectionReport Run(CancellationToken cancellationToken = default) => new Diagnosis(this, cancellationToken).Run();

        /// <summary>One run: the report being filled, the connection, and the certificate the handshake saw.</summary>
        private sealed class Diagnosis
        {
            private readonly SmtpHandlerConfig config;
            private readonly ISmtpLog log;
            private readonly SmtpDiagnostics owner;
            private readonly CancellationToken cancellation;
            private readonly SmtpConnectionReport report;
            private readonly List<string> transcript = new();
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private TlsTrust? trust;
            private SmtpWire? wire;
            private IPEndPoint? remote;
            private IPEndPoint? local;
            private bool certificateChecked;
            private SslPolicyErrors policyErrors;
            private X509ChainStatusFlags chainFlags;
            private TlsVerdict? verdict;

            public Diagnosis(SmtpDiagnostics owner, CancellationToken cancellation)
            {
                this.owner = owner;
                config = owner.config;
                log = owner.log;
                this.cancellation = cancellation;
                report = new SmtpConnectionReport
                {
                    SmtpServer = config.SmtpServer,
                    Port = config.Port,
                    TlsMode = config.TlsMode,
                    UserName = config.UserName,
                };
            }

            private string Endpoint => $"{config.SmtpServer}:{config.Port}";

            private string TimeoutText => $"{SmtpWire.Seconds(config.Timeout)} s";

            public SmtpConnectionReport Run()
            {
                try
                {
                    if (owner.StartTlsOverridden)
                    {
                        Add(SmtpFindingSeverity.Information, "StartTlsOverridden",
                            $"STARTTLS was asked for, but {(config.Port == SmtpHandlerConfig.ImplicitTlsPort ? "port 465" : "-UseTls")} means implicit TLS, so this test used implicit TLS.",
                            "Port 465 is implicit TLS (SMTPS) and works as it is; STARTTLS belongs to port 587 (or 25).");
                    }

                    if (config.IsPickup)
                    {
                        throw Stop(SmtpFindingSeverity.Error, "PickupConfiguration", $"This configuration writes to the pickup folder '{config.PickupDirectory}': there is no server to test.");
                    }

                    // The trust decision sending uses; a certificate file that can't be read fails as InvalidCertificateFile,
                    // a finding like any other SmtpHandlerException.
                    trust = TlsTrust.Create(config);
                    var addresses = Resolve();
                    wire = new SmtpWire(Connect(addresses), config.Timeout, log, transcript, cancellation);
                    if (config.TlsMode == SmtpTlsMode.ImplicitTls)
                    {
                        Handshake(implicitTls: true);
                    }

                    Greet();
                    var capabilities = Ehlo();
                    if (config.TlsMode == SmtpTlsMode.StartTls)
                    {
                        capabilities = StartTls(capabilities);
                    }
                    else if (config.TlsMode == SmtpTlsMode.None)
                    {
                        Plaintext(capabilities);
                    }

                    Authenticate(capabilities);
                    CheckEnvelope();
                    Quit();
                }
                catch (StopDiagnosis)
                {
                    Quit();
                }
                catch (SmtpWireException ex)
                {
                    WireFailed(ex);
                }
                catch (SmtpHandlerException ex)
                {
                    Add(SmtpFindingSeverity.Error, ex.ErrorId, ex.Message);
                }
                finally
                {
                    wire?.Dispose();
                    report.Complete(clock.Elapsed, transcript);
                }

                return report;
            }

            private IPAddress[] Resolve()
            {
                var host = config.SmtpServer.Trim('[', ']');
                if (IPAddress.TryParse(host, out var literal))
                {
                    report.Addresses = new[] { literal.ToString() };
                    return new[] { literal };
                }

                log.Step($"Resolving {host}");
                var lookup = Dns.GetHostAddressesAsync(host);
                try
                {
                    if (!lookup.Wait((int)config.Timeout.TotalMilliseconds, cancellation))
                    {
                        Observe(lookup);
                        throw Stop(SmtpFindingSeverity.Error, "NameResolutionTimedOut", $"Resolving '{host}' took longer than {TimeoutText}.", "Check this machine's DNS servers (Get-DnsClientServerAddress, /etc/resolv.conf).");
                    }
                }
                catch (AggregateException ex)
                {
                    throw Stop(SmtpFindingSeverity.Error, "NameResolutionFailed", $"The name '{host}' could not be resolved: {(ex.InnerException ?? ex).Message.TrimEnd('.')}.",
                        "Check the server name for typos, and that this machine's DNS resolves it (Resolve-DnsName or nslookup).");
                }
                catch (OperationCanceledException)
                {
                    Observe(lookup);
                    throw;
                }

                var addresses = lookup.Result;
                report.Addresses = addresses.Select(a => a.ToString()).ToArray();
                if (addresses.Length == 0)
                {
                    throw Stop(SmtpFindingSeverity.Error, "NameResolutionFailed", $"The name '{host}' resolved to no address.", "Check the server name and its DNS records.");
                }

                return addresses;
            }

            private Socket Connect(IPAddress[] addresses)
            {
                var deadline = clock.Elapsed + config.Timeout;
                var failures = new List<string>();
                var allRefused = true;
                foreach (var address in addresses)
                {
                    var left = deadline - clock.Elapsed;
                    if (left <= TimeSpan.Zero)
                    {
                        break;
                    }

                    log.Step($"Connecting to {address}:{config.Port}");
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    var started = clock.Elapsed;
                    var connecting = socket.ConnectAsync(address, config.Port);
                    try
                    {
                        if (connecting.Wait((int)Math.Ceiling(left.TotalMilliseconds), cancellation))
                        {
                            report.Connected = true;
                            report.RemoteAddress = address.ToString();
                            report.ConnectTime = clock.Elapsed - started;
                            remote = new IPEndPoint(address, config.Port);
                            local = socket.LocalEndPoint as IPEndPoint;
                            return socket;
                        }
                    }
                    catch (AggregateException ex)
                    {
                        socket.Dispose();
                        allRefused &= ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
                        failures.Add($"{address}: {ex.InnerException?.Message ?? ex.Message}");
                        continue;
                    }
                    catch (OperationCanceledException)
                    {
                        socket.Dispose();
                        Observe(connecting);
                        throw;
                    }

                    // No answer within the time left: the connect step has used up its timeout.
                    socket.Dispose();
                    Observe(connecting);
                    break;
                }

                if (failures.Count < addresses.Length)
                {
                    throw Stop(SmtpFindingSeverity.Error, "ConnectionTimedOut", $"{Endpoint} did not accept a TCP connection within {TimeoutText}.",
                        "A firewall may be dropping the connection, or the host is down. Many networks block outgoing port 25: try 587 (-UseStartTls) or 465.");
                }

                if (allRefused)
                {
                    throw Stop(SmtpFindingSeverity.Error, "ConnectionRefused", $"Nothing accepts connections on {Endpoint} (refused by {string.Join(", ", addresses.Select(a => a.ToString()))}).",
                        "Check the port (25, 587 and 465 are usual) and that the mail service is running there.");
                }

                throw Stop(SmtpFindingSeverity.Error, "ConnectionFailed", $"Could not connect to {Endpoint}: {string.Join("; ", failures)}.", "Check the server name, the port and the network path to it.");
            }

            private void Greet()
            {
                var started = clock.Elapsed;
                log.Step("Waiting for the greeting");
                if (config.TlsMode != SmtpTlsMode.ImplicitTls)
                {
                    WaitForGreeting();
                }

                var greeting = Wire.ReadReply("greeting");
                report.BannerTime = clock.Elapsed - started;
                report.BannerCode = greeting.Code;
                report.Banner = string.Join(Environment.NewLine, greeting.Lines);
                if (greeting.Code >= 400)
                {
                    throw Stop(SmtpFindingSeverity.Error, "GreetingRefused", $"{Endpoint} refused the session in its greeting: {greeting}.",
                        greeting.Code < 500
                            ? "A 4xx greeting is temporary: the server is busy, rate-limiting or greylisting this client. Try again later."
                            : "A 5xx greeting is final for this client: the server does not take mail from this address (a block list, or a server meant for other clients). Use the server meant for you, or ask its administrator.");
                }

                if (greeting.Code != 220)
                {
                    Add(SmtpFindingSeverity.Warning, "UnusualGreeting", $"{Endpoint} greeted with {greeting.Code} rather than 220.");
                }
            }

            /// <summary>
            /// Waits for the greeting. A port that stays silent may be an implicit-TLS port waiting for the
            /// client: half way through the wait a TLS handshake is tried on a second connection, so the
            /// finding can say so, and the whole wait still ends within the timeout.
            /// </summary>
            private void WaitForGreeting()
            {
                var started = clock.Elapsed;
                var slice = TimeSpan.FromMilliseconds(100);
                using var probeStop = new CancellationTokenSource();
                Task<bool>? probe = null;
                try
                {
                    while (!Wire.WaitForData(slice))
                    {
                        var waited = clock.Elapsed - started;
                        if (probe == null && waited >= TimeSpan.FromTicks(config.Timeout.Ticks / 2))
                        {
                            var budget = config.Timeout - waited;
                            var endpoint = remote!;
                            var host = config.SmtpServer;
                            var token = probeStop.Token;
                            probe = Task.Run(() => SpeaksTls(endpoint, host, budget, token));
                        }

                        if (waited >= config.Timeout)
                        {
                            var speaksTls = probe != null && probe.Wait(TimeSpan.FromMilliseconds(200)) && probe.Result;
                            if (speaksTls)
                            {
                                throw Stop(SmtpFindingSeverity.Error, "StartTlsOnImplicitTlsPort",
                                    $"{Endpoint} sent no greeting within {TimeoutText}, but it answers a TLS handshake: it is an implicit-TLS port (SMTPS), which waits for the client to start TLS.",
                                    $"Use -UseTls{(config.TlsMode == SmtpTlsMode.StartTls ? " instead of -UseStartTls" : string.Empty)} (port 465 turns it on by itself). STARTTLS is for ports that greet in plaintext, usually 587 or 25.");
                            }

                            throw Stop(SmtpFindingSeverity.Error, "NoGreeting",
                                $"{Endpoint} accepted the TCP connection but sent no greeting within {TimeoutText}.",
                                "The server may be overloaded, or this is not an SMTP port. An implicit-TLS port (usually 465) also stays silent until the client starts TLS: if this is one, use -UseTls. A slow server may need a longer -Timeout.");
                        }
                    }
                }
                finally
                {
                    probeStop.Cancel();
                    if (probe != null)
                    {
                        Observe(probe);
                    }
                }
            }

            /// <summary>Whether the endpoint answers a TLS ClientHello with a certificate. Nothing is trusted or sent.</summary>
            private static bool SpeaksTls(IPEndPoint endpoint, string host, TimeSpan budget, CancellationToken cancellation)
            {
                var sawCertificate = false;
                using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                watchdog.CancelAfter(budget);
                using var registration = watchdog.Token.Register(socket.Dispose);
                Task? connecting = null;
                try
                {
                    connecting = socket.ConnectAsync(endpoint);
                    connecting.Wait(watchdog.Token);
                    using var network = new NetworkStream(socket, ownsSocket: false);
                    // The verdict refuses every certificate: this only learns whether one was offered.
                    using var tls = new SslStream(network, false, (_, certificate, _, _) =>
                    {
                        sawCertificate = certificate != null;
                        return false;
                    });
                    tls.AuthenticateAsClient(host, null, SslProtocols.Tls12 | (SslProtocols)12288, false);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException or AggregateException)
                {
                    // Expected: the handshake is refused on purpose, or the port is not TLS.
                }

                if (connecting != null)
                {
                    Observe(connecting);
                }

                return sawCertificate;
            }

            private EhloCapabilities Ehlo()
            {
                var name = report.EhloName ??= config.LocalDomain ?? DefaultEhloName();
                var started = clock.Elapsed;
                var reply = Wire.Send("EHLO", $"EHLO {name}");
                report.EhloTime ??= clock.Elapsed - started;
                if (reply.IsSuccess)
                {
                    var capabilities = EhloCapabilities.Parse(reply.Lines);
                    Describe(capabilities);
                    return capabilities;
                }

                if (reply.Code >= 500)
                {
                    var helo = Wire.Send("HELO", $"HELO {name}");
                    if (helo.IsSuccess)
                    {
                        Add(SmtpFindingSeverity.Warning, "EhloNotSupported", $"{Endpoint} refused EHLO ({reply}) and accepted HELO: it announces no extensions, so no STARTTLS, AUTH or SIZE.",
                            "An old or misconfigured server: SmtpHandler needs EHLO for STARTTLS and AUTH.");
                        Describe(EhloCapabilities.None);
                        return EhloCapabilities.None;
                    }
                }

                throw Stop(SmtpFindingSeverity.Error, "EhloRefused", $"{Endpoint} refused EHLO {name}: {reply}.",
                    "Some servers check the EHLO name: give this machine's fully qualified name with -LocalDomain.");
            }

            private void Describe(EhloCapabilities capabilities)
            {
                report.Capabilities = capabilities.Keywords;
                report.EhloLines = capabilities.Lines;
                report.AuthenticationMechanisms = capabilities.AuthenticationMechanisms;
                report.MaxMessageSize = capabilities.MaxMessageSize;
                report.Pipelining = capabilities.Pipelining;
                report.EightBitMime = capabilities.EightBitMime;
                report.SmtpUtf8 = capabilities.SmtpUtf8;
                report.Chunking = capabilities.Chunking;
                report.Dsn = capabilities.Dsn;
                report.EnhancedStatusCodes = capabilities.EnhancedStatusCodes;
            }

            private EhloCapabilities StartTls(EhloCapabilities plaintext)
            {
                report.CapabilitiesBeforeTls = plaintext.Keywords;
                report.AuthenticationMechanismsBeforeTls = plaintext.AuthenticationMechanisms;
                report.StartTlsOffered = plaintext.StartTls;
                if (!plaintext.StartTls)
                {
                    throw Stop(SmtpFindingSeverity.Error, "StartTlsNotOffered", $"{Endpoint} does not offer STARTTLS, so sending would stop before anything is sent: the connection would stay plaintext.",
                        "If the port expects implicit TLS (usually 465), use -UseTls. If the server has no TLS at all, only on a trusted network leave out -UseStartTls.");
                }

                var reply = Wire.Send("STARTTLS", "STARTTLS");
                if (reply.Code != 220)
                {
                    throw Stop(SmtpFindingSeverity.Error, "StartTlsFailed", $"{Endpoint} offered STARTTLS but refused it: {reply}.",
                        "The server could not start TLS (often a missing or broken certificate on its side); nothing would be sent in plaintext. Tell its administrator.");
                }

                if (Wire.HasUnreadData)
                {
                    throw Stop(SmtpFindingSeverity.Error, "StartTlsResponseInjection", $"{Endpoint} sent more data right after its reply to STARTTLS, before TLS began.",
                        "Something between here and the server (or the server itself) injects plaintext into the session; do not use this path until it is explained. Implicit TLS (-UseTls, port 465) is not open to this.");
                }

                Handshake(implicitTls: false);
                var secured = Ehlo();
                if (plaintext.AuthenticationMechanisms.Length > 0)
                {
                    Add(SmtpFindingSeverity.Information, "AuthOfferedBeforeTls", $"{Endpoint} also offers AUTH before STARTTLS ({string.Join(" ", plaintext.AuthenticationMechanisms)}).",
                        "SmtpHandler logs in only after STARTTLS; other clients could send passwords in plaintext to this server.");
                }

                return secured;
            }

            private void Plaintext(EhloCapabilities capabilities)
            {
                report.CapabilitiesBeforeTls = capabilities.Keywords;
                report.AuthenticationMechanismsBeforeTls = capabilities.AuthenticationMechanisms;
                report.StartTlsOffered = capabilities.StartTls;
                if (capabilities.StartTls)
                {
                    Add(SmtpFindingSeverity.Warning, "StartTlsNotUsed", $"{Endpoint} offers STARTTLS but this configuration does not use it: mail (and any login) would cross the network in plaintext.",
                        "Add -UseStartTls.");
                }
                else
                {
                    Add(SmtpFindingSeverity.Warning, "NotEncrypted", $"{Endpoint} offers no STARTTLS: mail would cross the network in plaintext.",
                        "Fine for a relay on a trusted network; otherwise use the server's TLS port (465 with implicit TLS, or 587 with -UseStartTls).");
                    if (capabilities.AuthenticationMechanisms.Length > 0)
                    {
                        Add(SmtpFindingSeverity.Warning, "AuthOfferedOnlyInPlaintext", $"{Endpoint} offers AUTH ({string.Join(" ", capabilities.AuthenticationMechanisms)}) but no way to encrypt the connection: a login here would send the password in plaintext.",
                            "Log in on the server's TLS port instead (465 with implicit TLS, or 587 with -UseStartTls); -AllowUnencryptedAuthentication is for trusted networks only.");
                    }
                }
            }

            private void Handshake(bool implicitTls)
            {
                var how = implicitTls ? "implicit TLS" : "STARTTLS";
                log.Step($"TLS handshake ({how}) with {config.SmtpServer}");
                var tls = new SslStream(Wire.Network, true, Validate);
                var started = clock.Elapsed;
                try
                {
                    Wire.Guard("TLS handshake", () => tls.AuthenticateAsClient(config.SmtpServer, trust!.ClientCertificates, SmtpConnector.SslProtocolsFor(config.TlsProtocol), config.CheckCertificateRevocation));
                }
                catch (Exception ex) when (ex is AuthenticationException or SmtpWireException { Failure: not WireFailure.TimedOut })
                {
                    tls.Dispose();
                    Wire.Note($"TLS handshake failed: {Innermost(ex).Message}" + (Wire.FirstBytesText.Length > 0 ? $"; the server had sent '{Wire.FirstBytesText}'" : string.Empty));
                    CertificateFindings();
                    if (report.Trusted == false)
                    {
                        throw new StopDiagnosis();
                    }

                    if (implicitTls && Wire.ServerSpokeSmtpFirst)
                    {
                        throw Stop(SmtpFindingSeverity.Error, "ImplicitTlsOnStartTlsPort",
                            $"{Endpoint} greeted in plaintext ('{Wire.FirstBytesText.Split('\r', '\n')[0]}') instead of starting TLS: it is a plain SMTP or STARTTLS port, not an implicit-TLS one.",
                            config.Port == SmtpHandlerConfig.ImplicitTlsPort
                                ? "Port 465 usually means implicit TLS, but this server does not: use its STARTTLS port with -UseStartTls."
                                : $"Use -UseStartTls instead of -UseTls{(config.Port == 587 ? " (port 587 is the STARTTLS submission port)" : string.Empty)}; implicit TLS is usually port 465.");
                    }

                    var why = ex is SmtpWireException wireFailure ? wireFailure.Message : Innermost(ex).Message;
                    throw Stop(SmtpFindingSeverity.Error, "TlsHandshakeFailed", $"The TLS handshake ({how}) with {Endpoint} failed: {why}.",
                        "The server may offer only TLS 1.0 or 1.1, which SmtpHandler does not use, or want a client certificate (-ClientCertificatePath).");
                }
                catch (SmtpWireException ex) when (ex.Failure == WireFailure.TimedOut)
                {
                    tls.Dispose();
                    throw Stop(SmtpFindingSeverity.Error, "TlsHandshakeTimedOut", $"{Endpoint} did not complete the TLS handshake ({how}) within {TimeoutText}.",
                        implicitTls ? "This may not be an implicit-TLS port: if the server greets in plaintext on another try, use -UseStartTls." : "The server or something in between stalls TLS; try again, or try implicit TLS on port 465.");
                }

                report.TlsTime = clock.Elapsed - started;
                report.Encrypted = true;
                report.TlsProtocol = ProtocolName(tls.SslProtocol);
                report.CipherSuite = CipherSuite(tls);
                Wire.Note($"TLS {report.TlsProtocol} {report.CipherSuite}");
                Wire.Secure(tls);
                CertificateFindings();
            }

            /// <summary>Records the certificate and chain, then asks <see cref="TlsTrust"/>, the same decision sending uses.</summary>
            private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
            {
                policyErrors = errors;
                try
                {
                    var now = DateTime.Now;
                    var elements = chain?.ChainElements.Cast<X509ChainElement>().ToList() ?? new List<X509ChainElement>();
                    report.CertificateChain = elements.Select(e => SmtpCertificateInfo.From(e.Certificate, now, e.ChainElementStatus)).ToArray();
                    chainFlags = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
                    if (certificate != null)
                    {
                        using var copy = new X509Certificate2(certificate);
                        report.Certificate = report.CertificateChain.FirstOrDefault(c => c.Thumbprint == copy.Thumbprint) ?? SmtpCertificateInfo.From(copy, now);
                    }
                }
                catch (CryptographicException ex)
                {
                    Add(SmtpFindingSeverity.Warning, "CertificateUnreadable", $"The server's certificate could not be read completely: {ex.Message}.");
                }

                report.CertificateErrors = errors.ToString();
                var trusted = trust!.Validate(sender, certificate, chain, errors);
                verdict = trust.LastVerdict;
                report.Trusted = trusted;
                report.TrustFailure = verdict?.Reason;
                report.TrustedBy = verdict?.TrustedBy;
                return trusted;
            }

            private void CertificateFindings()
            {
                var certificate = report.Certificate;
                if (certificate == null || certificateChecked)
                {
                    return;
                }

                certificateChecked = true;
                var now = DateTime.Now;
                var explained = false;
                if (certificate.NotAfter < now)
                {
                    explained = true;
                    Add(SmtpFindingSeverity.Error, "CertificateExpired", $"The certificate of {Endpoint} ({certificate.Subject}) expired on {certificate.NotAfter:yyyy-MM-dd HH:mm}, {-certificate.DaysUntilExpiry} day(s) ago.",
                        "The server's administrator must renew it; every TLS connection fails until then.");
                }
                else if (certificate.NotBefore > now)
                {
                    explained = true;
                    Add(SmtpFindingSeverity.Error, "CertificateNotYetValid", $"The certificate of {Endpoint} is valid only from {certificate.NotBefore:yyyy-MM-dd HH:mm}.",
                        "Check this machine's clock and the server's.");
                }
                else if (certificate.DaysUntilExpiry < ExpiryWarningDays)
                {
                    Add(SmtpFindingSeverity.Warning, "CertificateExpiringSoon", $"The certificate of {Endpoint} ({certificate.Subject}) expires on {certificate.NotAfter:yyyy-MM-dd}, in {certificate.DaysUntilExpiry} day(s).",
                        "Have it renewed before then: after that date every TLS connection to this server fails.");
                }

                if (report.Trusted != false)
                {
                    return;
                }

                if (policyErrors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                {
                    explained = true;
                    var names = certificate.SubjectAlternativeNames.Length > 0 ? string.Join(", ", certificate.SubjectAlternativeNames) : certificate.Subject;
                    Add(SmtpFindingSeverity.Error, "CertificateNameMismatch", $"The certificate of {Endpoint} is issued to {names}, not to '{config.SmtpServer}'.",
                        "Connect with a name the certificate holds (-SmtpServer), or have the certificate reissued with this name in it.");
                }

                if (chainFlags.HasFlag(X509ChainStatusFlags.Revoked))
                {
                    explained = true;
                    Add(SmtpFindingSeverity.Error, "CertificateRevoked", $"The certificate of {Endpoint} has been revoked.", "The server's administrator must replace it.");
                }

                var timeFlags = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested;
                var chainProblem = policyErrors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && (chainFlags & ~timeFlags & ~X509ChainStatusFlags.Revoked) != X509ChainStatusFlags.NoError;
                var given = config.TrustedCertificatePaths.Count > 0;
                if (chainProblem && (!explained || !given) || !explained)
                {
                    Add(SmtpFindingSeverity.Error, "CertificateUntrusted", $"The certificate of {Endpoint} is not trusted: {report.TrustFailure ?? "the chain does not build to a trusted root"} (issued by {certificate.Issuer}).",
                        given
                            ? "The files given with -TrustedCertificatePath do not include this chain's root or the server's certificate: give the certificate of the CA that issued it."
                            : "For a private CA or a self-signed server certificate, give the CA's certificate (or the server's) with -TrustedCertificatePath. The check is never switched off.");
                }
            }

            private void Authenticate(EhloCapabilities capabilities)
            {
                if (!config.HasCredential)
                {
                    return;
                }

                if (config.TokenSource != null)
                {
                    AuthenticateWithToken(capabilities, config.TokenSource);
                    return;
                }

                if (!report.Encrypted && !config.AllowUnencryptedAuthentication)
                {
                    Add(SmtpFindingSeverity.Error, "UnencryptedAuthenticationRefused", $"Refusing to send the credential for '{config.UserName}' unencrypted to {Endpoint}: login was not tried.",
                        "Use implicit TLS (-UseTls, or port 465) or STARTTLS (-UseStartTls, usually port 587); only on a trusted network, -AllowUnencryptedAuthentication allows it.");
                    return;
                }

                if (capabilities.AuthenticationMechanisms.Length == 0)
                {
                    Add(SmtpFindingSeverity.Error, "AuthenticationNotOffered", $"{Endpoint} does not offer AUTH on this connection, so the credential for '{config.UserName}' can't be used.",
                        !report.Encrypted && report.StartTlsOffered == true
                            ? "Many servers offer AUTH only after STARTTLS: use -UseStartTls."
                            : "The server may not need a login from this network (a relay), or take logins on another port (587 or 465).");
                    return;
                }

                var mechanism = RankedMechanisms.FirstOrDefault(m => capabilities.AuthenticationMechanisms.Contains(m, StringComparer.OrdinalIgnoreCase) && SaslMechanism.IsSupported(m));
                if (mechanism == null)
                {
                    Add(SmtpFindingSeverity.Error, "NoUsableAuthenticationMechanism", $"{Endpoint} offers AUTH {string.Join(" ", capabilities.AuthenticationMechanisms)}, none of which works with a user name and password.",
                        "XOAUTH2 and OAUTHBEARER need an OAuth token: give one with New-SmtpHandlerConfig -OAuthUserName.");
                    return;
                }

                if (!report.Encrypted)
                {
                    Add(SmtpFindingSeverity.Warning, "AuthenticationInPlaintext", $"The credential for '{config.UserName}' crossed the network unencrypted (-AllowUnencryptedAuthentication).",
                        "Use TLS for logins whenever the server offers it.");
                }

                var sasl = SaslMechanism.Create(mechanism, new NetworkCredential(config.UserName, config.Password))
                    ?? throw new InvalidOperationException($"MailKit has no {mechanism} implementation.");
                Login(sasl, "Check the user name and password. Many providers want an app password (or OAuth) rather than the account's password, and some want SMTP AUTH enabled per mailbox.");
            }

            /// <summary>XOAUTH2 with a token fetched now, as sending does: never over plaintext, and no token fetched when the server can't take it.</summary>
            private void AuthenticateWithToken(EhloCapabilities capabilities, IOAuthTokenSource source)
            {
                const string XOAuth2 = "XOAUTH2";
                if (!report.Encrypted)
                {
                    Add(SmtpFindingSeverity.Error, "UnencryptedAuthenticationRefused", $"Refusing to send an OAuth access token for '{config.UserName}' unencrypted to {Endpoint}: login was not tried.",
                        "Tokens are only ever sent over TLS: use implicit TLS (-UseTls, or port 465) or STARTTLS (-UseStartTls, usually port 587).");
                    return;
                }

                if (!capabilities.AuthenticationMechanisms.Contains(XOAuth2, StringComparer.OrdinalIgnoreCase))
                {
                    var offered = capabilities.AuthenticationMechanisms.Length > 0 ? $"it offers AUTH {string.Join(" ", capabilities.AuthenticationMechanisms)}" : "it offers no AUTH at all";
                    Add(SmtpFindingSeverity.Error, "XOAuth2NotOffered", $"{Endpoint} does not offer OAuth 2.0 login (AUTH XOAUTH2): {offered}.",
                        "Log in with -Credential instead, or use the provider's OAuth-enabled SMTP host (smtp.office365.com, smtp.gmail.com).");
                    return;
                }

                OAuthToken token;
                try
                {
                    log.Step($"Getting an access token from {source.Description}");
                    token = source.GetToken(log, cancellation);
                }
                catch (SmtpHandlerException ex)
                {
                    Add(SmtpFindingSeverity.Error, ex.ErrorId, ex.Message);
                    return;
                }

                if (token.AccessToken.Length == 0 || token.AccessToken.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                {
                    Add(SmtpFindingSeverity.Error, "InvalidAccessToken", $"The access token from {source.Description} is empty or holds spaces or control characters, so it can't be a bearer token.",
                        "A token is one word, without 'Bearer '.");
                    return;
                }

                report.TokenExpiresOn = token.ExpiresOn;
                if (token.ExpiresOn is DateTimeOffset expires && expires < DateTimeOffset.UtcNow)
                {
                    Add(SmtpFindingSeverity.Warning, "AccessTokenExpired", $"The access token from {source.Description} expired at {expires.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.", "Get a fresh token.");
                }

                Login(new SaslMechanismOAuth2(config.UserName!, token.AccessToken),
                    "The token may be expired, for another user, or lack the SMTP.Send (Microsoft 365) or mail.google.com (Gmail) permission.");
            }

            /// <summary>Runs one SASL exchange and reports it; the client's lines appear in the transcript only as ********.</summary>
            private void Login(SaslMechanism sasl, string advice)
            {
                var mechanism = sasl.MechanismName;
                report.AuthenticationMechanism = mechanism;
                SmtpReply reply;
                try
                {
                    var command = $"AUTH {mechanism}";
                    var shown = command;
                    if (sasl.SupportsInitialResponse)
                    {
                        var initial = sasl.Challenge(null, cancellation);
                        command += " " + (initial.Length == 0 ? "=" : initial);
                        shown += " ********";
                    }

                    reply = Wire.Send("AUTH", command, shown);
                    for (var round = 0; reply.Code == 334 && round < 10; round++)
                    {
                        var challenge = reply.Lines.Count > 0 ? reply.Lines[0].Trim() : string.Empty;
                        reply = Wire.Send("AUTH", sasl.Challenge(challenge, cancellation) ?? string.Empty, "********");
                    }
                }
                catch (SaslException ex)
                {
                    var cancel = Wire.Send("AUTH", "*");
                    reply = new SmtpReply(cancel.Code, new[] { $"{cancel.Text} (the client gave up: {ex.Message})" });
                }

                report.AuthenticationReply = reply.ToString();
                report.Authenticated = reply.Code == 235;
                if (reply.Code != 235)
                {
                    Add(SmtpFindingSeverity.Error, "AuthenticationFailed", $"{Endpoint} refused the login of '{config.UserName}' with {mechanism}: {reply}.",
                        reply.Code >= 400 && reply.Code < 500 ? "A temporary failure: try again later." : advice);
                }
            }

            private void CheckEnvelope()
            {
                var envelope = owner.Envelope;
                if (envelope == null)
                {
                    return;
                }

                var sender = envelope.From ?? (config.DefaultFrom == null ? string.Empty : MailAddressParser.Parse(config.DefaultFrom, "DefaultFrom").Address);
                var mail = Wire.Send("MAIL FROM", $"MAIL FROM:<{sender}>");
                report.Sender = new SmtpAddressCheck(sender, mail.IsSuccess, mail.Code, mail.Text);
                if (!mail.IsSuccess)
                {
                    Add(SmtpFindingSeverity.Error, "SenderRejected", $"{Endpoint} would not accept <{sender}> as the sender: {mail}.",
                        mail.Code == 530 ? "The server wants a login first: give -Credential."
                        : mail.Code < 500 ? "A temporary refusal (greylisting, a busy server): try again later."
                        : "The server does not let this client send as this address (a relaying or sender policy, or the login may not use it).");
                    report.Recipients = envelope.To.Select(to => new SmtpAddressCheck(to, null, null, null)).ToList().AsReadOnly();
                }
                else
                {
                    var checks = new List<SmtpAddressCheck>();
                    foreach (var to in envelope.To)
                    {
                        var rcpt = Wire.Send("RCPT TO", $"RCPT TO:<{to}>");
                        checks.Add(new SmtpAddressCheck(to, rcpt.IsSuccess, rcpt.Code, rcpt.Text));
                        if (!rcpt.IsSuccess)
                        {
                            Add(SmtpFindingSeverity.Error, "RecipientRejected", $"{Endpoint} would not accept <{to}> as a recipient: {rcpt}.",
                                rcpt.Code < 500
                                    ? "A temporary refusal (greylisting, a full mailbox, too many recipients): try again later."
                                    : "The mailbox may not exist, or this server does not relay to that domain for this client (a login with -Credential often allows it).");
                        }
                    }

                    report.Recipients = checks.AsReadOnly();
                }

                var reset = Wire.Send("RSET", "RSET");
                if (!reset.IsSuccess)
                {
                    Add(SmtpFindingSeverity.Warning, "ResetRefused", $"{Endpoint} refused RSET: {reset}. The connection was closed without DATA, so nothing was sent.");
                }
            }

            /// <summary>Ends politely when the connection still works; never waits long for it.</summary>
            private void Quit()
            {
                if (wire == null || wire.Broken || report.BannerCode == null)
                {
                    return;
                }

                try
                {
                    wire.Send("QUIT", "QUIT", limit: TimeSpan.FromTicks(Math.Min(config.Timeout.Ticks, TimeSpan.FromSeconds(5).Ticks)));
                }
                catch (SmtpWireException)
                {
                    // The diagnosis is complete; how the server takes QUIT changes nothing.
                }
            }

            private void WireFailed(SmtpWireException ex)
            {
                switch (ex.Failure)
                {
                    case WireFailure.TimedOut:
                        Add(SmtpFindingSeverity.Error, "ReplyTimedOut", $"{Endpoint} did not answer {ex.Step} within {TimeoutText}.",
                            "The server or the network is slow or stalled; a longer -Timeout may help.");
                        break;
                    case WireFailure.Closed:
                        Add(SmtpFindingSeverity.Error, "ConnectionClosed", $"{Endpoint} closed the connection during {ex.Step}: {ex.Message}.",
                            ex.Step == "greeting" && config.TlsMode != SmtpTlsMode.ImplicitTls
                                ? "A server that drops a client before greeting may be refusing this address, or expect implicit TLS (-UseTls)."
                                : "The server ended the session; its logs say why.");
                        break;
                    default:
                        var tlsBytes = Wire.FirstBytesText.Length > 0 && !char.IsLetterOrDigit(Wire.FirstBytesText[0]);
                        Add(SmtpFindingSeverity.Error, "NotSmtp", $"{Endpoint} does not speak SMTP as expected during {ex.Step}: {ex.Message}.",
                            tlsBytes && config.TlsMode != SmtpTlsMode.ImplicitTls ? "The bytes look like TLS: use -UseTls." : "Check the port: another service may be listening on it.");
                        break;
                }
            }

            private SmtpWire Wire => wire ?? throw new InvalidOperationException("Not connected.");

            private string DefaultEhloName()
            {
                try
                {
                    var host = Dns.GetHostName();
                    if (host.Length > 0 && host.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '.'))
                    {
                        return host;
                    }
                }
                catch (SocketException)
                {
                    // Fall back to the address literal below.
                }

                return local == null ? "localhost" : local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{local.Address}]" : $"[{local.Address}]";
            }

            private void Add(SmtpFindingSeverity severity, string id, string message, string? advice = null)
            {
                report.FindingList.Add(new SmtpFinding(severity, id, message, advice));
                log.Step($"{severity} {id}: {message}");
            }

            /// <summary>Records a finding that ends the diagnosis; the caller throws what this returns.</summary>
            private StopDiagnosis Stop(SmtpFindingSeverity severity, string id, string message, string? advice = null)
            {
                Add(severity, id, message, advice);
                return new StopDiagnosis();
            }

            private static void Observe(Task task) => task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);

            private static Exception Innermost(Exception ex)
            {
                while (ex.InnerException != null)
                {
                    ex = ex.InnerException;
                }

                return ex;
            }

            private static string ProtocolName(SslProtocols protocol) => (int)protocol switch
            {
                12288 => "Tls13",
                3072 => "Tls12",
                768 => "Tls11",
                192 => "Tls",
                48 => "Ssl3",
                _ => protocol.ToString(),
            };

            /// <summary>
            /// The IANA cipher suite name where the runtime exposes it (SslStream.NegotiatedCipherSuite, .NET
            /// Core 3.0 and later), read by reflection so the assembly stays netstandard2.0; otherwise the
            /// parts every runtime reports.
            /// </summary>
            private static string CipherSuite(SslStream tls)
            {
                try
                {
                    var suite = typeof(SslStream).GetProperty("NegotiatedCipherSuite")?.GetValue(tls)?.ToString();
                    if (!string.IsNullOrEmpty(suite))
                    {
                        return suite!;
                    }
                }
                catch (System.Reflection.TargetInvocationException)
                {
                    // Fall through to the portable description.
                }

                return $"{tls.CipherAlgorithm} {tls.CipherStrength}-bit, {tls.HashAlgorithm}, {tls.KeyExchangeAlgorithm}";
            }
        }

        /// <summary>Ends a diagnosis after a finding that leaves nothing more to test.</summary>
        private sealed class StopDiagnosis : Exception
        {
        }
    }
}
