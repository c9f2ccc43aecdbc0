using System;

namespace SmtpHandler
{
    /// <summary>The proxy answered something its protocol does not allow (another protocol on that port, most often).</summary>
    internal sealed class ProxyProtocolViolation : Exception
    {
        public ProxyProtocolViolation(string message)
            : base(message)
        {
        }
    }
}
