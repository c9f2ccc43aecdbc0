using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcCertificateParser = Org.BouncyCastle.X509.X509CertificateParser;

namespace SmtpHandler
{
    /// <summary>
    /// Reads the certificate files a configuration names: trusted certificates (PEM, also bundles; DER;
    /// PKCS#12 without a password) and the client certificate (PKCS#12 with its password, or a PEM/DER
    /// certificate with a PEM private key). The format is told from the content, not the extension.
    /// Every problem is an <see cref="SmtpHandlerException"/> <c>InvalidCertificateFile</c> naming the
    /// parameter; no secret (password, key material) ever appears in a message.
    /// </summary>
    /// <remarks>
    /// Only APIs that .NET Framework 4.7.2 also has: no CreateFromPemFile, no CopyWithPrivateKey. A PEM
    /// private key is parsed with BouncyCastle (a MailKit dependency) and joined to its certificate in an
    /// in-memory PKCS#12, which every runtime can load as an <see cref="X509Certificate2"/>.
    /// </remarks>
    internal static class CertificateFiles
    {
        public const string ErrorId = "InvalidCertificateFile";
        public const string TrustedParameter = "TrustedCertificatePath";
        public const string ClientParameter = "ClientCertificatePath";
        public const string KeyParameter = "ClientCertificateKeyPath";
        public const string PasswordParameter = "ClientCertificatePassword";

        // A PEM bundle of every CA a Linux distribution trusts is about 220 KB; a certificate, key or PFX with its
        // chain a few KB. 1 MiB takes all of them and keeps a wrong file (a disk image, a device) out of memory.
        public const int MaxFileBytes = 1024 * 1024;

        private static readonly Regex PemBlock = new(
            @"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----",
            RegexOptions.Singleline | RegexOptions.CultureInvariant);

        /// <summary>The certificates of one trusted file, without private keys (they are never needed to trust).</summary>
        public static X509Certificate2Collection LoadTrusted(string path)
        {
            var bytes = Read(TrustedParameter, path);
            var result = new X509Certificate2Collection();
            if (IsPem(bytes))
            {
                foreach (var der in PemCertificates(TrustedParameter, path, bytes))
                {
                    result.Add(Certificate(TrustedParameter, path, der));
                }

                return result;
            }

            switch (ContentType(bytes))
            {
                case X509ContentType.Cert:
                    result.Add(Certificate(TrustedParameter, path, bytes));
                    return result;
                case X509ContentType.Pkcs12:
                case X509ContentType.Pkcs7:
                    var imported = new X509Certificate2Collection();
                    try
                    {
                        imported.Import(bytes, null, X509KeyStorageFlags.DefaultKeySet);
                    }
                    catch (CryptographicException)
                    {
                        throw Fail(TrustedParameter, path, $"The file '{path}' could not be opened without a password. A trusted certificate needs no password: export the CA (or server) certificate alone as .cer or .pem.");
                    }

                    foreach (var certificate in imported)
                    {
                        // Keep the public certificate only: a private key in the file has no part in trust.
                        result.Add(new X509Certificate2(certificate.RawData));
                        certificate.Dispose();
                    }

                    if (result.Count == 0)
                    {
                        throw Fail(TrustedParameter, path, $"The file '{path}' holds no certificate.");
                    }

                    return result;
                default:
                    throw Fail(TrustedParameter, path, $"The file '{path}' is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), DER (.cer/.crt) or PKCS#12 (.pfx/.p12).");
            }
        }

        /// <summary>The client certificate with its private key, ready for TLS.</summary>
        public static X509Certificate2 LoadClient(string certificatePath, string? keyPath, SecureString? password)
        {
            var names = CertificateParameters.Client;
            var bytes = Read(names.Certificate, certificatePath);
            if (IsPkcs12(bytes))
            {
                RequireNoKeyFile(names, certificatePath, keyPath);
                return LoadPfx(certificatePath, bytes, password);
            }

            var (key, chain) = PemKeyAndChain(names, certificatePath, bytes, keyPath, password);
            return JoinInMemory(certificatePath, key, chain);
        }

