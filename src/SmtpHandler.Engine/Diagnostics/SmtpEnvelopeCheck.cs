using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>A sender and recipients to try with MAIL FROM and RCPT TO, followed by RSET: nothing is sent.</summary>
    public sealed class SmtpEnvelopeCheck
    {
        /// <summary>Checks the addresses; throws <see cref="SmtpHandlerException"/> (InvalidMailAddress) naming the parameter.</summary>
        public SmtpEnvelopeCheck(string? from, IEnumerable<string>? to)
        {
            From = from == null ? null : MailAddressParser.Parse(from, "From").Address;
            To = (to ?? Enumerable.Empty<string>()).Select(t => MailAddressParser.Parse(t, "To").Address).ToArray();
        }

        /// <summary>The envelope sender; when null, the configuration's DefaultFrom, else the null sender &lt;&gt;.</summary>
        public string? From { get; }

        public IReadOnlyList<string> To { get; }
    }
}
