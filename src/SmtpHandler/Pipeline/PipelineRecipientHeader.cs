namespace SmtpHandler.Commands
{
    /// <summary>Which header recipients from the pipeline land in.</summary>
    public enum PipelineRecipientHeader
    {
        To,
        Cc,
        Bcc,
    }
}
