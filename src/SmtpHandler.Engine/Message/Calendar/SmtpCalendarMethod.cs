namespace SmtpHandler
{
    /// <summary>The iTIP method of an invitation (RFC 5546): a new or updated event, or its withdrawal.</summary>
    public enum SmtpCalendarMethod
    {
        /// <summary>METHOD:REQUEST: invites the attendees, or updates the event of the same Uid (higher Sequence).</summary>
        Request,

        /// <summary>METHOD:CANCEL: withdraws the event of the same Uid (STATUS:CANCELLED, a higher Sequence).</summary>
        Cancel,
    }
}
