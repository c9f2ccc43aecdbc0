using System;
using System.Net.Mail;

namespace SmtpHandler
{
    /// <summary>
    /// Every failure the engine reports on purpose. <see cref="ErrorId"/> is stable: scripts and the
    /// cmdlets' ErrorRecords rely on it. It is an <see cref="SmtpException"/>, so a script written for
    /// Send-MailMessage that catches [System.Net.Mail.SmtpException] catches it too.
    /// </summary>
    public sealed class SmtpHandlerException : SmtpException
    {
        public SmtpHandlerException(string errorId, SmtpFailureKind kind, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        /// <summary>A stable PascalCase identifier, e.g. <c>StartTlsNotOffered</c>.</summary>
        public string ErrorId { get; }

        public SmtpFailureKind Kind { get; }

        /// <summary>The input at fault (a parameter value, an address, a path), when there is one.</summary>
        public object? Target { get; }

        /// <summary>The parameter at fault, for configuration and argument errors.</summary>
        public string? ParameterName { get; init; }

        /// <summary>
        /// The server's reply code when a reply caused the failure; it also sets <see cref="SmtpException.StatusCode"/>
        /// (SmtpStatusCode's values are the reply codes), so a script's StatusCode test works as with Send-MailMessage.
        /// </summary>
        public int? ReplyCode
        {
            get => replyCode;
            init
            {
                replyCode = value;
                StatusCode = value is int code ? (SmtpStatusCode)code : SmtpStatusCode.GeneralFailure;
            }
        }

        private readonly int? replyCode;

        /// <summary>Whether trying again later may succeed (a 4xx reply, a dropped or refused connection).</summary>
        public bool Transient { get; init; }
    }
}
