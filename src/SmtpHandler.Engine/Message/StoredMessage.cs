using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// A message that already exists as a file (an .eml, a pickup folder's file), sent as it is: its bytes are
    /// read, the leading X-Sender/X-Receiver lines taken as the envelope and left out, and the rest parsed by
    /// MimeKit, which keeps raw headers and content. That MimeKit writes it back byte for byte is proved here,
    /// before anything is sent, and again when it is sent; the sender skips MailKit's re-encoding for it.
    /// </summary>
    internal static class StoredMessage
    {
        /// <summary>The largest file read (it is held in memory while it is sent).</summary>
        public const int MaxBytes = 64 * 1024 * 1024;

        private const string Parameter = "MessagePath";

        private static readonly ConditionalWeakTable<MimeMessage, object> Stored = new();

        private static readonly FormatOptions WireFormat = CreateWireFormat();

        /// <summary>Whether a message came from a file and must be sent without MailKit's re-encoding.</summary>
        public static bool IsStored(MimeMessage message) => Stored.TryGetValue(message, out _);

        /// <summary>
        /// Reads, checks and plans one file: envelope sender <paramref name="from"/> or the X-Sender line or the
        /// headers; recipients <paramref name="to"/> or the X-Receiver lines or the headers. Throws
        /// <see cref="SmtpHandlerException"/> (ParameterName MessagePath) for a file that can't be sent as it is.
        /// </summary>
        public static PreparedMessage Prepare(string path, string? from, IReadOnlyList<string>? to, SmtpHandlerConfig config, SmtpDeliveryNotification notify)
        {
            var (mime, envelope, digest) = Read(path);
            var useResent = mime.ResentTo.Count + mime.ResentCc.Count + mime.ResentBcc.Count > 0;
            var sender = Mailbox(from, "From")
                ?? (envelope.Sender?.Length == 0 ? NullReversePath() : Mailbox(envelope.Sender, "MessagePath X-Sender"))
                ?? (useResent ? mime.ResentSender ?? mime.ResentFrom.Mailboxes.FirstOrDefault() : null)
                ?? mime.Sender
                ?? mime.From.Mailboxes.FirstOrDefault()
                ?? Mailbox(config.DefaultFrom, "DefaultFrom")
                ?? throw Invalid("MessageFileNoSender", $"'{path}' has no sender: no X-Sender line, no Sender or From header. Give -From.", path);

            IEnumerable<MailboxAddress> recipients;
            if (to != null && to.Count > 0)
            {
                recipients = to.Select(t => MailAddressParser.Parse(t, "To"));
            }
            else if (envelope.Receivers.Count > 0)
            {
                recipients = envelope.Receivers.Select(r => MailAddressParser.Parse(r, "MessagePath X-Receiver"));
            }
            else if (useResent)
            {
                recipients = mime.ResentTo.Mailboxes.Concat(mime.ResentCc.Mailboxes).Concat(mime.ResentBcc.Mailboxes);
            }
            else
            {
                recipients = mime.To.Mailboxes.Concat(mime.Cc.Mailboxes).Concat(mime.Bcc.Mailboxes);
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var envelopeTo = recipients.Where(m => seen.Add(m.Address)).ToList();
            if (envelopeTo.Count == 0)
            {
                throw Invalid("MessageFileNoRecipients", $"'{path}' has no recipients: no X-Receiver line, no To, Cc or Bcc header. Give -To.", path);
            }

            var subject = mime.Subject ?? string.Empty;
            var messageId = mime.MessageId ?? string.Empty;
            var source = new SmtpMessage { Subject = subject, MessageId = messageId };
            // Never a 7-bit copy: its headers would be written anew, and the file is sent only as it is.
            return new PreparedMessage(source, _ => WithoutBcc(Reread(path, digest)), messageId, subject, sender, envelopeTo, Array.Empty<SmtpRecipientResult>(), MessageBuilder.ToMailKit(notify))
            {
                SmtpUtf8Required = NeedsSmtpUtf8(path, WithoutBcc(mime)),
            };
        }

        /// <summary>
        /// Why the file can go only to a server that offers SMTPUTF8 (RFC 6531/6532: header octets over 127 need
        /// it), or null: it is never rewritten to 7 bits, as a message that is built can be.
        /// </summary>
        private static SmtpHandlerException? NeedsSmtpUtf8(string path, MimeMessage mime)
        {
            var eightBit = mime.Headers.Where(h => h.RawValue.Any(b => b > 127)).Select(h => h.Field).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            return eightBit.Count == 0
                ? null
                : new SmtpHandlerException(
                    "MessageFileNeedsSmtpUtf8",
                    SmtpFailureKind.InvalidArgument,
                    $"'{path}' needs SMTPUTF8, which the server does not offer: its {string.Join(", ", eightBit)} header(s) carry 8-bit (UTF-8) text, and a stored message is sent only unchanged, never with its headers re-encoded; it was not sent.",
                    path) { ParameterName = Parameter };
        }

        /// <summary>The file's message and envelope lines; the message proved to write back as the file has it.</summary>
        internal static (MimeMessage Mime, StoredEnvelope Envelope) Load(string path)
        {
            var (mime, envelope, _) = Read(path);
            return (mime, envelope);
        }

        /// <summary>
        /// The file read again when it is sent, by the same rules, and proved to be the bytes that were checked:
        /// the envelope and the checks came from the first read, so a file changed since is not sent. (Only a
        /// digest is kept between the reads: a replay of many files never holds them all.)
        /// </summary>
        private static MimeMessage Reread(string path, byte[] digest)
        {
            var (mime, _, now) = Read(path);
            if (!now.SequenceEqual(digest))
            {
                throw Invalid("MessageFileChanged", $"'{path}' changed after it was checked: its bytes are not the ones read before; it was not sent.", path);
            }

            return mime;
        }

        private static (MimeMessage Mime, StoredEnvelope Envelope, byte[] Digest) Read(string path)
        {
            var bytes = ReadCapped(path);
            var length = bytes.Length;
            var envelope = StoredEnvelope.Read(bytes, length);
            var size = length - envelope.MessageOffset;
            if (size == 0)
            {
                throw Invalid("MessageFileEmpty", $"'{path}' holds no message{(envelope.MessageOffset > 0 ? " after its X-Sender/X-Receiver lines" : string.Empty)}.", path);
            }

            // SMTP smuggling: a CR without its LF must never reach the wire, and MimeKit would pass it through.
            var bareCr = BareCarriageReturn(bytes, envelope.MessageOffset, length);
            if (bareCr >= 0)
            {
                throw Invalid("MessageFileBareCarriageReturn", $"'{path}' has a carriage return without a line feed at byte {bareCr - envelope.MessageOffset} of the message; it is not sent (a bare CR can hide an SMTP command).", path);
            }

            MimeMessage mime;
            try
            {
                mime = MimeMessage.Load(new MemoryStream(bytes, envelope.MessageOffset, size, writable: false));
            }
            catch (FormatException ex)
            {
                throw Invalid("MessageFileNotAMessage", $"'{path}' is not a mail message: {ex.Message}", path);
            }

            if (mime.Headers.Count == 0)
            {
                throw Invalid("MessageFileNotAMessage", $"'{path}' is not a mail message: it has no headers.", path);
            }

            var same = new SameBytesStream(bytes, envelope.MessageOffset, size);
            mime.WriteTo(WireFormat, same);
            if (!same.Complete)
            {
                var at = same.FirstDifference >= 0 ? $"at byte {same.FirstDifference}" : "at its end";
                throw Invalid(
                    "MessageFileNotReproducible",
                    $"'{path}' can't be sent byte for byte: written back it would differ {at} of the message (a bare CR, or a structure MimeKit can't reproduce). It was not sent.",
                    path);
            }

            Stored.Add(mime, path);
            using var sha = SHA256.Create();
            return (mime, envelope, sha.ComputeHash(bytes));
        }

        /// <summary>
        /// A regular file's bytes (a link is followed), at most <see cref="MaxBytes"/>: a pipe or device, or a link
        /// to one, is refused without being opened (opening a pipe waits for a writer); a huge file is not read.
        /// </summary>
        private static byte[] ReadCapped(string path)
        {
            var bytes = RegularFile.TryReadAll(path, MaxBytes, out var why, out var problem);
            if (bytes != null)
            {
                return bytes;
            }

            throw problem switch
            {
                RegularFileProblem.Directory => Invalid("MessageFileIsDirectory", $"'{path}' {why}: not a message file.", path),
                RegularFileProblem.NotFound => Invalid("MessageFileNotFound", $"The message file '{path}' {why}.", path),
                RegularFileProblem.TooLarge => Invalid("MessageFileTooLarge", $"'{path}' is larger than {MaxBytes:N0} bytes; message files of up to {MaxBytes:N0} bytes are sent.", path),
                RegularFileProblem.EmptyOrNotRegular => Invalid("MessageFileEmpty", $"'{path}' holds no message: it {why}.", path),
                _ => Invalid("MessageFileUnreadable", $"The message file '{path}' {why}.", path),
            };
        }

        // Bcc lines are never sent: the envelope has their addresses, the header would show them to everyone.
        private static MimeMessage WithoutBcc(MimeMessage mime)
        {
            mime.Headers.RemoveAll(HeaderId.Bcc);
            mime.Headers.RemoveAll(HeaderId.ResentBcc);
            return mime;
        }

        private static int BareCarriageReturn(byte[] bytes, int start, int end)
        {
            for (var i = start; i < end; i++)
            {
                if (bytes[i] == '\r' && (i + 1 >= end || bytes[i + 1] != '\n'))
                {
                    return i;
                }
            }

            return -1;
        }

        // "X-Sender: <>" (a bounce, a delivery report): MAIL FROM:<>, never the From header's address (RFC 5321 4.5.5).
        private static MailboxAddress NullReversePath() => new(string.Empty, string.Empty);

        private static MailboxAddress? Mailbox(string? text, string parameter) =>
            string.IsNullOrWhiteSpace(text) ? null : MailAddressParser.Parse(text, parameter);

        private static SmtpHandlerException Invalid(string errorId, string message, object? target) =>
            new(errorId, SmtpFailureKind.InvalidArgument, message, target) { ParameterName = Parameter };

        private static FormatOptions CreateWireFormat()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }
    }
}
