using System;

namespace SmtpHandler
{
    /// <summary>The proxy answered, and said no: to the login (<see cref="Login"/>) or to the tunnel to the server.</summary>
    internal sealed class ProxyRefusal : Exception
    {
        public ProxyRefusal(string reply, bool login)
            : base(reply)
        {
            Login = login;
        }

        /// <summary>True when the proxy refused the login (or wants one that was not given).</summary>
        public bool Login { get; }
    }
}
