using System;
using System.Collections.Generic;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>Recipients of one message to offer in one transaction, and when.</summary>
    internal sealed class RecipientBatch
    {
        public RecipientBatch(List<MailboxAddress> recipients, int attempt = 0, DateTime notBeforeUtc = default)
        {
            Recipients = recipients;
            Attempt = attempt;
            NotBeforeUtc = notBeforeUtc;
        }

        public List<MailboxAddress> Recipients { get; set; }

        /// <summary>0 for a first try, else the retry number.</summary>
        public int Attempt { get; }

        public DateTime NotBeforeUtc { get; }
    }
}
