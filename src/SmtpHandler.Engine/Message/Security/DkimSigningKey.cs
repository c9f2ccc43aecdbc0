using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;

namespace SmtpHandler
{
    /// <summary>
    /// A DKIM signing domain, selector and private key (RSA of at least 1024 bits, or Ed25519), read and checked
    /// before anything connects; signs a finished message with relaxed/relaxed canonicalization.
    /// </summary>
    internal sealed class DkimSigningKey
    {
        public const string DomainParameter = "DkimDomain";
        public const string SelectorParameter = "DkimSelector";
        public const string KeyParameter = "DkimPrivateKeyPath";

        // A key file is a few KB; the cap keeps a wrong file (a disk image, a device) out of memory.
        private const int MaxKeyBytes = 64 * 1024;
        private const int MinRsaBits = 1024;

        // The headers the signature covers (RFC 6376 §5.4.1): the ones a reader sees and the content headers. Named
        // even when absent, so nobody can add one (a second From, a Cc) without breaking the signature.
        private static readonly string[] SignedHeaders =
        {
            "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version",
            "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
        };

        private static readonly Regex Label = new(@"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant);

        private readonly AsymmetricKeyParameter key;
        private readonly DkimSignatureAlgorithm algorithm;

        private DkimSigningKey(string domain, string selector, AsymmetricKeyParameter key, DkimSignatureAlgorithm algorithm)
        {
            Domain = domain;
            Selector = selector;
            this.key = key;
            this.algorithm = algorithm;
        }

        public string Domain { get; }

        public string Selector { get; }

        public static DkimSigningKey? Load(string? domain, string? selector, string? keyPath)
        {
            if (domain == null && selector == null && keyPath == null)
            {
                return null;
            }

            if (domain == null || selector == null || keyPath == null)
            {
                var missing = domain == null ? DomainParameter : selector == null ? SelectorParameter : KeyParameter;
                throw MessageSecurityErrors.Dkim(MessageSecurityErrors.IncompleteDkim, missing, null, $"DKIM signing needs -{DomainParameter}, -{SelectorParameter} and -{KeyParameter} together; -{missing} is missing.");
            }

            domain = domain.Trim().TrimEnd('.');
            selector = selector.Trim();
            if (!IsDnsName(domain))
            {
                throw MessageSecurityErrors.Dkim(MessageSecurityErrors.InvalidDkimDomain, DomainParameter, domain, $"'{domain}' is not a domain name (letters, digits and hyphens in dot-separated labels).");
            }

            if (!IsDnsName(selector))
            {
                throw MessageSecurityErrors.Dkim(MessageSecurityErrors.InvalidDkimSelector, SelectorParameter, selector, $"'{selector}' is not a DKIM selector (letters, digits and hyphens in dot-separated labels); its public key is published at <selector>._domainkey.{domain}.");
            }

            var (privateKey, algorithm) = ReadKey(keyPath);
            return new DkimSigningKey(domain, selector, privateKey, algorithm);
        }

        /// <summary>
        /// Signs the finished message. It is first prepared for a 7-bit transport, so MailKit has nothing left to
        /// re-encode when it sends it: the bytes on the wire are the bytes signed.
        /// </summary>
        public void Sign(MimeMessage message, FormatOptions wireFormat)
        {
            message.Prepare(EncodingConstraint.SevenBit, 78);
            var signer = new DkimSigner(key, Domain, Selector, algorithm)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            signer.Sign(wireFormat, message, SignedHeaders);
        }

        private static bool IsDnsName(string name)
        {
            if (name.Length == 0 || name.Length > 253)
            {
                return false;
            }

            foreach (var label in name.Split('.'))
            {
                if (!Label.IsMatch(label))
                {
                    return false;
                }
            }

            return true;
        }

        private static (AsymmetricKeyParameter Key, DkimSignatureAlgorithm Algorithm) ReadKey(string path)
        {
            var bytes = RegularFile.TryReadAll(path, MaxKeyBytes, out var why)
                ?? throw Invalid(path, $"The key file '{path}' {why}.");
            string text;
            using (var reader = new StreamReader(new MemoryStream(bytes, false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
            {
                text = reader.ReadToEnd();
            }

            if (text.Contains("ENCRYPTED"))
            {
                throw Invalid(path, $"The private key in '{path}' is encrypted; DKIM needs it unencrypted (protect the file with its permissions instead).");
            }

            object? item = null;
            try
            {
                using var pem = new PemReader(new StringReader(text));
                while ((item = pem.ReadObject()) != null && !(item is AsymmetricCipherKeyPair) && !(item is AsymmetricKeyParameter { IsPrivate: true }))
                {
                }
            }
            catch (Exception ex) when (ex is IOException || ex is PemException || ex is ArgumentException || ex is InvalidCastException || ex is InvalidOperationException)
            {
                throw Invalid(path, $"The private key in '{path}' could not be read: {ex.GetType().Name}.");
            }

            var key = item is AsymmetricCipherKeyPair pair ? pair.Private : item as AsymmetricKeyParameter;
            switch (key)
            {
                case RsaKeyParameters rsa when rsa.Modulus.BitLength < MinRsaBits:
                    throw Invalid(path, $"The RSA key in '{path}' has {rsa.Modulus.BitLength} bits; DKIM verifiers ignore keys under {MinRsaBits} bits (RFC 8301): use 2048.");
                case RsaKeyParameters rsa:
                    return (rsa, DkimSignatureAlgorithm.RsaSha256);
                case Ed25519PrivateKeyParameters ed25519:
                    return (ed25519, DkimSignatureAlgorithm.Ed25519Sha256);
                case null:
                    throw Invalid(path, $"'{path}' holds no PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----).");
                default:
                    throw Invalid(path, $"The private key in '{path}' is neither RSA nor Ed25519, the key types DKIM signs with.");
            }
        }

        private static SmtpHandlerException Invalid(string path, string message) =>
            MessageSecurityErrors.Dkim(MessageSecurityErrors.InvalidDkimKey, KeyParameter, path, message);
    }
}
