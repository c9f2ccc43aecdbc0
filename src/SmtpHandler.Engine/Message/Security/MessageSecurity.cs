using System;
using System.Collections.Generic;
using MimeKit;
using MimeKit.Cryptography;

namespace SmtpHandler
{
    /// <summary>
    /// S/MIME and DKIM for a send, read and checked once before anything connects, and applied to each built
    /// message in the one order that works: S/MIME sign (multipart/signed), then encrypt (application/pkcs7-mime
    /// to the message's own recipients), then DKIM over the final message as it goes on the wire.
    /// </summary>
    public sealed class MessageSecurity
    {
        private static readonly FormatOptions WireFormat = CreateWireFormat();

        private readonly SmimeSigningKey? signing;
        private readonly SmimeEncryptionCertificates? encryption;
        private readonly DkimSigningKey? dkim;

        private MessageSecurity(SmimeSigningKey? signing, SmimeEncryptionCertificates? encryption, DkimSigningKey? dkim)
        {
            this.signing = signing;
            this.encryption = encryption;
            this.dkim = dkim;
        }

        public bool Signs => signing != null;

        public bool Encrypts => encryption != null;

        public bool DkimSigns => dkim != null;

        /// <summary>
        /// Reads and checks every file the options name; null when they ask for nothing. Throws
        /// <see cref="SmtpHandlerException"/> naming the parameter at fault (expired certificate, one not for
        /// e-mail, no private key, a bad DKIM key).
        /// </summary>
        public static MessageSecurity? Load(MessageSecurityOptions options) => Load(options, DateTime.UtcNow);

        internal static MessageSecurity? Load(MessageSecurityOptions options, DateTime nowUtc)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            if (options.IsEmpty)
            {
                return null;
            }

            if (options.SigningCertificatePath == null && (options.SigningCertificateKeyPath != null || options.SigningCertificatePassword != null))
            {
                var parameter = options.SigningCertificateKeyPath != null ? "SigningCertificateKeyPath" : "SigningCertificatePassword";
                throw new SmtpHandlerException(CertificateFiles.ErrorId, SmtpFailureKind.InvalidConfiguration, $"{parameter}: a key or password for S/MIME signing needs its certificate: give it with -{SmimeSigningKey.CertificateParameter}.") { ParameterName = parameter };
            }

            var signing = options.SigningCertificatePath != null
                ? SmimeSigningKey.Load(options.SigningCertificatePath, options.SigningCertificateKeyPath, options.SigningCertificatePassword, nowUtc)
                : null;
            var encryption = options.EncryptionCertificatePaths.Count > 0 ? SmimeEncryptionCertificates.Load(options.EncryptionCertificatePaths, nowUtc) : null;
            var dkim = DkimSigningKey.Load(options.DkimDomain, options.DkimSelector, options.DkimPrivateKeyPath);
            return new MessageSecurity(signing, encryption, dkim);
        }

        /// <summary>
        /// Moves the recipients no certificate was given for out of the envelope, as not attempted with why: an
        /// encrypted message is sent only to those who can read it.
        /// </summary>
        internal void LeaveOutUnreadable(List<MailboxAddress> envelope, List<SmtpRecipientResult> refused)
        {
            if (encryption == null)
            {
                return;
            }

            foreach (var mailbox in envelope.FindAll(m => !encryption.Has(m.Address)))
            {
                envelope.Remove(mailbox);
                refused.Add(new SmtpRecipientResult(
                    mailbox.Address,
                    SmtpRecipientStatus.NotAttempted,
                    reason: $"The message is encrypted, and no certificate given with -{SmimeEncryptionCertificates.Parameter} names {mailbox.Address}, so it could not read it.",
                    errorId: MessageSecurityErrors.NoEncryptionCertificate));
            }
        }

        /// <summary>Signs, encrypts and DKIM-signs a built message, in that order; DKIM always last.</summary>
        internal void Apply(MimeMessage message, IReadOnlyList<MailboxAddress> recipients)
        {
            if (signing != null || encryption != null)
            {
                // In memory only: no certificate database, no platform store (Windows PowerShell 5.1 included).
                using var context = new TemporarySecureMimeContext();
                var body = message.Body!;
                if (signing != null)
                {
                    body = MultipartSigned.Create(context, signing.Signer(), body);
                }

                if (encryption != null && recipients.Count > 0)
                {
                    body = ApplicationPkcs7Mime.Encrypt(context, encryption.For(recipients), body);
                }

                message.Body = body;
            }

            dkim?.Sign(message, WireFormat);
        }

        private static FormatOptions CreateWireFormat()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }
    }
}
