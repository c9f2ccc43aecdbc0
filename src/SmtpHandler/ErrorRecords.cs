using System;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>The one place ErrorRecords are made: a stable ErrorId, the right category, the input at fault as target.</summary>
    internal static class ErrorRecords
    {
        public static ErrorRecord From(SmtpHandlerException exception) =>
            new(exception, exception.ErrorId, Category(exception.Kind), exception.Target);

        public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null) =>
            new(new SmtpHandlerException(errorId, SmtpFailureKind.InvalidArgument, message, target, inner), errorId, category, target);

        public static ErrorRecord RecipientRejected(SmtpRecipientResult recipient, SmtpSendResult result) =>
            new(
                new SmtpHandlerException(
                    "RecipientRejected",
                    SmtpFailureKind.ServerRejected,
                    $"The server refused {recipient.Address} for message '{result.Subject}': {recipient.ReplyCode} {recipient.Reply}",
                    recipient.Address),
                "RecipientRejected",
                ErrorCategory.InvalidResult,
                recipient.Address);

        private static ErrorCategory Category(SmtpFailureKind kind) => kind switch
        {
            SmtpFailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
            SmtpFailureKind.InvalidConfiguration => ErrorCategory.InvalidArgument,
            SmtpFailureKind.ConnectionFailed => ErrorCategory.ConnectionError,
            SmtpFailureKind.Timeout => ErrorCategory.OperationTimeout,
            SmtpFailureKind.TlsFailed => ErrorCategory.SecurityError,
            SmtpFailureKind.CertificateUntrusted => ErrorCategory.SecurityError,
            SmtpFailureKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
            SmtpFailureKind.SecurityPolicy => ErrorCategory.SecurityError,
            SmtpFailureKind.ProtocolError => ErrorCategory.ProtocolError,
            SmtpFailureKind.ServerRejected => ErrorCategory.InvalidResult,
            SmtpFailureKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
            _ => ErrorCategory.NotSpecified,
        };
    }
}
