using System.Net;
using System.Net.Sockets;

namespace SmtpHandler
{
    /// <summary>
    /// Steps 1 and 2 through a proxy: the proxy reached (its name resolved here, with the connect sending uses), its
    /// handshake and its reply, then the tunnel to the server, whose name the proxy resolves (<see cref="ProxyTunnel"/>).
    /// </summary>
    internal sealed partial class SmtpDiagnosis
    {
        private Socket ConnectThroughProxy(SmtpProxy proxy)
        {
            log.Step($"Connecting to the proxy {proxy} for {Endpoint}");
            report.Proxy = proxy.Address;
            var hop = new ProxyHop();
            var started = clock.Elapsed;
            Socket socket;
            try
            {
                socket = ProxyTunnel.Open(proxy, config.SmtpServer, config.Port, config.Timeout, cancellation, cancellation, hop, () => step = "the proxy's handshake");
            }
            catch (SmtpHandlerException ex)
            {
                report.ProxyAddress = hop.RemoteAddress;
                if (hop.RemoteAddress != null)
                {
                    Add(Findings.ProxyReached(proxy.Address, hop.RemoteAddress));
                }

                throw Stop(Findings.ProxyFailed(ex));
            }

            report.ProxyAddress = hop.RemoteAddress;
            report.ProxyReply = hop.Reply;
            Add(Findings.ProxyTunnelOpened(proxy.Address, hop.RemoteAddress, Endpoint, hop.Reply));
            report.Connected = true;
            report.RemoteAddress = hop.RemoteAddress;
            report.ConnectTime = clock.Elapsed - started;
            local = socket.LocalEndPoint as IPEndPoint;
            return socket;
        }
    }
}
