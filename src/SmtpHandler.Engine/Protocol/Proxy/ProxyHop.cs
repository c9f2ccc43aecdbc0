using System;

namespace SmtpHandler
{
    /// <summary>What happened at the proxy on the way to the server, for Test-SmtpConnection and the verbose log.</summary>
    internal sealed class ProxyHop
    {
        /// <summary>The proxy's address the TCP connection was made to, once it was.</summary>
        public string? RemoteAddress { get; set; }

        public TimeSpan? ConnectTime { get; set; }

        /// <summary>The proxy's answer to the tunnel request, in words (the HTTP status line, the SOCKS reply).</summary>
        public string? Reply { get; set; }
    }
}
