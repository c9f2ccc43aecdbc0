using System.Linq;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>Turns user text ("a@x.test", "Name &lt;a@x.test&gt;") into one mailbox, or a clear error.</summary>
    internal static class MailAddressParser
    {
        private static readonly ParserOptions Strict = CreateStrictOptions();

        public static MailboxAddress Parse(string? text, string parameter)
        {
            if (TryParse(text, out var mailbox, out var why))
            {
                return mailbox!;
            }

            throw new SmtpHandlerException("InvalidMailAddress", SmtpFailureKind.InvalidArgument, $"{parameter}: '{text}' is not a valid mail address: {why}", text)
            {
                ParameterName = parameter,
            };
        }

        public static bool TryParse(string? text, out MailboxAddress? mailbox, out string why)
        {
            mailbox = null;
            if (string.IsNullOrWhiteSpace(text))
            {
                why = "it is empty.";
                return false;
            }

            // CR, LF and other controls would let an address write a header or a command of its own.
            if (text!.Any(char.IsControl))
            {
                why = "it contains a line break or another control character.";
                return false;
            }

            if (!MailboxAddress.TryParse(Strict, text!.Trim(), out var parsed) || parsed is null)
            {
                why = "it is not of the form user@domain or \"Name <user@domain>\".";
                return false;
            }

            var at = parsed.Address.LastIndexOf('@');
            if (at <= 0 || at == parsed.Address.Length - 1)
            {
                why = "it needs a user and a domain, as in user@domain.";
                return false;
            }

            var domain = parsed.Address.Substring(at + 1);
            if (domain.StartsWith(".") || domain.EndsWith(".") || domain.Contains("..") || domain.Any(c => c == ' ' || c == ','))
            {
                why = $"'{domain}' is not a valid domain.";
                return false;
            }

            if (RfcLimits.AddressTooLong(parsed.Address) is { } tooLong)
            {
                why = tooLong;
                return false;
            }

            mailbox = parsed;
            why = string.Empty;
            return true;
        }

        private static ParserOptions CreateStrictOptions()
        {
            var options = ParserOptions.Default.Clone();
            options.AddressParserComplianceMode = RfcComplianceMode.Strict;
            options.AllowAddressesWithoutDomain = false;
            return options;
        }
    }
}
