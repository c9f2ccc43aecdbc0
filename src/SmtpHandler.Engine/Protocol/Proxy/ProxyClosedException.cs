using System;

namespace SmtpHandler
{
    /// <summary>The proxy closed the connection in the middle of its handshake.</summary>
    internal sealed class ProxyClosedException : Exception
    {
        public ProxyClosedException()
            : base("it closed the connection during the handshake")
        {
        }
    }
}
