using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>The extensions one EHLO reply announces (RFC 5321 section 4.1.1.1 and the extension RFCs).</summary>
    internal sealed class EhloCapabilities
    {
        public static readonly EhloCapabilities None = new(Array.Empty<string>());

        private EhloCapabilities(IReadOnlyList<string> lines)
        {
            Lines = lines.ToArray();
            Keywords = lines.Select(l => l.Split(new[] { ' ', '=' }, 2)[0].ToUpperInvariant()).Where(k => k.Length > 0).Distinct().ToArray();
            var auth = new List<string>();
            foreach (var line in lines)
            {
                var parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0)
                {
                    continue;
                }

                var keyword = parts[0].ToUpperInvariant();
                if (keyword == "AUTH")
                {
                    auth.AddRange(parts.Skip(1));
                }
                else if (keyword.StartsWith("AUTH=", StringComparison.Ordinal))
                {
                    // The pre-standard form some old servers (and Outlook) still announce.
                    auth.Add(parts[0].Substring(5));
                    auth.AddRange(parts.Skip(1));
                }
                else if (keyword == "SIZE")
                {
                    MaxMessageSize = parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0;
                }
            }

            AuthenticationMechanisms = auth.Select(a => a.ToUpperInvariant()).Where(a => a.Length > 0).Distinct().ToArray();
        }

        /// <summary>The reply lines after the first (the greeting line of EHLO), as the server wrote them.</summary>
        public string[] Lines { get; }

        /// <summary>Each line's keyword, upper case.</summary>
        public string[] Keywords { get; }

        public string[] AuthenticationMechanisms { get; }

        /// <summary>The SIZE parameter; 0 when SIZE is announced without a limit; null without SIZE.</summary>
        public long? MaxMessageSize { get; }

        public bool StartTls => Has("STARTTLS");

        public bool Pipelining => Has("PIPELINING");

        public bool EightBitMime => Has("8BITMIME");

        public bool SmtpUtf8 => Has("SMTPUTF8");

        public bool Chunking => Has("CHUNKING");

        public bool Dsn => Has("DSN");

        public bool EnhancedStatusCodes => Has("ENHANCEDSTATUSCODES");

        /// <summary>Reads the lines of a positive EHLO reply; the first line greets and announces nothing.</summary>
        public static EhloCapabilities Parse(IEnumerable<string> replyLines) => new(replyLines.Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList());

        public bool Has(string keyword) => Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase);
    }
}