        /// <summary>
        /// A certificate with its private key as BouncyCastle objects, the leaf first, from a PKCS#12 file or a
        /// PEM/DER certificate with a PEM key; nothing touches a certificate store (S/MIME signs with them).
        /// </summary>
        internal static (AsymmetricKeyParameter Key, List<BcCertificate> Chain) LoadKeyAndChain(CertificateParameters names, string certificatePath, string? keyPath, SecureString? password)
        {
            var bytes = Read(names.Certificate, certificatePath);
            if (!IsPkcs12(bytes))
            {
                return PemKeyAndChain(names, certificatePath, bytes, keyPath, password);
            }

            RequireNoKeyFile(names, certificatePath, keyPath);
            var store = new Pkcs12StoreBuilder().Build();
            var chars = password == null ? Array.Empty<char>() : new SecurePasswordFinder(password).GetPassword();
            try
            {
                using var stream = new MemoryStream(bytes, false);
                store.Load(stream, chars);
            }
            catch (Exception ex) when (ex is IOException || ex is ArgumentException || ex is InvalidCipherTextException || ex is Org.BouncyCastle.Security.GeneralSecurityException || ex is Org.BouncyCastle.Crypto.CryptoException || ex is InvalidOperationException)
            {
                throw password == null
                    ? Fail(names.Password, certificatePath, $"'{certificatePath}' is protected by a password: give it with -{names.Password}.")
                    : Fail(names.Password, certificatePath, $"'{certificatePath}' could not be opened: the password given with -{names.Password} is wrong, or the file is damaged.");
            }
            finally
            {
                Array.Clear(chars, 0, chars.Length);
            }

            var alias = store.Aliases.FirstOrDefault(store.IsKeyEntry);
            if (alias == null)
            {
                throw Fail(names.Certificate, certificatePath, $"'{certificatePath}' holds no private key: a certificate to sign with needs one.", names.MissingKeyErrorId);
            }

            var key = Supported(names, certificatePath, store.GetKey(alias).Key);
            var chain = (store.GetCertificateChain(alias) ?? Array.Empty<X509CertificateEntry>()).Select(e => e.Certificate).ToList();
            if (chain.Count == 0 && store.GetCertificate(alias) is { } single)
            {
                chain.Add(single.Certificate);
            }

            return (key, chain);
        }

        private static (AsymmetricKeyParameter Key, List<BcCertificate> Chain) PemKeyAndChain(CertificateParameters names, string certificatePath, byte[] bytes, string? keyPath, SecureString? password)
        {
            List<byte[]> certificates;
            if (IsPem(bytes))
            {
                certificates = PemCertificates(names.Certificate, certificatePath, bytes).ToList();
            }
            else if (ContentType(bytes) == X509ContentType.Cert)
            {
                certificates = new List<byte[]> { bytes };
            }
            else
            {
                throw Fail(names.Certificate, certificatePath, $"The file '{certificatePath}' is not a certificate: expected PKCS#12 (.pfx/.p12), or a PEM or DER certificate with -{names.Key}.");
            }

            string keySource;
            byte[] keyBytes;
            if (keyPath != null)
            {
                keySource = keyPath;
                keyBytes = Read(names.Key, keyPath);
            }
            else if (IsPem(bytes) && PemBlocks(bytes).Any(b => b.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)))
            {
                keySource = certificatePath;
                keyBytes = bytes;
            }
            else
            {
                throw Fail(names.Key, certificatePath, $"'{certificatePath}' holds a certificate without its private key: give the key file with -{names.Key}, or use a .pfx/.p12 file.", names.MissingKeyErrorId);
            }

            var key = ReadPrivateKey(names, keySource, keyBytes, password);
            var parser = new BcCertificateParser();
            var chain = certificates.Select(der => ParseBc(names, certificatePath, parser, der)).ToList();
            var leaf = chain.FirstOrDefault(c => Matches(key, c.GetPublicKey()));
            if (leaf == null)
            {
                throw Fail(names.Key, keySource, $"The private key in '{keySource}' does not belong to the certificate in '{certificatePath}'.");
            }

            chain.Remove(leaf);
            chain.Insert(0, leaf);
            return (key, chain);
        }

        private static bool IsPkcs12(byte[] bytes) => !IsPem(bytes) && ContentType(bytes) == X509ContentType.Pkcs12;

        private static void RequireNoKeyFile(CertificateParameters names, string certificatePath, string? keyPath)
        {
            if (keyPath != null)
            {
                throw Fail(names.Key, keyPath, $"'{certificatePath}' is a PKCS#12 (.pfx/.p12) file that carries its own private key: leave out -{names.Key}.");
            }
        }

