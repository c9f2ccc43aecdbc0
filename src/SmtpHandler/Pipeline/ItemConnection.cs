namespace SmtpHandler.Commands
{
    /// <summary>
    /// The connection values a pipeline item bound by property name (-SmtpServer, -Port, -UseSsl, as
    /// Send-MailMessage declares them). One call sends over one connection, so every item must agree on them.
    /// </summary>
    internal sealed class ItemConnection
    {
        public string? SmtpServer { get; set; }

        public int? Port { get; set; }

        public bool UseSsl { get; set; }
    }
}
