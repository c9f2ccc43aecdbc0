using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// Splits one text holding several addresses ("a@x.test, Name &lt;b@x.test&gt;"), as Send-MailMessage accepts
    /// them, into one text per address. Quoted display names may hold commas.
    /// </summary>
    public static class MailAddressList
    {
        public static IReadOnlyList<string> Split(string? text)
        {
            if (text == null || text.IndexOf(',') < 0)
            {
                return new[] { text ?? string.Empty };
            }

            // Anything that is not a plain list of mailboxes is left whole, to be reported as it was written.
            if (InternetAddressList.TryParse(text, out var list) && list.Count > 1 && list.All(a => a is MailboxAddress))
            {
                return list.Cast<MailboxAddress>().Select(m => m.ToString()).ToArray();
            }

            return new[] { text };
        }
    }
}
