using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace SmtpHandler
{
    /// <summary>Step 1: the server's name to addresses, with the lookup sending uses (<see cref="TcpConnect"/>).</summary>
    internal sealed partial class SmtpDiagnosis
    {
        private IPAddress[] Resolve()
        {
            var host = TcpConnect.Unbracket(config.SmtpServer);
            if (!IPAddress.TryParse(host, out _))
            {
                log.Step($"Resolving {host}");
            }

            IPAddress[] addresses;
            try
            {
                addresses = TcpConnect.Resolve(config.SmtpServer, config.Timeout, cancellation);
            }
            catch (TimeoutException)
            {
                throw Stop(Findings.NameResolutionTimedOut(host, TimeoutText));
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException)
            {
                throw Stop(Findings.NameResolutionFailed(host, ex.Message));
            }

            report.Addresses = addresses.Select(a => a.ToString()).ToArray();
            if (addresses.Length == 0)
            {
                throw Stop(Findings.NoAddress(host));
            }

            return addresses;
        }
    }
}
