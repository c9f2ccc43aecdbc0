namespace SmtpHandler
{
    /// <summary>How a <see cref="SmtpProxy"/> is spoken to: the scheme of its address.</summary>
    public enum SmtpProxyKind
    {
        /// <summary>socks5:// (RFC 1928, with RFC 1929 user name and password); the proxy resolves the server's name.</summary>
        Socks5,

        /// <summary>socks4://: IPv4 only; this machine resolves the server's name.</summary>
        Socks4,

        /// <summary>socks4a://: SOCKS 4 where the proxy resolves the server's name.</summary>
        Socks4a,

        /// <summary>http://: an HTTP proxy's CONNECT tunnel (RFC 9110), with Basic authentication.</summary>
        Http,
    }
}
