using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SmtpHandler
{
    /// <summary>A certificate as the diagnosis saw it: the fields an administrator checks, nothing to dispose.</summary>
    public sealed class SmtpCertificateInfo
    {
        private const string SubjectAlternativeNameOid = "2.5.29.17";

        private SmtpCertificateInfo()
        {
        }

        public string Subject { get; private set; } = string.Empty;

        /// <summary>The names the certificate is valid for, as DNS:name, IP:address, EMAIL:..., URI:....</summary>
        public string[] SubjectAlternativeNames { get; private set; } = Array.Empty<string>();

        public string Issuer { get; private set; } = string.Empty;

        public DateTime NotBefore { get; private set; }

        public DateTime NotAfter { get; private set; }

        /// <summary>Whole days from the test until <see cref="NotAfter"/>; negative once expired.</summary>
        public int DaysUntilExpiry { get; private set; }

        /// <summary>The SHA-1 thumbprint in hexadecimal, as Windows and Get-PfxCertificate show it.</summary>
        public string Thumbprint { get; private set; } = string.Empty;

        public string SerialNumber { get; private set; } = string.Empty;

        public string? SignatureAlgorithm { get; private set; }

        /// <summary>What the chain builder said about this certificate (empty when nothing).</summary>
        public string[] Status { get; private set; } = Array.Empty<string>();

        public bool IsSelfIssued => string.Equals(Subject, Issuer, StringComparison.Ordinal);

        public override string ToString() => $"{Subject} (until {NotAfter:yyyy-MM-dd}, {Thumbprint})";

        internal static SmtpCertificateInfo From(X509Certificate2 certificate, DateTime now, IEnumerable<X509ChainStatus>? status = null) => new()
        {
            Subject = certificate.Subject,
            SubjectAlternativeNames = AlternativeNames(certificate),
            Issuer = certificate.Issuer,
            NotBefore = certificate.NotBefore,
            NotAfter = certificate.NotAfter,
            DaysUntilExpiry = (int)Math.Floor((certificate.NotAfter.ToUniversalTime() - now.ToUniversalTime()).TotalDays),
            Thumbprint = certificate.Thumbprint,
            SerialNumber = certificate.SerialNumber,
            SignatureAlgorithm = certificate.SignatureAlgorithm?.FriendlyName ?? certificate.SignatureAlgorithm?.Value,
            Status = (status ?? Enumerable.Empty<X509ChainStatus>())
                .Where(s => s.Status != X509ChainStatusFlags.NoError)
                .Select(s => string.IsNullOrWhiteSpace(s.StatusInformation) ? s.Status.ToString() : $"{s.Status}: {s.StatusInformation.Trim()}")
                .ToArray(),
        };

        /// <summary>Reads the subjectAltName extension (RFC 5280 GeneralNames) without platform-specific formatting.</summary>
        internal static string[] AlternativeNames(X509Certificate2 certificate)
        {
            var extension = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == SubjectAlternativeNameOid);
            if (extension == null)
            {
                return Array.Empty<string>();
            }

            try
            {
                return ParseGeneralNames(extension.RawData).ToArray();
            }
            catch (FormatException)
            {
                return new[] { "(unreadable subjectAltName)" };
            }
        }

        internal static IEnumerable<string> ParseGeneralNames(byte[] der)
        {
            var position = 0;
            var (tag, length) = ReadHeader(der, ref position);
            if (tag != 0x30)
            {
                throw new FormatException("subjectAltName is not a SEQUENCE.");
            }

            var end = position + length;
            var names = new List<string>();
            while (position < end)
            {
                (tag, length) = ReadHeader(der, ref position);
                var value = new byte[length];
                Array.Copy(der, position, value, 0, length);
                position += length;
                switch (tag)
                {
                    case 0x81:
                        names.Add("EMAIL:" + Encoding.ASCII.GetString(value));
                        break;
                    case 0x82:
                        names.Add("DNS:" + Encoding.ASCII.GetString(value));
                        break;
                    case 0x86:
                        names.Add("URI:" + Encoding.ASCII.GetString(value));
                        break;
                    case 0x87 when value.Length == 4 || value.Length == 16:
                        names.Add("IP:" + new IPAddress(value));
                        break;
                    default:
                        names.Add($"OTHER:[{tag:X2}]");
                        break;
                }
            }

            return names;
        }

        private static (int Tag, int Length) ReadHeader(byte[] der, ref int position)
        {
            if (position + 2 > der.Length)
            {
                throw new FormatException("Truncated DER.");
            }

            int tag = der[position++];
            int length = der[position++];
            if (length >= 0x80)
            {
                var octets = length & 0x7F;
                if (octets == 0 || octets > 3 || position + octets > der.Length)
                {
                    throw new FormatException("Unsupported DER length.");
                }

                length = 0;
                for (var i = 0; i < octets; i++)
                {
                    length = (length << 8) | der[position++];
                }
            }

            if (position + length > der.Length)
            {
                throw new FormatException("Truncated DER.");
            }

            return (tag, length);
        }
    }
}
