using System;
using System.Net.Security;
using System.Security.Authentication;

namespace SmtpHandler
{
    /// <summary>Step 5: STARTTLS or implicit TLS, the handshake and what it negotiated; or what plain SMTP means.</summary>
    internal sealed partial class SmtpDiagnosis
    {
        private EhloCapabilities StartTls(EhloCapabilities plaintext)
        {
            report.CapabilitiesBeforeTls = plaintext.Keywords;
            report.AuthenticationMechanismsBeforeTls = plaintext.AuthenticationMechanisms;
            report.StartTlsOffered = plaintext.StartTls;
            if (!plaintext.StartTls)
            {
                throw Stop(Findings.StartTlsNotOffered(Endpoint));
            }

            var reply = Wire.Send("STARTTLS", "STARTTLS");
            if (reply.Code != 220)
            {
                throw Stop(Findings.StartTlsFailed(Endpoint, reply));
            }

            if (Wire.HasUnreadData)
            {
                throw Stop(Findings.StartTlsResponseInjection(Endpoint));
            }

            Handshake(implicitTls: false);
            var secured = Ehlo();
            if (plaintext.AuthenticationMechanisms.Length > 0)
            {
                Add(Findings.AuthOfferedBeforeTls(Endpoint, plaintext.AuthenticationMechanisms));
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
                Add(Findings.StartTlsNotUsed(Endpoint));
                return;
            }

            Add(Findings.NotEncrypted(Endpoint));
            if (capabilities.AuthenticationMechanisms.Length > 0)
            {
                Add(Findings.AuthOfferedOnlyInPlaintext(Endpoint, capabilities.AuthenticationMechanisms));
            }
        }

        private void Handshake(bool implicitTls)
        {
            var how = implicitTls ? "implicit TLS" : "STARTTLS";
            log.Step($"TLS handshake ({how}) with {config.SmtpServer}");
            var tls = new SslStream(Wire.Network, true, ValidateCertificate);
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
                    throw Stop(Findings.ImplicitTlsOnStartTlsPort(Endpoint, Wire.FirstBytesText.Split('\r', '\n')[0], config.Port));
                }

                var why = ex is SmtpWireException wireFailure ? wireFailure.Message : Innermost(ex).Message;
                throw Stop(Findings.TlsHandshakeFailed(Endpoint, how, why));
            }
            catch (SmtpWireException ex) when (ex.Failure == WireFailure.TimedOut)
            {
                tls.Dispose();
                throw Stop(Findings.TlsHandshakeTimedOut(Endpoint, how, TimeoutText, implicitTls));
            }

            report.TlsTime = clock.Elapsed - started;
            report.Encrypted = true;
            report.TlsProtocol = ProtocolName(tls.SslProtocol);
            report.CipherSuite = CipherSuite(tls);
            Wire.Note($"TLS {report.TlsProtocol} {report.CipherSuite}");
            Wire.Secure(tls);
            CertificateFindings();
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
}
