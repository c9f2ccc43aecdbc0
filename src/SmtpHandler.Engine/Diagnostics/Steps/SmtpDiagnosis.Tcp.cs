using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace SmtpHandler
{
    /// <summary>Step 2: a TCP connection to the first address that accepts, with the connect sending uses (<see cref="TcpConnect"/>).</summary>
    internal sealed partial class SmtpDiagnosis
    {
        private Socket Connect(IPAddress[] addresses)
        {
            step = "the TCP connection";
            var failures = new List<KeyValuePair<IPAddress, SocketException>>();
            IPAddress? trying = null;
            var started = TimeSpan.Zero;
            Socket socket;
            try
            {
                socket = TcpConnect.Connect(addresses, config.Port, config.Timeout, cancellation, address =>
                {
                    log.Step($"Connecting to {address}:{config.Port}");
                    trying = address;
                    started = clock.Elapsed;
                }, failures);
            }
            catch (TimeoutException)
            {
                throw Stop(Findings.ConnectionTimedOut(Endpoint, TimeoutText));
            }
            catch (SocketException)
            {
                if (failures.All(f => f.Value.SocketErrorCode == SocketError.ConnectionRefused))
                {
                    throw Stop(Findings.ConnectionRefused(Endpoint, addresses.Select(a => a.ToString())));
                }

                throw Stop(Findings.ConnectionFailed(Endpoint, failures.Select(f => $"{f.Key}: {f.Value.Message}")));
            }

            socket.NoDelay = true;
            report.Connected = true;
            report.RemoteAddress = trying!.ToString();
            report.ConnectTime = clock.Elapsed - started;
            remote = new IPEndPoint(trying, config.Port);
            local = socket.LocalEndPoint as IPEndPoint;
            return socket;
        }
    }
}
