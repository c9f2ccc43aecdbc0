using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Reading a stored message file and planning its envelope, without a socket.</summary>
    public sealed class StoredMessageTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "stored-" + Guid.NewGuid().ToString("N"));

        public StoredMessageTests() => Directory.CreateDirectory(folder);

        public void Dispose() => Directory.Delete(folder, recursive: true);

        [Fact]
        public void Reads_the_leading_envelope_lines_and_where_the_message_begins()
        {
            var bytes = Encoding.UTF8.GetBytes("X-Sender: a@example.test\r\nX-Receiver: <b@example.test>\r\nx-receiver: c@example.test\r\nFrom: a@example.test\r\nX-Receiver: later@example.test\r\n\r\nbody");

            var envelope = StoredEnvelope.Read(bytes, bytes.Length);

            Assert.Equal("a@example.test", envelope.Sender);
            Assert.Equal(new[] { "b@example.test", "c@example.test" }, envelope.Receivers);
            Assert.Equal("From: a@example.test", Encoding.UTF8.GetString(bytes, envelope.MessageOffset, 20));
        }

        [Fact]
        public void A_file_without_envelope_lines_starts_at_its_first_byte()
        {
            var bytes = Encoding.UTF8.GetBytes("From: a@example.test\r\n\r\nx");
            var envelope = StoredEnvelope.Read(bytes, bytes.Length);
            Assert.Null(envelope.Sender);
            Assert.Empty(envelope.Receivers);
            Assert.Equal(0, envelope.MessageOffset);
        }

        [Theory]
        [InlineData("abc\r\n", "abc\r\n", true)]
        [InlineData("abc\n", "abc\r\n", true)]
        [InlineData("abc\r\n", "abd\r\n", false)]
        [InlineData("abc\r\n", "abc\r\nmore", false)]
        [InlineData("abc\r\nmore", "abc\r\n", false)]
        public void Compares_written_bytes_with_the_file_reading_a_bare_lf_as_crlf(string file, string written, bool same)
        {
            var expected = Encoding.ASCII.GetBytes(file);
            var stream = new SameBytesStream(expected, 0, expected.Length);
            var bytes = Encoding.ASCII.GetBytes(written);
            stream.Write(bytes, 0, bytes.Length);
            Assert.Equal(same, stream.Complete);
        }

        [Fact]
        public void Plans_the_envelope_from_the_x_lines_and_from_overrides()
        {
            var path = Write("p.eml", "X-Sender: env@example.test\r\nX-Receiver: r1@example.test\r\nX-Receiver: hidden@example.test\r\nFrom: head@example.test\r\nTo: r1@example.test\r\nSubject: s\r\nMessage-ID: <m1@example.test>\r\n\r\nbody\r\n");
            var mailer = new SmtpMailer(new SmtpHandlerConfig());

            var prepared = mailer.PrepareStored(path);
            Assert.Equal("env@example.test", prepared.EnvelopeSender);
            Assert.Equal(new[] { "r1@example.test", "hidden@example.test" }, prepared.Recipients);
            Assert.Equal("m1@example.test", prepared.MessageId);
            Assert.Equal("s", prepared.Subject);

            var overridden = mailer.PrepareStored(path, "other@example.test", new[] { "x@example.test" });
            Assert.Equal("other@example.test", overridden.EnvelopeSender);
            Assert.Equal(new[] { "x@example.test" }, overridden.Recipients);
        }

        [Fact]
        public void Plans_the_envelope_from_the_headers_bcc_included_and_leaves_the_bcc_line_out_of_what_is_sent()
        {
            var path = Write("h.eml", "From: Ann <ann@example.test>\r\nTo: b@example.test\r\nCc: c@example.test\r\nBcc: d@example.test\r\nSubject: s\r\n\r\nbody\r\n");
            var prepared = new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path);

            Assert.Equal("ann@example.test", prepared.EnvelopeSender);
            Assert.Equal(new[] { "b@example.test", "c@example.test", "d@example.test" }, prepared.Recipients);
            Assert.DoesNotContain(prepared.Mime.Headers, h => h.Field == "Bcc");
            Assert.True(StoredMessage.IsStored(prepared.Mime));
        }

        [Fact]
        public void Uses_the_resent_headers_of_a_resent_message()
        {
            var path = Write("r.eml", "Resent-From: fwd@example.test\r\nResent-To: new@example.test\r\nFrom: a@example.test\r\nTo: old@example.test\r\nSubject: s\r\n\r\nbody\r\n");
            var prepared = new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path);
            Assert.Equal("fwd@example.test", prepared.EnvelopeSender);
            Assert.Equal(new[] { "new@example.test" }, prepared.Recipients);
        }

        [Fact]
        public void Writes_a_message_the_module_built_back_byte_for_byte()
        {
            var attachment = Write("a.bin", string.Concat(Enumerable.Range(0, 3000).Select(i => (char)('a' + (i % 26)))));
            var pickup = Path.Combine(folder, "pickup");
            Directory.CreateDirectory(pickup);
            var config = new SmtpHandlerConfig { PickupDirectory = pickup };
            var mailer = new SmtpMailer(config);
            var message = new SmtpMessage
            {
                From = "Grüße <a@example.test>",
                To = { "b@example.test" },
                Bcc = { "c@example.test" },
                Subject = "Ünïcödé subject that is long enough to be folded by MimeKit when it is encoded as words",
                TextBody = "Grüße\n.leading dot",
                HtmlBody = "<p>Grüße</p>",
                Attachments = { new SmtpAttachment(attachment) },
            };
            var written = mailer.Send(new[] { mailer.Prepare(message) }).Single().PickupFiles.Single();

            var bytes = File.ReadAllBytes(written);
            var (mime, envelope) = StoredMessage.Load(written);
            var same = new SameBytesStream(bytes, envelope.MessageOffset, bytes.Length - envelope.MessageOffset);
            var options = MimeKit.FormatOptions.Default.Clone();
            options.NewLineFormat = MimeKit.NewLineFormat.Dos;
            mime.WriteTo(options, same);
            Assert.True(same.Complete);
            Assert.Equal(new[] { "b@example.test", "c@example.test" }, envelope.Receivers);
        }

        [Theory]
        [InlineData("", "MessageFileEmpty")]
        [InlineData("X-Sender: a@example.test\r\n", "MessageFileEmpty")]
        [InlineData("From: a@example.test\r\nSubject: s\r\n\r\nx\r\n", "MessageFileNoRecipients")]
        [InlineData("To: b@example.test\r\nSubject: s\r\n\r\nx\r\n", "MessageFileNoSender")]
        [InlineData("From: a@example.test\r\nTo: b@example.test\r\n\r\nbare\rCR\r\n", "MessageFileBareCarriageReturn")]
        public void Refuses_a_file_that_cannot_be_sent_as_it_is(string content, string errorId)
        {
            var path = Write("bad.eml", content);
            var ex = Assert.Throws<SmtpHandlerException>(() => new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path));
            Assert.Equal(errorId, ex.ErrorId);
            Assert.Equal("MessagePath", ex.ParameterName);
        }

        [Fact]
        public void Refuses_a_file_over_the_cap_without_reading_it()
        {
            var path = Path.Combine(folder, "huge.eml");
            using (var stream = File.Create(path))
            {
                stream.SetLength(StoredMessage.MaxBytes + 1L);
            }

            var ex = Assert.Throws<SmtpHandlerException>(() => new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path));
            Assert.Equal("MessageFileTooLarge", ex.ErrorId);
        }

        [Fact]
        public void Refuses_a_directory_and_a_missing_file()
        {
            var mailer = new SmtpMailer(new SmtpHandlerConfig());
            Assert.Equal("MessageFileIsDirectory", Assert.Throws<SmtpHandlerException>(() => mailer.PrepareStored(folder)).ErrorId);
            Assert.Equal("MessageFileNotFound", Assert.Throws<SmtpHandlerException>(() => mailer.PrepareStored(Path.Combine(folder, "none.eml"))).ErrorId);
        }

        [Fact]
        public void A_file_changed_after_it_was_checked_is_not_sent_with_the_envelope_of_its_first_read()
        {
            var path = Write("changing.eml", "X-Receiver: b@example.test\r\nFrom: a@example.test\r\nTo: b@example.test\r\nSubject: first\r\n\r\nx\r\n");
            var prepared = new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path);
            Write("changing.eml", "X-Receiver: b@example.test\r\nFrom: a@example.test\r\nTo: b@example.test\r\nSubject: other\r\n\r\nx\r\n");

            var ex = Assert.Throws<SmtpHandlerException>(() => prepared.Mime);
            Assert.Equal("MessageFileChanged", ex.ErrorId);
            Assert.Equal("MessagePath", ex.ParameterName);
        }

        [Fact]
        public void An_unchanged_file_is_read_again_for_sending()
        {
            var path = Write("same.eml", "From: a@example.test\r\nTo: b@example.test\r\nSubject: same\r\n\r\nx\r\n");
            var prepared = new SmtpMailer(new SmtpHandlerConfig()).PrepareStored(path);
            Assert.Equal("same", prepared.Mime.Subject);
        }

        private string Write(string name, string content)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));
            return path;
        }
    }
}
