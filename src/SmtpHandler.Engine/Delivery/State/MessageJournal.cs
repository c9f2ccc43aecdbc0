using System.Collections.Generic;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// The state file as one message's delivery writes it: each transaction's recipients as Sending before its
    /// first command, and how each ended right after it. Both are handed to the operating system at once, so a
    /// process killed at any instant leaves at most the transaction in flight on each connection unsettled.
    /// </summary>
    internal sealed class MessageJournal
    {
        private readonly StateWriter writer;
        private readonly IReadOnlyDictionary<string, int> occurrences;

        /// <param name="writer">The send's state file, shared by every connection.</param>
        /// <param name="occurrences">Each recipient's address (any case) and which occurrence of it in the run this message is.</param>
        public MessageJournal(StateWriter writer, IReadOnlyDictionary<string, int> occurrences)
        {
            this.writer = writer;
            this.occurrences = occurrences;
        }

        public void Sending(IEnumerable<MailboxAddress> batch)
        {
            writer.Append(line =>
            {
                foreach (var mailbox in batch)
                {
                    new StateRecord(mailbox.Address, Occurrence(mailbox.Address), StateEntry.Sending).AppendJsonLine(line);
                }
            });
            writer.Commit();
        }

        /// <summary>Records how each recipient of a transaction ended; one with no outcome yet waits for another transaction (Deferred).</summary>
        public void Settled(IEnumerable<MailboxAddress> batch, IReadOnlyDictionary<string, SmtpRecipientResult> outcome)
        {
            writer.Append(line =>
            {
                foreach (var mailbox in batch)
                {
                    outcome.TryGetValue(mailbox.Address, out var result);
                    new StateRecord(mailbox.Address, Occurrence(mailbox.Address), StateDecision.EntryFor(result), result?.ReplyCode, result?.Reply).AppendJsonLine(line);
                }
            });
            writer.Commit();
        }

        /// <summary>Records a message written to the pickup folder, or not, recipient by recipient.</summary>
        public void Settled(IEnumerable<SmtpRecipientResult> results)
        {
            writer.Append(line =>
            {
                foreach (var result in results)
                {
                    if (occurrences.ContainsKey(result.Address))
                    {
                        new StateRecord(result.Address, Occurrence(result.Address), StateDecision.EntryFor(result), result.ReplyCode, result.Reply).AppendJsonLine(line);
                    }
                }
            });
            writer.Commit();
        }

        private int Occurrence(string address) => occurrences.TryGetValue(address, out var n) ? n : 1;
    }
}
