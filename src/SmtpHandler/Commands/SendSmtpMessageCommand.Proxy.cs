using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Send-SmtpMessage's proxy parameters: they override -Config's proxy.</summary>
    public sealed partial class SendSmtpMessageCommand
    {
        /// <summary>The proxy to connect through: socks5://host:port, socks4://, socks4a:// or http://host:port (CONNECT).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Proxy { get; set; }

        /// <summary>The proxy's login (SOCKS 5 user name and password, HTTP Basic); never part of -Proxy.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? ProxyCredential { get; set; }
    }
}
