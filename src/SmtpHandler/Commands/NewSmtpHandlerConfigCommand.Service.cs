using System.Collections.Generic;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// New-SmtpHandlerConfig -Service and the sending limits: a service's documented endpoint and limits are the
    /// starting point (<see cref="ServiceProfile"/>), and every parameter given, on the command line or in settings,
    /// replaces its value.
    /// </summary>
    public sealed partial class NewSmtpHandlerConfigCommand
    {
        // Parameters -FromHashtable or -Path gave (they are not in BoundParameters).
        private ISet<string> settingsGiven = new HashSet<string>();

        // Kept as an int, as SmtpConnectionCmdletBase keeps TlsProtocol: a field of an engine enum would load the engine
        // when PowerShell lists the module's types at import, before ModuleInitializer has made it resolvable.
        private int service;

        /// <summary>Starts from a service's documented host, port, STARTTLS and limits (ExchangeOnline, ExchangeOnlineHve, AzureCommunicationServices, Gmail).</summary>
        [Parameter]
        public SmtpService Service
        {
            get => (SmtpService)service;
            set => service = (int)value;
        }

        /// <summary>At most this many messages a minute, evenly spaced across every connection; 0 for no pacing.</summary>
        [Parameter]
        [ValidateRange(0.0, 60000.0)]
        public double MaxMessagesPerMinute { get; set; }

        /// <summary>Recipients a rolling 24 hours allows (counted from the state file when there is one); 0 for no budget.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerDay { get; set; }

        /// <summary>The most connections the server allows at once: ConnectionCount is capped at it; 0 for no cap.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxConnections { get; set; }

        /// <summary>The service's configuration to lay the given values over; null without -Service (the defaults).</summary>
        private SmtpHandlerConfig? ServiceBase() => Service == SmtpService.None ? null : SmtpHandlerConfig.ForService(Service);

        /// <summary>
        /// The limits as given. With -Service, a value not given leaves the service's value (the cmdlet's own defaults,
        /// such as port 25 or no recipient limit, do not replace it).
        /// </summary>
        private ConfigParameters WithService(ConfigParameters given)
        {
            given.MaxMessagesPerMinute = Given(nameof(MaxMessagesPerMinute)) ? MaxMessagesPerMinute : null;
            given.RecipientsPerDay = Given(nameof(RecipientsPerDay)) ? RecipientsPerDay : null;
            given.MaxConnections = Given(nameof(MaxConnections)) ? MaxConnections : null;
            if (Service != SmtpService.None)
            {
                given.Port = Given(nameof(Port)) ? Port : null;
                given.RecipientsPerMessage = Given(nameof(RecipientsPerMessage)) ? RecipientsPerMessage : null;
            }

            return given;
        }

        private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter) || settingsGiven.Contains(parameter);
    }
}
