using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace SmtpHandler
{
    /// <summary>Step 4: EHLO (HELO when a server refuses it), and what the server announces.</summary>
    internal sealed partial class SmtpDiagnosis
    {
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

            if (ReplyCodes.IsPermanent(reply.Code))
            {
                var helo = Wire.Send("HELO", $"HELO {name}");
                if (helo.IsSuccess)
                {
                    Add(Findings.EhloNotSupported(Endpoint, reply));
                    Describe(EhloCapabilities.None);
                    return EhloCapabilities.None;
                }
            }

            throw Stop(Findings.EhloRefused(Endpoint, name, reply));
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
    }
}
