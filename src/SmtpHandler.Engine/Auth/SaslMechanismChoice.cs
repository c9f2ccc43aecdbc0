using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using MailKit.Security;

namespace SmtpHandler
{
    /// <summary>
    /// Which SASL mechanism a password login uses on a server offering a given list: the one MailKit's SmtpClient
    /// tries first. Sending leaves the login to MailKit, so diagnostics must name what MailKit picks, not a list of
    /// its own that drifts from MailKit's (SCRAM-*-PLUS, a platform without MD5). MailKit's ranking is internal,
    /// so it is reached by reflection; a test replays servers' offers against a real SmtpClient to keep this honest.
    /// </summary>
    internal static class SaslMechanismChoice
    {
        private static readonly Lazy<Func<HashSet<string>, IEnumerable<string>>> Rank = new(FindRank);

        /// <summary>
        /// The mechanism a login with a user name and password would use, or null when none of
        /// <paramref name="offered"/> works with one (for example only XOAUTH2). Names compare as MailKit compares
        /// them: exactly, as the server announced them.
        /// </summary>
        public static string? ForPassword(IEnumerable<string> offered) =>
            Rank.Value(new HashSet<string>(offered, StringComparer.Ordinal)).FirstOrDefault(SaslMechanism.IsSupported);

        private static Func<HashSet<string>, IEnumerable<string>> FindRank()
        {
            var method = typeof(SaslMechanism).GetMethod("Rank", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, null, new[] { typeof(HashSet<string>) }, null);
            if (method == null || !typeof(IEnumerable<string>).IsAssignableFrom(method.ReturnType))
            {
                throw new InvalidOperationException($"MailKit {typeof(SaslMechanism).Assembly.GetName().Version} no longer ranks SASL mechanisms with SaslMechanism.Rank(HashSet<string>): SaslMechanismChoice must follow it.");
            }

            return (Func<HashSet<string>, IEnumerable<string>>)method.CreateDelegate(typeof(Func<HashSet<string>, IEnumerable<string>>));
        }
    }
}