        private static X509Certificate2 LoadPfx(string path, byte[] bytes, SecureString? password)
        {
            X509Certificate2 certificate;
            try
            {
                certificate = password != null
                    ? new X509Certificate2(bytes, password, X509KeyStorageFlags.UserKeySet)
                    : new X509Certificate2(bytes, (string?)null, X509KeyStorageFlags.UserKeySet);
            }
            catch (CryptographicException)
            {
                throw password == null
                    ? Fail(PasswordParameter, path, $"'{path}' is protected by a password: give it with -{PasswordParameter}.")
                    : Fail(PasswordParameter, path, $"'{path}' could not be opened: the password given with -{PasswordParameter} is wrong, or the file is damaged.");
            }

            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                throw Fail(ClientParameter, path, $"'{path}' holds no private key: a client certificate needs one.");
            }

            return certificate;
        }

        private static AsymmetricKeyParameter ReadPrivateKey(CertificateParameters names, string path, byte[] bytes, SecureString? password)
        {
            if (!IsPem(bytes))
            {
                throw Fail(names.Key, path, $"'{path}' is not a PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY).");
            }

            var encrypted = PemBlocks(bytes).Any(b => b.Label == "ENCRYPTED PRIVATE KEY" || b.Text.Contains("Proc-Type: 4,ENCRYPTED"));
            if (encrypted && password == null)
            {
                throw Fail(names.Password, path, $"The private key in '{path}' is encrypted: give its password with -{names.Password}.");
            }

            try
            {
                using var reader = new PemReader(new StringReader(Text(bytes)), password == null ? null : new SecurePasswordFinder(password));
                object? item;
                while ((item = reader.ReadObject()) != null)
                {
                    switch (item)
                    {
                        case AsymmetricCipherKeyPair pair:
                            return Supported(names, path, pair.Private);
                        case AsymmetricKeyParameter { IsPrivate: true } single:
                            return Supported(names, path, single);
                    }
                }
            }
            catch (SmtpHandlerException)
            {
                throw;
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidCipherTextException || ex is PemException || ex is ArgumentException || ex is InvalidCastException || ex is Org.BouncyCastle.OpenSsl.PasswordException)
            {
                throw encrypted
                    ? Fail(names.Password, path, $"The private key in '{path}' could not be decrypted: the password given with -{names.Password} is wrong, or the key is damaged.")
                    : Fail(names.Key, path, $"The private key in '{path}' could not be read: {ex.GetType().Name}.");
            }

            throw Fail(names.Key, path, $"'{path}' holds no private key.");
        }

        private static AsymmetricKeyParameter Supported(CertificateParameters names, string path, AsymmetricKeyParameter key) =>
            key is RsaKeyParameters || key is ECPrivateKeyParameters
                ? key
                : throw Fail(names.Key, path, $"The private key in '{path}' is neither RSA nor EC; only those are supported for {names.Purpose}.");

        private static bool Matches(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey) => (privateKey, publicKey) switch
        {
            (RsaPrivateCrtKeyParameters rsa, RsaKeyParameters pub) => rsa.Modulus.Equals(pub.Modulus) && rsa.PublicExponent.Equals(pub.Exponent),
            (RsaKeyParameters rsa, RsaKeyParameters pub) => rsa.Modulus.Equals(pub.Modulus),
            (ECPrivateKeyParameters ec, ECPublicKeyParameters pub) => ec.Parameters.G.Multiply(ec.D).Normalize().Equals(pub.Q.Normalize()),
            _ => false,
        };

        /// <summary>Joins key and chain in a PKCS#12 held only in memory, protected by a throw-away password.</summary>
        private static X509Certificate2 JoinInMemory(string path, AsymmetricKeyParameter key, IReadOnlyList<BcCertificate> chain)
        {
            var random = new SecureRandom();
            var transient = new char[32];
            const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            for (var i = 0; i < transient.Length; i++)
            {
                transient[i] = alphabet[random.Next(alphabet.Length)];
            }

            // 3DES for key and certificates: every runtime (and OpenSSL 3 without its legacy provider) reads it.
            var store = new Pkcs12StoreBuilder()
                .SetUseDerEncoding(true)
                .SetKeyAlgorithm(PkcsObjectIdentifiers.PbeWithShaAnd3KeyTripleDesCbc)
                .SetCertAlgorithm(PkcsObjectIdentifiers.PbeWithShaAnd3KeyTripleDesCbc)
                .Build();
            store.SetKeyEntry("client", new AsymmetricKeyEntry(key), chain.Select(c => new X509CertificateEntry(c)).ToArray());
            using var buffer = new MemoryStream();
            store.Save(buffer, transient, random);
            var pfx = buffer.ToArray();
            var password = new string(transient);
            Array.Clear(transient, 0, transient.Length);
            try
            {
                return new X509Certificate2(pfx, password, X509KeyStorageFlags.UserKeySet);
            }
            catch (CryptographicException ex)
            {
                throw Fail(ClientParameter, path, $"The certificate in '{path}' and its private key could not be joined: {ex.Message}");
            }
            finally
            {
                Array.Clear(pfx, 0, pfx.Length);
            }
        }

        private static byte[] Read(string parameter, string path) =>
            RegularFile.TryReadAll(path, MaxFileBytes, out var why) ?? throw Fail(parameter, path, $"The certificate file '{path}' {why}.");

        private static bool IsPem(byte[] bytes) => Text(bytes).Contains("-----BEGIN ");

        /// <summary>
        /// A file's text: UTF-8 or ASCII, or UTF-16 with a byte order mark, which Windows PowerShell 5.1's
        /// Set-Content and Out-File write by default.
        /// </summary>
        private static string Text(byte[] bytes)
        {
            using var reader = new StreamReader(new MemoryStream(bytes, false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        private static IEnumerable<(string Label, string Text)> PemBlocks(byte[] bytes) =>
            PemBlock.Matches(Text(bytes)).Cast<Match>().Select(m => (m.Groups[1].Value, m.Groups[2].Value));

        private static IEnumerable<byte[]> PemCertificates(string parameter, string path, byte[] bytes)
        {
            var blocks = PemBlocks(bytes).ToList();
            var certificates = blocks.Where(b => b.Label == "CERTIFICATE" || b.Label == "X509 CERTIFICATE").ToList();
            if (certificates.Count == 0)
            {
                var found = blocks.Count == 0 ? "no complete PEM block" : string.Join(", ", blocks.Select(b => b.Label).Distinct());
                throw Fail(parameter, path, $"The PEM file '{path}' holds no certificate (found: {found}).");
            }

            foreach (var block in certificates)
            {
                byte[] der;
                try
                {
                    der = Convert.FromBase64String(block.Text);
                }
                catch (FormatException)
                {
                    throw Fail(parameter, path, $"The PEM file '{path}' has a damaged certificate block (not valid base64).");
                }

                yield return der;
            }
        }

        private static X509ContentType ContentType(byte[] bytes)
        {
            try
            {
                return X509Certificate2.GetCertContentType(bytes);
            }
            catch (CryptographicException)
            {
                return X509ContentType.Unknown;
            }
        }

        private static X509Certificate2 Certificate(string parameter, string path, byte[] der)
        {
            try
            {
                return new X509Certificate2(der);
            }
            catch (CryptographicException)
            {
                throw Fail(parameter, path, $"The file '{path}' holds a damaged certificate.");
            }
        }

        private static BcCertificate ParseBc(CertificateParameters names, string path, BcCertificateParser parser, byte[] der)
        {
            try
            {
                return parser.ReadCertificate(der) ?? throw Fail(names.Certificate, path, $"The file '{path}' holds a damaged certificate.");
            }
            catch (Exception ex) when (ex is not SmtpHandlerException)
            {
                throw Fail(names.Certificate, path, $"The file '{path}' holds a damaged certificate.");
            }
        }

        private static SmtpHandlerException Fail(string parameter, string path, string message, string errorId = ErrorId) =>
            new(errorId, SmtpFailureKind.InvalidConfiguration, $"{parameter}: {message}", path) { ParameterName = parameter };

        /// <summary>Hands BouncyCastle the key password only when it asks, straight from the SecureString.</summary>
        private sealed class SecurePasswordFinder : IPasswordFinder
        {
            private readonly SecureString password;

            public SecurePasswordFinder(SecureString password) => this.password = password;

            public char[] GetPassword()
            {
                var pointer = Marshal.SecureStringToGlobalAllocUnicode(password);
                try
                {
                    var chars = new char[password.Length];
                    Marshal.Copy(pointer, chars, 0, chars.Length);
                    return chars;
                }
                finally
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(pointer);
                }
            }
        }
    }
}
