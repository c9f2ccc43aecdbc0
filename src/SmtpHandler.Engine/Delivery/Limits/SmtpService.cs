namespace SmtpHandler
{
    /// <summary>A mail service whose documented endpoint and sending limits a configuration can start from (see <see cref="ServiceProfile"/>).</summary>
    public enum SmtpService
    {
        /// <summary>No service: the values given, or the seed's defaults.</summary>
        None,

        /// <summary>Microsoft 365 / Exchange Online, a mailbox sending with SMTP AUTH (smtp.office365.com:587).</summary>
        ExchangeOnline,

        /// <summary>Microsoft 365 High Volume Email (smtp.hve.mx.microsoft:587), mostly for internal recipients.</summary>
        ExchangeOnlineHve,

        /// <summary>Azure Communication Services Email over SMTP (smtp.azurecomm.net:587).</summary>
        AzureCommunicationServices,

        /// <summary>Gmail / Google Workspace, a user sending through smtp.gmail.com:587.</summary>
        Gmail,
    }
}
