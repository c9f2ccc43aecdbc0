using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>What happened to one message: every recipient in exactly one state.</summary>
    public sealed class SmtpSendResult
    {
        public SmtpSendResult(
            string messageId,
            string? subject,
            string envelopeSender,
            IReadOnlyList<SmtpRecipientResult> recipients,
            int transactions,
            int connections,
            TimeSpan elapsed,
            string server,
            IReadOnlyList<string>? pickupFiles = null,
            string? errorId = null,
            string? error = null,
            SmtpFailureKind? failureKind = null,
            DateTime? retryAfterUtc = null)
        {
            RetryAfter = retryAfterUtc;
            MessageId = messageId;
            Subject = subject;
            EnvelopeSender = envelopeSender;
            Recipients = recipients.ToList().AsReadOnly();
            Transactions = transactions;
            Connections = connections;
            Elapsed = elapsed;
            Server = server;
            PickupFiles = pickupFiles ?? Array.Empty<string>();
            ErrorId = errorId;
            Error = error;
            FailureKind = errorId != null ? failureKind : null;
            Accepted = Select(SmtpRecipientStatus.Accepted);
            Rejected = Select(SmtpRecipientStatus.Rejected);
            NotAttempted = Select(SmtpRecipientStatus.NotAttempted);
            Unknown = Select(SmtpRecipientStatus.Unknown);
            AlreadyAccepted = Select(SmtpRecipientStatus.AlreadyAccepted);
            AlreadyRejected = Select(SmtpRecipientStatus.AlreadyRejected);

            // A recipient settled by an earlier run counts as it ended then; a message with nothing left to do is AlreadySent.
            var accepted = Accepted.Count + AlreadyAccepted.Count;
            var rejected = Rejected.Count + AlreadyRejected.Count;
            Status = AlreadyAccepted.Count > 0 && AlreadyAccepted.Count == Recipients.Count ? SmtpSendStatus.AlreadySent
                : pickupFiles != null && rejected == 0 && NotAttempted.Count == 0 ? SmtpSendStatus.WrittenToPickup
                : rejected == 0 && NotAttempted.Count == 0 && Unknown.Count == 0 ? SmtpSendStatus.Sent
                : accepted == 0 && Unknown.Count == 0 ? SmtpSendStatus.Failed
                : rejected == 0 && NotAttempted.Count == 0 ? SmtpSendStatus.Unknown
                : SmtpSendStatus.PartiallySent;
        }

        public SmtpSendStatus Status { get; }

        /// <summary>What the server could not do as asked but the message went anyway (no DSN offered), each said once.</summary>
        public IReadOnlyList<string> Warnings { get; internal set; } = Array.Empty<string>();

        public string MessageId { get; }

        public string? Subject { get; }

        public string EnvelopeSender { get; }

        /// <summary>Every recipient of the message (To, Cc and Bcc), each once.</summary>
        public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

        public IReadOnlyList<SmtpRecipientResult> Accepted { get; }

        public IReadOnlyList<SmtpRecipientResult> Rejected { get; }

        public IReadOnlyList<SmtpRecipientResult> NotAttempted { get; }

        public IReadOnlyList<SmtpRecipientResult> Unknown { get; }

        /// <summary>Recipients accepted by an earlier run with the same state file, not sent again.</summary>
        public IReadOnlyList<SmtpRecipientResult> AlreadyAccepted { get; }

        /// <summary>Recipients refused for good by an earlier run with the same state file, not offered again.</summary>
        public IReadOnlyList<SmtpRecipientResult> AlreadyRejected { get; }

        /// <summary>SMTP transactions (MAIL FROM ... DATA) this message took.</summary>
        public int Transactions { get; }

        /// <summary>Connections this message used: more than one after a reconnect.</summary>
        public int Connections { get; }

        public TimeSpan Elapsed { get; }

        /// <summary>The server (host:port) or the pickup folder.</summary>
        public string Server { get; }

        /// <summary>The .eml files written in pickup mode, one per transaction.</summary>
        public IReadOnlyList<string> PickupFiles { get; }

        /// <summary>When the message could not be sent at all: the stable id of why (e.g. AuthenticationFailed).</summary>
        public string? ErrorId { get; }

        /// <summary>When the message could not be sent at all: why, in words.</summary>
        public string? Error { get; }

        /// <summary>When the message could not be sent at all: the kind of failure (connection, TLS, login...).</summary>
        public SmtpFailureKind? FailureKind { get; }

        /// <summary>The server's reply code when a reply failed the whole message (a refused session); else null.</summary>
        public int? ReplyCode { get; internal set; }

        /// <summary>With Send-SmtpMessage -MessagePath: the file this message was read from.</summary>
        public string? MessagePath { get; internal set; }
        /// <summary>
        /// When a quota stopped the send (ErrorId QuotaExceeded): the time (UTC) after which a rerun, with the same
        /// -StatePath, can go on. Null otherwise.
        /// </summary>
        public DateTime? RetryAfter { get; }

        public bool Success => Status == SmtpSendStatus.Sent || Status == SmtpSendStatus.WrittenToPickup || Status == SmtpSendStatus.AlreadySent;

        // A read-only list, not an array: PowerShell member enumeration on an array would find Array.Address.
        private IReadOnlyList<SmtpRecipientResult> Select(SmtpRecipientStatus status) => Recipients.Where(r => r.Status == status).ToList().AsReadOnly();
    }
}
