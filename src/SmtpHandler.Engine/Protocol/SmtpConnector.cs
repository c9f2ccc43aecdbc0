using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace SmtpHandler
{
    /// <summary>
    /// Opens one connection the way the configuration says: TLS mode (never MailKit's opportunistic
    /// modes), trust, EHLO name, timeout, and login only where it is safe. Used by sending and by
    /// diagnostics alike.
    /// </summary>
    internal sealed class SmtpConnector
    {
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;
        private readonly TlsTrust trust;

        public SmtpConnector(SmtpHandlerConfig config, ISmtpLog log)
        {
            this.config = config;
            this.log = log;
            trust = TlsTrust.Create(config);
        }

        public TlsTrust Trust => trust;

        public string Endpoint => $"{config.SmtpServer}:{config.Port}";

        public RecordingSmtpClient CreateClient(ProtocolHook logger)
        {
            var client = new RecordingSmtpClient(logger)
            {
                Timeout = (int)config.Timeout.TotalMilliseconds,
                CheckCertificateRevocation = config.CheckCertificateRevocation,
                ServerCertificateValidationCallback = trust.Validate,
                SslProtocols = SslProtocolsFor(config.TlsProtocol),
            };
            if (config.LocalDomain != null)
            {
                client.LocalDomain = config.LocalDomain;
            }

            if (trust.ClientCertificates != null)
            {
                client.ClientCertificates = trust.ClientCertificates;
            }

            return client;
        }

        /// <summary>Connects (and secures) <paramref name="client"/>; throws <see cref="SmtpHandlerException"/>.</summary>
        public void Connect(RecordingSmtpClient client, CancellationToken cancellationToken)
        {
            var options = config.TlsMode switch
            {
                SmtpTlsMode.ImplicitTls => SecureSocketOptions.SslOnConnect,
                SmtpTlsMode.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            log.Step($"Connecting to {Endpoint} ({Describe(config.TlsMode)}){(config.Proxy != null ? $" through the proxy {config.Proxy}" : string.Empty)}");
            if (config.TlsMode != SmtpTlsMode.None && trust.Describe() is { } trustSteps)
            {
                log.Step(trustSteps);
            }

            trust.BeginConnection();
            try
            {
                IdleWatchdog.Run(WatchdogOf(client), cancellationToken, token =>
                {
                    // A blocking socket of our own (see TcpConnect): MailKit then reads it without the event loop.
                    var socket = config.Proxy == null
                        ? TcpConnect.Connect(config.SmtpServer, config.Port, config.Timeout, token)
                        : OpenTunnel(config.Proxy, token, cancellationToken, () => WatchdogOf(client)?.Touch());

                    // The TLS handshake and the greeting get the whole timeout, and a stall in the handshake (which
                    // MailKit waits out without looking at the token) ends by the socket being closed under it.
                    WatchdogOf(client)?.Attach(socket);
                    WatchdogOf(client)?.Touch();
                    try
                    {
                        client.Connect(socket, config.SmtpServer, config.Port, options, token);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                });
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // Stopped by the caller, seen as whatever closing the socket under a blocked read looks like.
                throw new OperationCanceledException("The connection was cancelled.", ex, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var failure = WatchdogOf(client)?.Fired == true && ex is not SmtpHandlerException ? new TimeoutException(ex.Message, ex) : ex;
                throw trust.Explain(TranslateConnectFailure(failure, (client.ProtocolLogger as ProtocolHook)?.LastCommand));
            }

            if (config.TlsMode != SmtpTlsMode.None && !client.IsEncrypted)
            {
                // Defence in depth: MailKit throws when STARTTLS is missing, but never go on in plaintext.
                client.Disconnect(false);
                throw StartTlsNotOffered();
            }

            log.Step(client.IsEncrypted
                ? $"Connected to {Endpoint} with {client.SslProtocol}, {client.SslCipherAlgorithm}"
                : $"Connected to {Endpoint} without encryption");
        }

        /// <summary>
        /// Logs in when the configuration carries a credential (a password, or an OAuth token source for XOAUTH2), where
        /// <see cref="AuthenticationPolicy"/> allows it; throws <see cref="SmtpHandlerException"/>.
        /// </summary>
        public void Authenticate(RecordingSmtpClient client, CancellationToken cancellationToken)
        {
            if (!config.HasCredential)
            {
                return;
            }

            if (AuthenticationPolicy.OnConnection(config, client.IsEncrypted, Endpoint) is { } plaintext)
            {
                throw plaintext.ToException();
            }

            if (config.TokenSource != null)
            {
                AuthenticateWithToken(client, config.TokenSource, cancellationToken);
                return;
            }

            if (!client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
            {
                throw new SmtpHandlerException(
                    "AuthenticationNotOffered",
                    SmtpFailureKind.AuthenticationFailed,
                    $"{Endpoint} does not offer AUTH on this connection{(client.IsEncrypted ? string.Empty : "; many servers offer it only after STARTTLS")}.",
                    config.SmtpServer);
            }

            // MailKit picks the mechanism itself (and moves on to the next when the server finds one too weak); the
            // log names the one it tries first, which is what Test-SmtpConnection reports too.
            var mechanism = SaslMechanismChoice.ForPassword(client.AuthenticationMechanisms);
            log.Step($"Authenticating as {config.UserName}{(mechanism == null ? string.Empty : $" with {mechanism}")}");
            try
            {
                IdleWatchdog.Run(WatchdogOf(client), cancellationToken, token => client.Authenticate(new NetworkCredential(config.UserName, config.Password), token));
            }
            catch (MailKit.Security.AuthenticationException ex)
            {
                throw new SmtpHandlerException("AuthenticationFailed", SmtpFailureKind.AuthenticationFailed, $"{Endpoint} refused the login of '{config.UserName}': {ex.Message}", config.UserName, ex);
            }
            catch (SmtpCommandException ex)
            {
                throw new SmtpHandlerException("AuthenticationFailed", SmtpFailureKind.AuthenticationFailed, $"{Endpoint} refused the login of '{config.UserName}': {(int)ex.StatusCode} {ex.Message}", config.UserName, ex);
            }
        }

        /// <summary>SASL XOAUTH2 with a token fetched now, so that every new connection gets a current one.</summary>
        private void AuthenticateWithToken(RecordingSmtpClient client, IOAuthTokenSource source, CancellationToken cancellationToken)
        {
            var offered = client.Capabilities.HasFlag(SmtpCapabilities.Authentication) ? client.AuthenticationMechanisms : new HashSet<string>();
            if (AuthenticationPolicy.XOAuth2Offered(offered, Endpoint, config.SmtpServer) is { } notOffered)
            {
                throw notOffered.ToException();
            }

            log.Step($"Getting an access token from {source.Description}");
            var token = source.GetToken(log, cancellationToken);
            if (AuthenticationPolicy.TokenShape(token, source.Description, config.UserName) is { } badToken)
            {
                throw badToken.ToException();
            }

            log.Step($"Authenticating as {config.UserName} with XOAUTH2{(token.ExpiresOn is DateTimeOffset expires ? $" (token expires {expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC)" : string.Empty)}");
            try
            {
                IdleWatchdog.Run(WatchdogOf(client), cancellationToken, armed => client.Authenticate(new SaslMechanismOAuth2(config.UserName!, token.AccessToken), armed));
            }
            catch (MailKit.Security.AuthenticationException ex)
            {
                throw new SmtpHandlerException("AuthenticationFailed", SmtpFailureKind.AuthenticationFailed, $"{Endpoint} refused the XOAUTH2 login of '{config.UserName}': {ex.Message}", config.UserName, ex);
            }
            catch (SmtpCommandException ex)
            {
                throw new SmtpHandlerException("AuthenticationFailed", SmtpFailureKind.AuthenticationFailed, $"{Endpoint} refused the XOAUTH2 login of '{config.UserName}': {(int)ex.StatusCode} {ex.Message}", config.UserName, ex);
            }
        }

        /// <summary>The connection through the proxy; its failures name the proxy (ProxyFailed), never the server.</summary>
        private System.Net.Sockets.Socket OpenTunnel(SmtpProxy proxy, CancellationToken token, CancellationToken user, Action progress)
        {
            var hop = new ProxyHop();
            var socket = ProxyTunnel.Open(proxy, config.SmtpServer, config.Port, config.Timeout, token, user, hop, progress);
            log.Step($"The proxy {proxy.Address} ({hop.RemoteAddress}) opened a tunnel to {Endpoint}: {hop.Reply}");
            return socket;
        }

        /// <summary>The TLS versions a connection may negotiate: never below TLS 1.2 (12288 is TLS 1.3, unnamed in netstandard2.0).</summary>
        internal static SslProtocols SslProtocolsFor(SmtpTlsVersion minimum) => minimum switch
        {
            SmtpTlsVersion.Tls13 => (SslProtocols)12288,
            _ => SslProtocols.Tls12 | (SslProtocols)12288,
        };

        private static bool IsSocketTimeout(Exception? ex) =>
            ex is IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } } ||
            ex is SocketException { SocketErrorCode: SocketError.TimedOut };

        private static IdleWatchdog? WatchdogOf(RecordingSmtpClient client) => (client.ProtocolLogger as ProtocolHook)?.Watchdog;

        internal static string Describe(SmtpTlsMode mode) => mode switch
        {
            SmtpTlsMode.ImplicitTls => "implicit TLS",
            SmtpTlsMode.StartTls => "STARTTLS",
            _ => "no TLS",
        };

        private SmtpHandlerException StartTlsNotOffered() => new(
            "StartTlsNotOffered",
            SmtpFailureKind.TlsFailed,
            $"{Endpoint} did not offer STARTTLS, so nothing was sent: the connection would have been plaintext. If the port expects implicit TLS (usually 465), use -UseTls.",
            config.SmtpServer);

        /// <param name="ex">What MailKit threw.</param>
        /// <param name="lastCommand">The last command sent before it (see <see cref="ProtocolHook.LastCommand"/>).</param>
        private SmtpHandlerException TranslateConnectFailure(Exception ex, string? lastCommand)
        {
            switch (ex)
            {
                case SmtpHandlerException handled:
                    // Already said in our words (a reply over its cap).
                    return handled;
                case SslHandshakeException when ex.InnerException is TimeoutException || IsSocketTimeout(ex.InnerException):
                    return new SmtpHandlerException("ConnectionTimedOut", SmtpFailureKind.Timeout, $"{Endpoint} did not finish the TLS handshake within {config.Timeout.TotalSeconds:0.#} s.", config.SmtpServer, ex) { Transient = true };
                case SslHandshakeException:
                    if (trust.LastVerdict is { Trusted: false } refused)
                    {
                        return new SmtpHandlerException(
                            "CertificateUntrusted",
                            SmtpFailureKind.CertificateUntrusted,
                            $"{TlsVerdict.NotTrusted(Endpoint, refused.Reason!)}. {refused.Advice}",
                            config.SmtpServer,
                            ex);
                    }

                    return new SmtpHandlerException(
                        "TlsHandshakeFailed",
                        SmtpFailureKind.TlsFailed,
                        $"The TLS handshake with {Endpoint} failed: {ex.InnerException?.Message ?? ex.Message}" +
                        (config.TlsMode == SmtpTlsMode.ImplicitTls ? " If the port expects STARTTLS (usually 587 or 25), use -UseStartTls instead of -UseTls." : string.Empty),
                        config.SmtpServer,
                        ex);
                case NotSupportedException when config.TlsMode == SmtpTlsMode.StartTls:
                    return StartTlsNotOffered();
                case SmtpCommandException cmd when config.TlsMode == SmtpTlsMode.StartTls &&
                                                   (lastCommand == "STARTTLS" || ex.Message.IndexOf("STARTTLS", StringComparison.OrdinalIgnoreCase) >= 0):
                    // The reply to STARTTLS itself carries only the server's text ("TLS not available"): the command
                    // sent last tells it apart from a refused greeting. A 454 may pass: another connection may do.
                    return new SmtpHandlerException("StartTlsFailed", SmtpFailureKind.TlsFailed, $"{Endpoint} refused STARTTLS ({(int)cmd.StatusCode} {cmd.Message}); nothing was sent in plaintext.", config.SmtpServer, ex)
                    {
                        Transient = (int)cmd.StatusCode >= 400 && (int)cmd.StatusCode < 500,
                    };
                case SmtpCommandException cmd:
                    return new SmtpHandlerException("ServerRefusedConnection", SmtpFailureKind.ConnectionFailed, $"{Endpoint} refused the session: {(int)cmd.StatusCode} {cmd.Message}", config.SmtpServer, ex)
                    {
                        ReplyCode = (int)cmd.StatusCode,
                        Transient = (int)cmd.StatusCode >= 400 && (int)cmd.StatusCode < 500,
                    };
                case SmtpProtocolException:
                    // Most often the server closed the line during the greeting or EHLO: another connection may do
                    // (a sender retries it, at most RetryCount times).
                    return new SmtpHandlerException("ProtocolError", SmtpFailureKind.ProtocolError, $"{Endpoint} did not speak SMTP as expected: {ex.Message}" +
                        (config.TlsMode != SmtpTlsMode.ImplicitTls ? " If the port expects implicit TLS (usually 465), use -UseTls." : string.Empty), config.SmtpServer, ex) { Transient = true };
                case TimeoutException:
                case OperationCanceledException:
                case IOException io when IsSocketTimeout(io):
                    return new SmtpHandlerException("ConnectionTimedOut", SmtpFailureKind.Timeout, $"{Endpoint} did not answer within {config.Timeout.TotalSeconds:0.#} s." +
                        (config.TlsMode == SmtpTlsMode.ImplicitTls ? " A server waiting for a plain greeting (a STARTTLS port) looks like this: try -UseStartTls." : string.Empty), config.SmtpServer, ex) { Transient = true };
                case SocketException socket:
                    return new SmtpHandlerException("ConnectionFailed", SmtpFailureKind.ConnectionFailed, $"Could not connect to {Endpoint}: {socket.Message}", config.SmtpServer, ex) { Transient = true };
                default:
                    return new SmtpHandlerException("ConnectionFailed", SmtpFailureKind.ConnectionFailed, $"Could not connect to {Endpoint}: {ex.Message}", config.SmtpServer, ex) { Transient = true };
            }
        }
    }
}
