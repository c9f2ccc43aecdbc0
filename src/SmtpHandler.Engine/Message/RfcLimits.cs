using System;
using System.Globalization;
using System.Text;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// The length limits of mail that a server may enforce by cutting or refusing, checked before connecting:
    /// header lines (RFC 5322), and the parts of an address that become the path of MAIL FROM and RCPT TO
    /// (RFC 5321). A limit broken is an error, never a line cut in two on the wire.
    /// </summary>
    internal static class RfcLimits
    {
        /// <summary>Octets in a header line without its CRLF (RFC 5322 2.1.1).</summary>
        public const int HeaderLine = 998;

        /// <summary>Octets in the part of an address before the @ (RFC 5321 4.5.3.1.1).</summary>
        public const int LocalPart = 64;

        /// <summary>Octets in a domain (RFC 5321 4.5.3.1.2), and in one of its labels (RFC 1035 2.3.4).</summary>
        public const int Domain = 255;

        public const int DomainLabel = 63;

        /// <summary>
        /// Octets in an address: its path, the address within &lt;&gt;, may have 256 (RFC 5321 4.5.3.1.3). That
        /// limit is what keeps MAIL FROM and RCPT TO within the 512-octet command line, with room for their parameters.
        /// </summary>
        public const int Address = 254;

        /// <summary>Why <paramref name="address"/> (local@domain) breaks a length limit, as a sentence; null when none.</summary>
        public static string? AddressTooLong(string address)
        {
            var at = address.LastIndexOf('@');
            var local = Octets(address.Substring(0, at));
            if (local > LocalPart)
            {
                return $"its local part (before the @) is {local} octets; at most {LocalPart} are allowed (RFC 5321).";
            }

            // A server without SMTPUTF8 gets an international domain in its ASCII (xn--) form, often the longer one.
            var domain = address.Substring(at + 1);
            var ascii = AsciiDomain(domain);
            var domainOctets = Math.Max(Octets(domain), ascii.Length);
            if (domainOctets > Domain)
            {
                return $"its domain is {domainOctets} octets; at most {Domain} are allowed (RFC 5321).";
            }

            foreach (var label in ascii.Split('.'))
            {
                if (label.Length > DomainLabel)
                {
                    return $"a part of its domain between dots is {label.Length} octets; at most {DomainLabel} are allowed (RFC 1035).";
                }
            }

            var total = local + 1 + domainOctets;
            if (total > Address)
            {
                return $"it is {total} octets; at most {Address} are allowed, or the MAIL FROM and RCPT TO commands would pass their limits (RFC 5321).";
            }

            return null;
        }

        /// <summary>
        /// Refuses a header whose longest line, as MimeKit writes it, passes 998 octets. MimeKit folds text at its
        /// spaces and splits an unbreakable word of text into encoded-words, so text always fits; what it cannot
        /// fold is a header name, or a message id (Message-Id, References) longer than a line.
        /// </summary>
        public static void CheckHeaderLine(string name, string value, string parameter)
        {
            var longest = LongestLine(name, value);
            if (longest > HeaderLine)
            {
                var shown = name.Length > 40 ? name.Substring(0, 40) + "..." : name;
                throw new SmtpHandlerException(
                    "HeaderLineTooLong",
                    SmtpFailureKind.InvalidArgument,
                    $"{parameter}: the header '{shown}' ({name.Length} characters) with its value would be a line of {longest} octets that cannot be folded; a header line may have at most {HeaderLine} (RFC 5322). Shorten it.",
                    name) { ParameterName = parameter };
            }
        }

        /// <summary>Octets in the longest line of "name: value" as MimeKit folds it for the wire.</summary>
        internal static int LongestLine(string name, string value)
        {
            var raw = new Header(name, value).RawValue;
            var line = Encoding.ASCII.GetByteCount(name) + 1;
            var longest = 0;
            foreach (var b in raw)
            {
                if (b == (byte)'\n')
                {
                    longest = Math.Max(longest, line);
                    line = 0;
                }
                else if (b != (byte)'\r')
                {
                    line++;
                }
            }

            return Math.Max(longest, line);
        }

        private static int Octets(string text) => Encoding.UTF8.GetByteCount(text);

        private static string AsciiDomain(string domain)
        {
            try
            {
                return new IdnMapping().GetAscii(domain);
            }
            catch (ArgumentException)
            {
                // Too long, or not a valid international name: the other checks measure it as written.
                return domain;
            }
        }
    }
}
