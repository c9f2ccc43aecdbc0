using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Opening a state file (lock, header, damage, another message) and planning a rerun, with files only: no socket.</summary>
    public sealed class SendStateFileTests : IDisposable
    {
        private readonly string directory = Path.Combine(Path.GetTempPath(), $"state-tests-{Guid.NewGuid():N}");
        private readonly SmtpMailer mailer = new(new SmtpHandlerConfig { SmtpServer = "127.0.0.1" });

        public SendStateFileTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, recursive: true);

        [Fact]
        public void A_new_file_gets_its_header_at_once()
        {
            var path = Path.Combine(directory, "new.jsonl");

            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            var lines = File.ReadAllLines(path);
            Assert.Single(lines);
            Assert.StartsWith("{\"smtpHandlerState\":1,", lines[0]);
            Assert.Contains("\"subject\":\"Hello\"", lines[0]);
        }

        [Fact]
        public void A_second_open_while_the_first_holds_it_is_refused_as_in_use()
        {
            var path = Path.Combine(directory, "locked.jsonl");
            using var first = SendStateFile.Open(path, Message("Hello"));

            var error = Assert.Throws<SmtpHandlerException>(() => SendStateFile.Open(path, Message("Hello")));

            Assert.Equal("StateFileInUse", error.ErrorId);
            Assert.Contains("Nothing was sent", error.Message);
        }

        [Fact]
        public void Another_message_is_refused_unless_forced_and_forcing_records_the_new_header()
        {
            var path = Path.Combine(directory, "differs.jsonl");
            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            var error = Assert.Throws<SmtpHandlerException>(() => SendStateFile.Open(path, Message("Goodbye")));
            Assert.Equal("StateFileMessageDiffers", error.ErrorId);
            Assert.Contains("the subject ('Hello' then, 'Goodbye' now) differs", error.Message);
            Assert.Contains("-Force", error.Message);

            using (SendStateFile.Open(path, Message("Goodbye"), force: true))
            {
            }

            Assert.Equal(2, File.ReadAllLines(path).Length);
            using (SendStateFile.Open(path, Message("Goodbye")))
            {
            }
        }

        [Fact]
        public void A_damaged_file_is_refused_and_left_as_it_was()
        {
            var path = Path.Combine(directory, "damaged.jsonl");
            File.WriteAllText(path, "not a state file\n");

            var error = Assert.Throws<SmtpHandlerException>(() => SendStateFile.Open(path, Message("Hello")));

            Assert.Equal("StateFileUnreadable", error.ErrorId);
            Assert.Contains("line 1 is not a JSON object", error.Message);
            Assert.Equal("not a state file\n", File.ReadAllText(path));
        }

        [Fact]
        public void A_torn_last_line_is_cut_off_so_the_file_is_whole_lines_again()
        {
            var path = Path.Combine(directory, "torn.jsonl");
            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            var whole = File.ReadAllText(path);
            File.AppendAllText(path, "{\"rcpt\":\"ann@exa");

            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            Assert.Equal(whole, File.ReadAllText(path));
        }

        [Fact]
        public void Plans_each_recipient_from_the_file_and_tells_a_second_message_to_the_same_address_apart()
        {
            var path = Path.Combine(directory, "plan.jsonl");
            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            File.AppendAllText(path, string.Concat(
                "{\"rcpt\":\"ann@example.test\",\"status\":\"Accepted\",\"code\":250}\n",
                "{\"rcpt\":\"bob@example.test\",\"status\":\"Sending\"}\n",
                "{\"rcpt\":\"cy@example.test\",\"status\":\"Rejected\",\"code\":550}\n",
                "{\"rcpt\":\"dee@example.test\",\"status\":\"Deferred\"}\n"));

            using var state = SendStateFile.Open(path, Message("Hello"));
            var first = state.Plan(Prepare("ann@example.test", "bob@example.test", "cy@example.test", "dee@example.test", "eve@example.test"));
            var second = state.Plan(Prepare("ANN@example.test"));

            Assert.Equal(new[] { "dee@example.test", "eve@example.test" }, first.ToSend!.Recipients);
            Assert.NotNull(first.ToSend.Journal);
            Assert.Equal(SmtpRecipientStatus.AlreadyAccepted, first.SettledEarlier["ann@example.test"].Status);
            Assert.Equal(SmtpRecipientStatus.Unknown, first.SettledEarlier["bob@example.test"].Status);
            Assert.Equal(SmtpRecipientStatus.AlreadyRejected, first.SettledEarlier["cy@example.test"].Status);
            Assert.Equal(new[] { "ANN@example.test" }, second.ToSend!.Recipients);
        }

        [Fact]
        public void A_message_with_nothing_left_to_send_is_AlreadySent_with_its_recipients_in_order()
        {
            var path = Path.Combine(directory, "done.jsonl");
            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            File.AppendAllText(path, "{\"rcpt\":\"bob@example.test\",\"status\":\"Accepted\",\"code\":250}\n{\"rcpt\":\"ann@example.test\",\"status\":\"Accepted\",\"code\":250}\n");
            using var state = SendStateFile.Open(path, Message("Hello"));

            var plan = state.Plan(Prepare("ann@example.test", "bob@example.test"));
            var result = plan.WithoutSending("127.0.0.1:25", pickup: false);

            Assert.Null(plan.ToSend);
            Assert.Equal(SmtpSendStatus.AlreadySent, result.Status);
            Assert.True(result.Success);
            Assert.Equal(0, result.Transactions);
            Assert.Equal(new[] { "ann@example.test", "bob@example.test" }, result.Recipients.Select(r => r.Address));
            Assert.Equal(2, result.AlreadyAccepted.Count);
        }

        [Fact]
        public void The_part_sent_is_merged_back_with_the_recipients_settled_earlier()
        {
            var path = Path.Combine(directory, "merge.jsonl");
            using (SendStateFile.Open(path, Message("Hello")))
            {
            }

            File.AppendAllText(path, "{\"rcpt\":\"ann@example.test\",\"status\":\"Accepted\",\"code\":250}\n");
            using var state = SendStateFile.Open(path, Message("Hello"));
            var plan = state.Plan(Prepare("ann@example.test", "bob@example.test"));
            var sent = new SmtpSendResult(plan.ToSend!.MessageId, "Hello", "news@example.test", new[] { new SmtpRecipientResult("bob@example.test", SmtpRecipientStatus.Accepted, 250, "Ok") }, 1, 1, TimeSpan.Zero, "127.0.0.1:25");

            var result = plan.Merge(sent, pickup: false);

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Equal(new[] { SmtpRecipientStatus.AlreadyAccepted, SmtpRecipientStatus.Accepted }, result.Recipients.Select(r => r.Status));
            Assert.Equal(1, result.Transactions);
        }

        [Fact]
        public void The_journal_writes_Sending_before_and_the_outcome_after_a_transaction_each_to_the_file_at_once()
        {
            // A file shared for reading (the state file itself is locked while open), to see what reached it when.
            var path = Path.Combine(directory, "journal.jsonl");
            using var writer = new StateWriter(new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite));
            var journal = new MessageJournal(writer, new System.Collections.Generic.Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["ann@example.test"] = 1, ["bob@example.test"] = 2 });
            var mailboxes = Prepare("ann@example.test", "bob@example.test").RecipientMailboxes;

            journal.Sending(mailboxes);
            var afterSending = ReadShared(path);
            journal.Settled(mailboxes, new System.Collections.Generic.Dictionary<string, SmtpRecipientResult> { ["ann@example.test"] = new("ann@example.test", SmtpRecipientStatus.Accepted, 250, "Ok") });
            var afterSettled = ReadShared(path);

            Assert.Equal(new[] { "ann@example.test 1 Sending", "bob@example.test 2 Sending" }, Records(afterSending));
            Assert.Equal(new[] { "ann@example.test 1 Sending", "bob@example.test 2 Sending", "ann@example.test 1 Accepted", "bob@example.test 2 Deferred" }, Records(afterSettled));
        }

        private static string[] Records(string text) => text.Split('\n')
            .Where(l => l.Length > 0)
            .Select(l => JsonReader.TryParseObject(l)!)
            .Select(j => $"{j.GetString("rcpt")} {j.GetNumber("n") ?? 1} {j.GetString("status")}")
            .ToArray();

        private static string ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }

        private static SmtpMessage Message(string subject) => new() { From = "news@example.test", Subject = subject, TextBody = "Body" };

        private PreparedMessage Prepare(params string[] to)
        {
            var message = Message("Hello");
            message.To = to.ToList();
            return mailer.Prepare(message);
        }
    }
}
