using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>
    /// One message of a send with a state file: the part still to send (null when nothing is), and the recipients
    /// an earlier run settled, whose results are merged back in the message's order.
    /// </summary>
    internal sealed class MessagePlan
    {
        public MessagePlan(PreparedMessage original, PreparedMessage? toSend, IReadOnlyDictionary<string, SmtpRecipientResult> settledEarlier)
        {
            Original = original;
            ToSend = toSend;
            SettledEarlier = settledEarlier;
        }

        public PreparedMessage Original { get; }

        public PreparedMessage? ToSend { get; }

        public IReadOnlyDictionary<string, SmtpRecipientResult> SettledEarlier { get; }

        /// <summary>The result of a message with nothing left to send: no transaction, no connection.</summary>
        public SmtpSendResult WithoutSending(string server, bool pickup) =>
            new(Original.MessageId, Original.Subject, Original.EnvelopeSender, InOrder(null), 0, 0, TimeSpan.Zero, server, pickup ? Array.Empty<string>() : null);

        /// <summary>The result of the part sent, with the recipients settled earlier in their places.</summary>
        public SmtpSendResult Merge(SmtpSendResult sent, bool pickup) =>
            new(sent.MessageId, sent.Subject, sent.EnvelopeSender, InOrder(sent), sent.Transactions, sent.Connections, sent.Elapsed, sent.Server, pickup ? sent.PickupFiles : null, sent.ErrorId, sent.Error, sent.FailureKind, sent.RetryAfter);

        private List<SmtpRecipientResult> InOrder(SmtpSendResult? sent)
        {
            var now = new Dictionary<string, SmtpRecipientResult>(StringComparer.OrdinalIgnoreCase);
            foreach (var result in sent?.Recipients ?? Array.Empty<SmtpRecipientResult>())
            {
                if (!now.ContainsKey(result.Address))
                {
                    now[result.Address] = result;
                }
            }

            var results = new List<SmtpRecipientResult>(Original.RecipientMailboxes.Count + Original.RefusedBeforeSending.Count);
            foreach (var mailbox in Original.RecipientMailboxes)
            {
                if (SettledEarlier.TryGetValue(mailbox.Address, out var earlier) || now.TryGetValue(mailbox.Address, out earlier))
                {
                    results.Add(earlier);
                }
            }

            results.AddRange(Original.RefusedBeforeSending);
            return results;
        }
    }
}
