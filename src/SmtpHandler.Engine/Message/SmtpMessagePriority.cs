namespace SmtpHandler
{
    /// <summary>Message priority, as Send-MailMessage names it.</summary>
    public enum SmtpMessagePriority
    {
        Normal,
        Low,
        High,
    }
}
