using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>
    /// The server's recipient limit: which RCPT replies say "too many recipients", the limit that teaches, and
    /// how many recipients one transaction may then carry.
    /// </summary>
    internal static class RecipientLimit
    {
        /// <summary>
        /// How many replies at the end of <paramref name="replies"/> refuse their recipient as one too many: a run of
        /// such replies after at least one accepted recipient, else 0. A 452 followed by an accepted recipient is
        /// about that mailbox (e.g. full), not the limit.
        /// </summary>
        public static int RefusedAsTooMany(IReadOnlyList<RecipientReply> replies)
        {
            var run = 0;
            for (var i = replies.Count - 1; i >= 0 && ReplyCodes.SaysTooManyRecipients(replies[i].Code, replies[i].Text); i--)
            {
                run++;
            }

            for (var i = 0; run > 0 && i < replies.Count - run; i++)
            {
                if (replies[i].Accepted)
                {
                    return run;
                }
            }

            return 0;
        }

        /// <summary>
        /// The limit to remember once the server took <paramref name="accepted"/> recipients in one transaction
        /// before saying "too many": the smallest seen wins; 0 means none is known.
        /// </summary>
        public static int Learn(int known, int accepted) =>
            accepted > 0 && (known == 0 || accepted < known) ? accepted : known;

        /// <summary>At most RecipientsPerMessage, and at most the learned limit; 0 when neither sets one.</summary>
        public static int BatchSize(int recipientsPerMessage, int learned) =>
            recipientsPerMessage > 0 && learned > 0 ? Math.Min(recipientsPerMessage, learned) : Math.Max(recipientsPerMessage, learned);
    }
}
