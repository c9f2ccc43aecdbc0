using System;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>What a rerun does with a recipient, given the last line the state file has about it.</summary>
    public sealed class StateDecisionTests
    {
        [Theory]
        [InlineData(null, null, false, "Send")]
        [InlineData("Deferred", null, false, "Send")]
        [InlineData("NotAttempted", null, false, "Send")]
        [InlineData("Accepted", 250, false, "SkipAccepted")]
        [InlineData("Accepted", 250, true, "SkipAccepted")]
        [InlineData("Rejected", 550, false, "SkipRejected")]
        [InlineData("Rejected", 451, false, "Send")]
        [InlineData("Rejected", null, false, "Send")]
        [InlineData("Sending", null, false, "HoldUnknown")]
        [InlineData("Unknown", null, false, "HoldUnknown")]
        [InlineData("Sending", null, true, "Send")]
        [InlineData("Unknown", null, true, "Send")]
        public void Decides_from_the_last_record(string? entry, int? code, bool resendUnknown, string expected)
        {
            var last = entry != null ? new StateRecord("ann@example.test", 1, (StateEntry)Enum.Parse(typeof(StateEntry), entry), code) : null;

            Assert.Equal(expected, StateDecision.Decide(last, resendUnknown).ToString());
        }

        [Fact]
        public void A_recipient_to_send_has_no_earlier_result()
        {
            Assert.Null(StateDecision.EarlierResult("ann@example.test", null, RecipientAction.Send, "/state.jsonl"));
        }

        [Fact]
        public void An_earlier_acceptance_keeps_the_server_s_reply_and_says_it_was_not_sent_again()
        {
            var last = new StateRecord("ann@example.test", 1, StateEntry.Accepted, 250, "2.0.0 Ok: queued");

            var result = StateDecision.EarlierResult("ann@example.test", last, RecipientAction.SkipAccepted, "/state.jsonl")!;

            Assert.Equal(SmtpRecipientStatus.AlreadyAccepted, result.Status);
            Assert.Equal(250, result.ReplyCode);
            Assert.Equal("2.0.0 Ok: queued", result.Reply);
            Assert.Contains("not sent again", result.Reason);
            Assert.Contains("/state.jsonl", result.Reason);
        }

        [Fact]
        public void A_recipient_held_back_is_Unknown_and_names_the_way_to_send_it()
        {
            var last = new StateRecord("ann@example.test", 1, StateEntry.Sending);

            var result = StateDecision.EarlierResult("ann@example.test", last, RecipientAction.HoldUnknown, "/state.jsonl")!;

            Assert.Equal(SmtpRecipientStatus.Unknown, result.Status);
            Assert.Equal("DeliveryUnknownEarlier", result.ErrorId);
            Assert.Contains("in flight", result.Reason);
            Assert.Contains("-ResendUnknown", result.Reason);
        }

        [Fact]
        public void An_earlier_refusal_for_good_is_AlreadyRejected()
        {
            var last = new StateRecord("ann@example.test", 1, StateEntry.Rejected, 550, "5.1.1 User unknown");

            var result = StateDecision.EarlierResult("ann@example.test", last, RecipientAction.SkipRejected, "/state.jsonl")!;

            Assert.Equal(SmtpRecipientStatus.AlreadyRejected, result.Status);
            Assert.Equal(550, result.ReplyCode);
        }

        [Theory]
        [InlineData(null, "Deferred")]
        [InlineData(SmtpRecipientStatus.Accepted, "Accepted")]
        [InlineData(SmtpRecipientStatus.Rejected, "Rejected")]
        [InlineData(SmtpRecipientStatus.Unknown, "Unknown")]
        [InlineData(SmtpRecipientStatus.NotAttempted, "NotAttempted")]
        public void Records_a_transaction_s_outcome(SmtpRecipientStatus? status, string expected)
        {
            var outcome = status is SmtpRecipientStatus s ? new SmtpRecipientResult("ann@example.test", s) : null;

            Assert.Equal(expected, StateDecision.EntryFor(outcome).ToString());
        }
    }
}
