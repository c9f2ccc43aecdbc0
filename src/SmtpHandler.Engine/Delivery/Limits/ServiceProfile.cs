using System;

namespace SmtpHandler
{
    /// <summary>
    /// A service's documented endpoint and sending limits, the one table of them. Each value is a starting point that
    /// a parameter given by the caller replaces; the server's own replies win over all of them (see
    /// <see cref="ServerLimitReply"/>). The sources are cited in docs/about_SmtpHandler.md.
    /// </summary>
    public sealed class ServiceProfile
    {
        private ServiceProfile(SmtpService service, string host, int port, double messagesPerMinute, int recipientsPerMessage, int connections, int recipientsPerDay, string source)
        {
            Service = service;
            Host = host;
            Port = port;
            MaxMessagesPerMinute = messagesPerMinute;
            RecipientsPerMessage = recipientsPerMessage;
            MaxConnections = connections;
            RecipientsPerDay = recipientsPerDay;
            Source = source;
        }

        public SmtpService Service { get; }

        public string Host { get; }

        public int Port { get; }

        /// <summary>Every profile uses STARTTLS on 587: each of these services documents it.</summary>
        public SmtpTlsMode TlsMode => SmtpTlsMode.StartTls;

        /// <summary>0 when the service documents no per-minute rate.</summary>
        public double MaxMessagesPerMinute { get; }

        public int RecipientsPerMessage { get; }

        /// <summary>Concurrent connections the service allows; 0 when it documents none.</summary>
        public int MaxConnections { get; }

        /// <summary>Recipients per rolling 24 hours; 0 when it documents none for SMTP.</summary>
        public int RecipientsPerDay { get; }

        /// <summary>Where the values were read (the address of the service's own page).</summary>
        public string Source { get; }

        /// <summary>The profile of <paramref name="service"/>; null for <see cref="SmtpService.None"/>.</summary>
        public static ServiceProfile? For(SmtpService service) => service switch
        {
            // Exchange Online limits, "Sending limits": 30 messages a minute, 10,000 recipients a day, 500 recipients per
            // message by default (an admin may raise it to 1,000), 3 concurrent connections per mailbox (432 4.3.2 past it).
            SmtpService.ExchangeOnline => new(service, "smtp.office365.com", 587, 30, 500, 3, 10_000, "https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits-1"),

            // High Volume Email: no per-minute rate of its own, 500 recipients per message, recipients counted per tenant
            // (100,000 a day at the public preview); internal recipients only beyond a small external allowance.
            SmtpService.ExchangeOnlineHve => new(service, "smtp.hve.mx.microsoft", 587, 0, 500, 0, 100_000, "https://learn.microsoft.com/exchange/mail-flow-best-practices/high-volume-mails-m365"),

            // ACS Email: 30 mails a minute (and 100 an hour) until a support request raises them, 50 recipients per mail,
            // 250 authenticated connections per subscription.
            SmtpService.AzureCommunicationServices => new(service, "smtp.azurecomm.net", 587, 30, 50, 250, 0, "https://learn.microsoft.com/azure/communication-services/concepts/service-limits#email"),

            // Google Workspace sending limits: 100 recipients per message sent over SMTP, 10,000 recipients a day
            // (rolling 24 hours); no per-minute rate or connection count is documented.
            SmtpService.Gmail => new(service, "smtp.gmail.com", 587, 0, 100, 0, 10_000, "https://support.google.com/a/answer/166852"),
            _ => null,
        };

        /// <summary>
        /// Where <paramref name="value"/> of the limit <paramref name="name"/> comes from in a configuration made for
        /// <paramref name="service"/>: "ExchangeOnline default" when it is the service's value, "given" when it differs,
        /// "none" when no limit is set.
        /// </summary>
        public static string SourceOf(SmtpService service, string name, double value)
        {
            var profile = For(service);
            double? documented = profile == null ? null : name switch
            {
                nameof(MaxMessagesPerMinute) => profile.MaxMessagesPerMinute,
                nameof(RecipientsPerMessage) => profile.RecipientsPerMessage,
                nameof(MaxConnections) => profile.MaxConnections,
                nameof(RecipientsPerDay) => profile.RecipientsPerDay,
                _ => null,
            };
            if (value <= 0)
            {
                return documented > 0 ? "none (given)" : "none";
            }

            return documented is double d && Math.Abs(d - value) < 1e-9 ? $"{service} default" : "given";
        }
    }
}
