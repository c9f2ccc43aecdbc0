using System.Globalization;

namespace SmtpHandler
{
    /// <summary>The pure rules of a rerun: what to do with a recipient, and the result that says it was settled before.</summary>
    internal static class StateDecision
    {
        public static RecipientAction Decide(StateRecord? last, bool resendUnknown)
        {
            switch (last?.Entry)
            {
                case null:
                case StateEntry.Deferred:
                case StateEntry.NotAttempted:
                    return RecipientAction.Send;
                case StateEntry.Accepted:
                    return RecipientAction.SkipAccepted;
                case StateEntry.Rejected:
                    // A refusal for good stands; one that was transient (4xx retries used up) may pass now.
                    return last.Code is int code && ReplyCodes.IsPermanent(code) ? RecipientAction.SkipRejected : RecipientAction.Send;
                default:
                    // Sending with nothing after it (the run ended mid-transaction), or Unknown: a resend could duplicate it.
                    return resendUnknown ? RecipientAction.Send : RecipientAction.HoldUnknown;
            }
        }

        /// <summary>The result of a recipient this run does not send to; null for <see cref="RecipientAction.Send"/>.</summary>
        public static SmtpRecipientResult? EarlierResult(string address, StateRecord? last, RecipientAction action, string statePath)
        {
            var when = last == null ? string.Empty : " at " + last.At.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            return action switch
            {
                RecipientAction.SkipAccepted => new SmtpRecipientResult(address, SmtpRecipientStatus.AlreadyAccepted, last!.Code, last.Reply, $"Accepted by an earlier run{when} (state file {statePath}): not sent again."),
                RecipientAction.SkipRejected => new SmtpRecipientResult(address, SmtpRecipientStatus.AlreadyRejected, last!.Code, last.Reply, $"Refused for good by an earlier run{when} (state file {statePath}): not offered again."),
                RecipientAction.HoldUnknown => new SmtpRecipientResult(
                    address,
                    SmtpRecipientStatus.Unknown,
                    last!.Code,
                    last.Reply,
                    last.Entry == StateEntry.Sending
                        ? $"Its transaction was in flight when an earlier run ended{when} (state file {statePath}): it may have been delivered, so it was not sent again. Give -ResendUnknown to send it anyway."
                        : $"Its delivery was unknown in an earlier run{when} (state file {statePath}): it was not sent again. Give -ResendUnknown to send it anyway.",
                    "DeliveryUnknownEarlier"),
                _ => null,
            };
        }

        /// <summary>The line a transaction's outcome writes for one recipient; null (no outcome yet) means it waits for another transaction.</summary>
        public static StateEntry EntryFor(SmtpRecipientResult? outcome) => outcome?.Status switch
        {
            null => StateEntry.Deferred,
            SmtpRecipientStatus.Accepted => StateEntry.Accepted,
            SmtpRecipientStatus.Rejected => StateEntry.Rejected,
            SmtpRecipientStatus.Unknown => StateEntry.Unknown,
            _ => StateEntry.NotAttempted,
        };
    }
}
