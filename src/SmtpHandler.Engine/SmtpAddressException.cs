using System;

namespace SmtpHandler
{
    /// <summary>
    /// An address that is not a valid mail address (ErrorId InvalidMailAddress), as scripts written for
    /// Send-MailMessage catch it: a <see cref="FormatException"/>, as System.Net.Mail.MailAddress throws. The
    /// engine's own <see cref="SmtpHandlerException"/> is its <see cref="Exception.InnerException"/>.
    /// </summary>
    public sealed class SmtpAddressException : FormatException
    {
        public SmtpAddressException(string message, string address, SmtpHandlerException? inner = null)
            : base(message, inner)
        {
            Address = address;
            ErrorId = inner?.ErrorId ?? "InvalidMailAddress";
            ParameterName = inner?.ParameterName;
        }

        /// <summary>The stable id of the failure, the same as the ErrorRecord's (InvalidMailAddress).</summary>
        public string ErrorId { get; }

        /// <summary>The text that is not an address.</summary>
        public string Address { get; }

        /// <summary>The parameter that gave it, when known (From, To, Cc, Bcc, ReplyTo, Sender).</summary>
        public string? ParameterName { get; }

        public SmtpFailureKind Kind => SmtpFailureKind.InvalidArgument;
    }
}
