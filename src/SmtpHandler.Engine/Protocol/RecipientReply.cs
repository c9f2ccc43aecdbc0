using MimeKit;

namespace SmtpHandler
{
    /// <summary>One reply of the server to one RCPT TO.</summary>
    internal readonly struct RecipientReply
    {
        public RecipientReply(MailboxAddress mailbox, int code, string text)
        {
            Mailbox = mailbox;
            Code = code;
            Text = text;
        }

        public MailboxAddress Mailbox { get; }

        public int Code { get; }

        public string Text { get; }

        public bool Accepted => ReplyCodes.IsPositive(Code);
    }
}
