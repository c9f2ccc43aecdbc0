using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>Sending with a state file: the recipients an earlier run settled are left out, and every outcome is recorded.</summary>
    public sealed partial class SmtpMailer
    {
        /// <summary>
        /// Sends as <see cref="Send(IEnumerable{PreparedMessage}, CancellationToken)"/> does, recording in
        /// <paramref name="state"/> (when given) each transaction's recipients before it begins and their outcome
        /// after. Recipients the file shows settled are not sent to: their results say so (AlreadyAccepted,
        /// AlreadyRejected, or Unknown when held back). A message with nothing left to send opens no connection.
        /// </summary>
        public IEnumerable<SmtpSendResult> Send(IEnumerable<PreparedMessage> messages, SendStateFile? state, CancellationToken cancellationToken = default)
        {
            if (messages == null)
            {
                throw new ArgumentNullException(nameof(messages));
            }

            return state == null ? Send(messages, cancellationToken) : SendRecorded(messages.Select(state.Plan).ToList(), state, cancellationToken);
        }

        private IEnumerable<SmtpSendResult> SendRecorded(List<MessagePlan> plans, SendStateFile state, CancellationToken cancellationToken)
        {
            var server = config.IsPickup ? config.PickupDirectory! : $"{config.SmtpServer}:{config.Port}";
            var toSend = plans.Where(p => p.ToSend != null).Select(p => p.ToSend!).ToList();
            // The day's budget counts what earlier runs with this file sent; a quota they met stops this run until it runs out.
            var governor = new SendGovernor(config, Waiting, state.AcceptedSince(DateTime.UtcNow - RecipientBudget.Window), state.QuotaUntilUtc)
            {
                QuotaMet = state.RecordQuota,
            };
            var sent = config.IsPickup ? WriteToPickupRecorded(toSend, cancellationToken) : Send(toSend, governor, cancellationToken);
            using var results = sent.GetEnumerator();
            foreach (var plan in plans)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (plan.ToSend == null)
                {
                    yield return plan.WithoutSending(server, config.IsPickup);
                    continue;
                }

                if (!results.MoveNext())
                {
                    throw new InvalidOperationException("The send ended before every message had a result.");
                }

                yield return plan.Merge(results.Current, config.IsPickup);
            }
        }

        private IEnumerable<SmtpSendResult> WriteToPickupRecorded(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken)
        {
            var pickup = new PickupWriter(config, log);
            foreach (var message in messages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                message.Journal?.Sending(message.RecipientMailboxes);
                var result = pickup.Write(message);
                message.Journal?.Settled(result.Recipients);
                yield return result;
            }
        }
    }
}
