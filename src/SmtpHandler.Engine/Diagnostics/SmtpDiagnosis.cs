using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler
{
    /// <summary>
    /// One run of <see cref="SmtpDiagnostics"/>: the report being filled, the connection, and the steps in order.
    /// Each step lives in its own file under Steps/; every finding is worded in <see cref="Findings"/>.
    /// </summary>
    internal sealed partial class SmtpDiagnosis
    {
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;
        private readonly SmtpEnvelopeCheck? envelope;
        private readonly bool startTlsOverridden;
        private readonly CancellationToken cancellation;
        private readonly SmtpConnectionReport report;
        private readonly List<string> transcript = new();
        private readonly Stopwatch clock = Stopwatch.StartNew();

        // What this diagnosis sent to log in: masked wherever the server's words are shown.
        private readonly SentSecrets secrets;
        private TlsTrust? trust;
        private SmtpWire? wire;
        private IPEndPoint? remote;
        private IPEndPoint? local;

        // The step under way, named for a finding when it fails in a way no other finding foresees.
        private string step = "the configuration";

        public SmtpDiagnosis(SmtpHandlerConfig config, ISmtpLog log, SmtpEnvelopeCheck? envelope, bool startTlsOverridden, CancellationToken cancellation)
        {
            this.config = config;
            secrets = SentSecrets.For(config);
            this.log = ServerTextLog.Wrap(log, secrets);
            this.envelope = envelope;
            this.startTlsOverridden = startTlsOverridden;
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

        private SmtpWire Wire => wire ?? throw new InvalidOperationException("Not connected.");

        public SmtpConnectionReport Run()
        {
            try
            {
                if (startTlsOverridden)
                {
                    Add(Findings.StartTlsOverridden(config.Port == SmtpHandlerConfig.ImplicitTlsPort));
                }

                if (config.IsPickup)
                {
                    throw Stop(Findings.PickupConfiguration(config.PickupDirectory));
                }

                // The trust decision sending uses; a certificate file that can't be read fails as InvalidCertificateFile,
                // a finding like any other SmtpHandlerException.
                step = "the configuration's trust settings";
                trust = TlsTrust.Create(config);
                step = config.Proxy != null ? "the connection to the proxy" : "name resolution";
                var socket = config.Proxy != null ? ConnectThroughProxy(config.Proxy) : Connect(Resolve());
                wire = new SmtpWire(socket, config.Timeout, log, transcript, cancellation, secrets);
                if (config.TlsMode == SmtpTlsMode.ImplicitTls)
                {
                    step = "the TLS handshake";
                    Handshake(implicitTls: true);
                }

                step = "the greeting";
                Greet();
                step = "EHLO";
                var capabilities = Ehlo();
                if (config.TlsMode == SmtpTlsMode.StartTls)
                {
                    step = "STARTTLS";
                    capabilities = StartTls(capabilities);
                }
                else if (config.TlsMode == SmtpTlsMode.None)
                {
                    step = "the checks of a plaintext connection";
                    Plaintext(capabilities);
                }

                step = "AUTH";
                Authenticate(capabilities);
                step = "MAIL FROM and RCPT TO";
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
                Add(Findings.From(ex));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                // Whatever the server (or a surprise of ours) does, the diagnosis returns a report: the steps so far and why it stopped.
                Add(Findings.DiagnosisStepFailed(step, ex));
                Quit();
            }
            finally
            {
                wire?.Dispose();
                report.Complete(clock.Elapsed, transcript);
            }

            return report;
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
                    Add(Findings.ReplyTimedOut(Endpoint, ex.Step, TimeoutText));
                    break;
                case WireFailure.Closed:
                    Add(Findings.ConnectionClosed(Endpoint, ex.Step, ex.Message, ex.Step == "greeting" && config.TlsMode != SmtpTlsMode.ImplicitTls));
                    break;
                default:
                    var tlsBytes = Wire.FirstBytesText.Length > 0 && !char.IsLetterOrDigit(Wire.FirstBytesText[0]);
                    Add(Findings.NotSmtp(Endpoint, ex.Step, ex.Message, tlsBytes && config.TlsMode != SmtpTlsMode.ImplicitTls));
                    break;
            }
        }

        private void Add(SmtpFinding finding)
        {
            // Findings quote the server (a refusal, an exception's text): the same filter as every other output.
            var message = ServerText.Clean(finding.Message, secrets);
            var advice = ServerText.CleanOrNull(finding.Advice, secrets);
            if (!ReferenceEquals(message, finding.Message) || !ReferenceEquals(advice, finding.Advice))
            {
                finding = new SmtpFinding(finding.Severity, finding.Id, message, advice);
            }

            report.FindingList.Add(finding);
            log.Step($"{finding.Severity} {finding.Id}: {finding.Message}");
        }

        /// <summary>Records a finding that ends the diagnosis; the caller throws what this returns.</summary>
        private StopDiagnosis Stop(SmtpFinding finding)
        {
            Add(finding);
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
    }
}
