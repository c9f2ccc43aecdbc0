using System;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// The one place ErrorRecords are made: a stable ErrorId, the right category, the input at fault as target.
    /// The exception is of the type a Send-MailMessage script catches for the same meaning: every failure is an
    /// SmtpException (<see cref="SmtpHandlerException"/>), an invalid address a FormatException
    /// (<see cref="SmtpAddressException"/>), a refused recipient an SmtpFailedRecipient(s)Exception
    /// (<see cref="SmtpRecipientException"/>).
    /// </summary>
    internal static class ErrorRecords
    {
        public const string InvalidMailAddress = "InvalidMailAddress";

        public static ErrorRecord From(SmtpHandlerException exception) =>
            new(ForScripts(exception), exception.ErrorId, Category(exception.Kind), exception.Target);

        public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null) =>
            new(new SmtpHandlerException(errorId, SmtpFailureKind.InvalidArgument, message, target, inner), errorId, category, target);

        public static ErrorRecord RecipientRejected(SmtpRecipientResult recipient, SmtpSendResult result) =>
            new(
                new SmtpRecipientException(
                    WithDiagnosisHint($"The server refused {recipient.Address} for message '{result.Subject}': {recipient.ReplyCode} {recipient.Reply}", recipient.Reply, recipient.ReplyCode),
                    recipient.Address,
                    recipient.ReplyCode,
                    recipient.Reply),
                "RecipientRejected",
                ErrorCategory.InvalidResult,
                recipient.Address);

        /// <summary>A settings key (hashtable or file) that names no parameter; the message lists the valid ones.</summary>
        public static ErrorRecord UnknownConfigurationKey(string key, System.Collections.Generic.IEnumerable<string> validKeys) =>
            Create("UnknownConfigurationKey", ErrorCategory.InvalidArgument, $"'{key}' is not a setting of New-SmtpHandlerConfig. Valid keys: {string.Join(", ", validKeys)}.", key);

        /// <summary>A settings value of the wrong type or out of range; the message names the key, never a secret.</summary>
        public static ErrorRecord InvalidConfigurationValue(string key, object? value, string problem) =>
            Create("InvalidConfigurationValue", ErrorCategory.InvalidArgument, $"The setting '{key}' {problem}", value);

        /// <summary>A secret in a hashtable or file: refused, with the way to give it instead. The value is never kept.</summary>
        public static ErrorRecord SecretInConfiguration(string key) =>
            Create(
                "SecretInConfiguration",
                ErrorCategory.SecurityError,
                $"The setting '{key}' is refused: a password or credential is never read from a hashtable or a file. Pass -Credential (for example from Get-Credential or Get-Secret) together with -FromHashtable or -Path; a client certificate's password goes in -ClientCertificatePassword.",
                key);

        /// <summary>A recipient we did not offer to the server, for a reason of ours (invalid address, no SMTPUTF8).</summary>
        public static ErrorRecord RecipientNotAttempted(SmtpRecipientResult recipient, string message) =>
            new(
                ForScripts(new SmtpHandlerException(recipient.ErrorId ?? "RecipientNotAttempted", SmtpFailureKind.InvalidArgument, message, recipient.Address)),
                recipient.ErrorId ?? "RecipientNotAttempted",
                recipient.ErrorId == InvalidMailAddress ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidOperation,
                recipient.Address);

        /// <summary>A whole message (or the rest of the send) that could not go: connection, TLS, login.</summary>
        public static ErrorRecord MessageFailed(SmtpSendResult result, object? target)
        {
            // The category follows what failed: a refused login is an AuthenticationError, an untrusted
            // certificate a SecurityError, a server out of reach a ConnectionError.
            var kind = result.FailureKind ?? SmtpFailureKind.ConnectionFailed;
            return new(
                new SmtpHandlerException(result.ErrorId ?? "SendFailed", kind, WithDiagnosisHint(result.Error ?? "The message was not sent.", result.Error), target) { ReplyCode = result.ReplyCode },
                result.ErrorId ?? "SendFailed",
                Category(kind),
                target);
        }

        /// <summary>A refusal Exchange Online gives when a setup step is missing points to Test-SmtpConnection, which names the fix.</summary>
        private static string WithDiagnosisHint(string message, string? reply, int? code = null) =>
            Findings.ExchangeRefusalHint(reply, code) is { } hint ? $"{message.TrimEnd()} {hint}" : message;

        /// <summary>The exception a script sees: an invalid address as a FormatException, anything else as it is (an SmtpException).</summary>
        private static Exception ForScripts(SmtpHandlerException exception) =>
            exception.ErrorId == InvalidMailAddress
                ? new SmtpAddressException(exception.Message, exception.Target as string ?? string.Empty, exception)
                : exception;

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
            SmtpFailureKind.ProxyFailed => ErrorCategory.ConnectionError,
            SmtpFailureKind.QuotaExceeded => ErrorCategory.QuotaExceeded,
            _ => ErrorCategory.NotSpecified,
        };
    }
}
