using System;
using System.Collections.Generic;
using System.Linq;
using MailKit;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// A message checked and ready to send: its envelope sender, the de-duplicated envelope recipients, and the
    /// means to build its MIME content. Everything that can be wrong with the input was found when it was
    /// prepared; the MIME form is built when the message is sent and let go afterwards, so a send of thousands
    /// of messages never holds them all built.
    /// Recipients refused before sending (invalid addresses) are carried along so the result still names them.
    /// </summary>
    public sealed class PreparedMessage
    {
        // The argument asks for headers without 8-bit octets (a server without SMTPUTF8).
        private readonly Func<bool, MimeMessage> build;
        private MimeMessage? mime;
        private MimeMessage? sevenBit;
        private string[]? recipients;

        internal PreparedMessage(
            SmtpMessage source,
            Func<bool, MimeMessage> build,
            string messageId,
            string subject,
            MailboxAddress envelopeSender,
            IReadOnlyList<MailboxAddress> recipients,
            IReadOnlyList<SmtpRecipientResult> refusedBeforeSending,
            DeliveryStatusNotification? notify)
        {
            Source = source;
            this.build = build;
            MessageId = messageId;
            Subject = subject;
            EnvelopeSenderMailbox = envelopeSender;
            RecipientMailboxes = recipients;
            RefusedBeforeSending = refusedBeforeSending;
            Notify = notify;
        }

        public SmtpMessage Source { get; }

        public string MessageId { get; }

        public string Subject { get; }

        public string EnvelopeSender => EnvelopeSenderMailbox.Address;

        /// <summary>The envelope recipients the server will be offered.</summary>
        public IReadOnlyList<string> Recipients => recipients ??= RecipientMailboxes.Select(r => r.Address).ToArray();

        /// <summary>Recipients that will not be offered (invalid addresses), with why.</summary>
        public IReadOnlyList<SmtpRecipientResult> RefusedBeforeSending { get; }

        /// <summary>
        /// The MIME form, built on first use; the same instance until <see cref="Release"/>. Throws
        /// <see cref="SmtpHandlerException"/> when a file checked at preparation can no longer be read.
        /// </summary>
        internal MimeMessage Mime
        {
            // Only the session that sends a message touches it (one thread), so no lock.
            get => mime ??= build(false);
        }

        /// <summary>
        /// The MIME form for a connection with or without SMTPUTF8: without it, a copy whose headers carry no 8-bit
        /// octets (<see cref="SevenBitHeaders"/>), built only when the headers need one.
        /// </summary>
        internal MimeMessage MimeFor(bool smtpUtf8)
        {
            if (smtpUtf8 || !SevenBitHeaders.Recipients(Mime).Any())
            {
                return Mime;
            }

            // Built afresh, not stripped from the sent form: a DKIM signature must cover the headers this copy carries.
            return sevenBit ??= build(true);
        }

        internal MailboxAddress EnvelopeSenderMailbox { get; }

        internal IReadOnlyList<MailboxAddress> RecipientMailboxes { get; }

        internal DeliveryStatusNotification? Notify { get; }

        /// <summary>
        /// Set for a stored message whose headers need SMTPUTF8: a server without it gets no copy (a stored file is
        /// never rewritten), and every recipient is not attempted, with this as why.
        /// </summary>
        internal SmtpHandlerException? SmtpUtf8Required { get; set; }

        /// <summary>Where its delivery records each transaction, when the send keeps a state file.</summary>
        internal MessageJournal? Journal { get; private set; }

        /// <summary>The same message (same content, Message-Id and Date) to only some of its recipients, recorded in a state file.</summary>
        internal PreparedMessage WithRecipients(IReadOnlyList<MailboxAddress> recipients, MessageJournal journal) =>
            new(Source, build, MessageId, Subject, EnvelopeSenderMailbox, recipients, RefusedBeforeSending, Notify) { Journal = journal, SmtpUtf8Required = SmtpUtf8Required };

        /// <summary>Lets the MIME form go once sent; a later use builds it again, identical (same Message-Id and Date).</summary>
        internal void Release()
        {
            mime = null;
            sevenBit = null;
        }
    }
}
