using System.Net.Mail;

namespace SmtpHandler
{
    /// <summary>
    /// A recipient the server refused (ErrorId RecipientRejected), as scripts written for Send-MailMessage catch
    /// it: an <see cref="SmtpFailedRecipientsException"/>, so also an <see cref="SmtpFailedRecipientException"/>
    /// and an <see cref="SmtpException"/>. <see cref="SmtpException.StatusCode"/> is the server's reply code and
    /// <see cref="SmtpFailedRecipientException.FailedRecipient"/> the address.
    /// </summary>
    public sealed class SmtpRecipientException : SmtpFailedRecipientsException
    {
        public SmtpRecipientException(string message, string address, int? replyCode, string? reply)
            : base(message, new[] { new SmtpFailedRecipientException(ToStatus(replyCode), address, reply) })
        {
            Address = address;
            ReplyCode = replyCode;
            Reply = reply;
            StatusCode = ToStatus(replyCode);
        }

        /// <summary>The stable id of the failure, the same as the ErrorRecord's.</summary>
        public string ErrorId => "RecipientRejected";

        public string Address { get; }

        /// <summary>The server's reply code (550, 553, 452...), when it gave one.</summary>
        public int? ReplyCode { get; }

        /// <summary>The server's reply text.</summary>
        public string? Reply { get; }

        public SmtpFailureKind Kind => SmtpFailureKind.ServerRejected;

        // SmtpStatusCode's values are the SMTP reply codes; a code it does not name still round-trips as a number.
        private static SmtpStatusCode ToStatus(int? replyCode) => replyCode is int code ? (SmtpStatusCode)code : SmtpStatusCode.GeneralFailure;
    }
}
