using System;
using System.Linq;
using System.Text.RegularExpressions;

namespace SmtpHandler
{
    /// <summary>
    /// Recognises the replies Exchange Online gives when a setup step is missing, by their enhanced status code
    /// (RFC 3463) and, where one code has several causes, by their text. The one place these replies are told
    /// apart: Test-SmtpConnection words a finding for each (<see cref="Findings.ExchangeRefused"/>), and sending's
    /// errors point to it (<see cref="Findings.ExchangeRefusalHint"/>).
    /// </summary>
    internal static class ExchangeReplies
    {
        // An enhanced status code anywhere in the text, not part of a longer dotted number (an address, a version).
        private static readonly Regex EnhancedCode = new(@"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)", RegexOptions.CultureInvariant);

        /// <summary>Which refusal <paramref name="text"/> (a reply, or an error quoting one) is; <paramref name="code"/> when known.</summary>
        public static ExchangeRefusal Classify(int? code, string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return ExchangeRefusal.None;
            }

            var codes = EnhancedCode.Matches(text).Cast<Match>().Select(m => m.Value).ToList();
            if (Has(text!, "SendAsDenied") || codes.Contains("5.7.60"))
            {
                return ExchangeRefusal.SendAsDenied;
            }

            if (codes.Contains("5.7.139"))
            {
                return Has(text!, "SmtpClientAuthentication") ? ExchangeRefusal.SmtpClientAuthenticationDisabled
                    : Has(text!, "security defaults") || Has(text!, "did not meet the criteria") || Has(text!, "Conditional Access") ? ExchangeRefusal.BlockedBySecurityPolicy
                    : Has(text!, "basic authentication") ? ExchangeRefusal.BasicAuthenticationNotSupported
                    : Has(text!, "credentials were incorrect") ? ExchangeRefusal.AuthenticationUnsuccessful
                    : ExchangeRefusal.SmtpClientAuthenticationDisabled;
            }

            if (codes.Contains("5.7.30"))
            {
                return ExchangeRefusal.BasicAuthenticationNotSupported;
            }

            // Only with the code, or Exchange's words, where an error message quotes a reply: others use these codes too.
            if (codes.Contains("5.7.3") && (code == 535 || (code == null && Has(text!, "Authentication unsuccessful"))))
            {
                return ExchangeRefusal.AuthenticationUnsuccessful;
            }

            if (codes.Contains("4.3.2") && (code == 432 || Has(text!, "thread limit") || Has(text!, "STOREDRV.ClientSubmit")))
            {
                return ExchangeRefusal.ConcurrentConnectionLimit;
            }

            if (codes.Contains("5.2.0") && Has(text!, "QuotaExceeded"))
            {
                return ExchangeRefusal.SubmissionQuotaExceeded;
            }

            return codes.Contains("5.5.105") ? ExchangeRefusal.ExternalRecipientNotAllowed : ExchangeRefusal.None;
        }

        private static bool Has(string text, string words) => text.IndexOf(words, StringComparison.OrdinalIgnoreCase) >= 0;
    }
}
