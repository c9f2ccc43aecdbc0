using System.Collections.Generic;
using System.Linq;
using MimeKit;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The "too many recipients" rule, the limit it teaches and the batch size, without a server.</summary>
    public sealed class RecipientLimitTests
    {
        private static List<RecipientReply> Replies(params (int Code, string Text)[] replies) =>
            replies.Select((r, i) => new RecipientReply(new MailboxAddress(null, $"user{i}@example.test"), r.Code, r.Text)).ToList();

        [Fact]
        public void Counts_the_trailing_452_replies_after_accepted_recipients()
        {
            var replies = Replies((250, "Ok"), (250, "Ok"), (452, "4.5.3 Error: too many recipients"), (452, "4.5.3 Error: too many recipients"));

            Assert.Equal(2, RecipientLimit.RefusedAsTooMany(replies));
        }

        [Theory]
        [InlineData("5.5.3 Too many recipients", 1)]
        [InlineData("5.5.3 Recipient limit reached", 1)]
        [InlineData("Too many recipients", 1)]
        [InlineData("5.2.2 Mailbox full", 0)]
        public void Takes_a_552_as_the_limit_only_when_it_names_it(string text, int expected)
        {
            var replies = Replies((250, "Ok"), (552, text));

            Assert.Equal(expected, RecipientLimit.RefusedAsTooMany(replies));
        }

        [Fact]
        public void Takes_a_452_followed_by_an_accepted_recipient_as_that_mailbox_s_trouble()
        {
            var replies = Replies((250, "Ok"), (452, "4.2.2 Mailbox full"), (250, "Ok"));

            Assert.Equal(0, RecipientLimit.RefusedAsTooMany(replies));
        }

        [Fact]
        public void Needs_an_accepted_recipient_before_the_run()
        {
            Assert.Equal(0, RecipientLimit.RefusedAsTooMany(Replies((452, "4.5.3 too many"), (452, "4.5.3 too many"))));
            Assert.Equal(0, RecipientLimit.RefusedAsTooMany(Replies((550, "5.1.1 unknown"), (452, "4.5.3 too many"))));
            Assert.Equal(0, RecipientLimit.RefusedAsTooMany(Replies()));
        }

        [Fact]
        public void Counts_only_the_run_at_the_end()
        {
            var replies = Replies((250, "Ok"), (452, "4.5.3 too many"), (550, "5.1.1 unknown"), (250, "Ok"), (452, "4.5.3 too many"));

            Assert.Equal(1, RecipientLimit.RefusedAsTooMany(replies));
        }

        [Theory]
        [InlineData(0, 3, 3)]
        [InlineData(5, 3, 3)]
        [InlineData(3, 5, 3)]
        [InlineData(3, 0, 3)]
        [InlineData(0, 0, 0)]
        public void Learns_the_smallest_limit_seen(int known, int accepted, int expected)
        {
            Assert.Equal(expected, RecipientLimit.Learn(known, accepted));
        }

        [Theory]
        [InlineData(0, 0, 0)]
        [InlineData(5, 0, 5)]
        [InlineData(0, 3, 3)]
        [InlineData(5, 3, 3)]
        [InlineData(2, 3, 2)]
        public void Sizes_a_batch_by_RecipientsPerMessage_and_the_learned_limit(int recipientsPerMessage, int learned, int expected)
        {
            Assert.Equal(expected, RecipientLimit.BatchSize(recipientsPerMessage, learned));
        }
    }
}
