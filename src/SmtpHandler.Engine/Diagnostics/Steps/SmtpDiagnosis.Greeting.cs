using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler
{
    /// <summary>Step 3: the server's greeting, and what a silent port probably is.</summary>
    internal sealed partial class SmtpDiagnosis
    {
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
            if (ReplyCodes.IsRefusal(greeting.Code))
            {
                throw Stop(Findings.GreetingRefused(Endpoint, greeting));
            }

            if (greeting.Code != 220)
            {
                Add(Findings.UnusualGreeting(Endpoint, greeting.Code));
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
                    if (probe == null && remote != null && waited >= TimeSpan.FromTicks(config.Timeout.Ticks / 2))
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
                        throw Stop(speaksTls
                            ? Findings.StartTlsOnImplicitTlsPort(Endpoint, TimeoutText, config.TlsMode == SmtpTlsMode.StartTls)
                            : Findings.NoGreeting(Endpoint, TimeoutText));
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
            using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            watchdog.CancelAfter(budget);
            Socket? socket = null;
            try
            {
                socket = TcpConnect.Connect(new[] { endpoint.Address }, endpoint.Port, budget, watchdog.Token);
                using var registration = watchdog.Token.Register(socket.Dispose);
                using var network = new NetworkStream(socket, ownsSocket: false);
                // The verdict refuses every certificate: this only learns whether one was offered.
                using var tls = new SslStream(network, false, (_, certificate, _, _) =>
                {
                    sawCertificate = certificate != null;
                    return false;
                });
                tls.AuthenticateAsClient(host, null, SslProtocols.Tls12 | (SslProtocols)12288, false);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException or TimeoutException)
            {
                // Expected: the handshake is refused on purpose, or the port is not TLS.
            }
            finally
            {
                socket?.Dispose();
            }

            return sawCertificate;
        }
    }
}
