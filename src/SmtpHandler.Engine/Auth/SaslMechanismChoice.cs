using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
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
        private static readonly Lazy<PropertyInfo> ServiceUri = new(FindServiceUri);

        /// <summary>
        /// The mechanism a login with a user name and password would use, or null when none of
        /// <paramref name="offered"/> works with one (for example only XOAUTH2). Names compare as MailKit compares
        /// them: exactly, as the server announced them.
        /// </summary>
        public static string? ForPassword(IEnumerable<string> offered) =>
            Rank.Value(new HashSet<string>(offered, StringComparer.Ordinal)).FirstOrDefault(SaslMechanism.IsSupported);

        /// <summary>
        /// <paramref name="mechanism"/> for <paramref name="credential"/>, set up as MailKit's SmtpClient sets it up:
        /// with the service's address (smtp://host), which DIGEST-MD5 needs for its digest-uri. MailKit keeps that
        /// setter internal, so it is reached by reflection, like the ranking.
        /// </summary>
        public static SaslMechanism Create(string mechanism, NetworkCredential credential, string host)
        {
            var sasl = SaslMechanism.Create(mechanism, credential) ?? throw new InvalidOperationException($"MailKit has no {mechanism} implementation.");
            ServiceUri.Value.SetValue(sasl, new UriBuilder("smtp", host).Uri);
            return sasl;
        }

        private static Func<HashSet<string>, IEnumerable<string>> FindRank()
        {
            var method = typeof(SaslMechanism).GetMethod("Rank", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, null, new[] { typeof(HashSet<string>) }, null);
            if (method == null || !typeof(IEnumerable<string>).IsAssignableFrom(method.ReturnType))
            {
                throw new InvalidOperationException($"MailKit {typeof(SaslMechanism).Assembly.GetName().Version} no longer ranks SASL mechanisms with SaslMechanism.Rank(HashSet<string>): SaslMechanismChoice must follow it.");
            }

            return (Func<HashSet<string>, IEnumerable<string>>)method.CreateDelegate(typeof(Func<HashSet<string>, IEnumerable<string>>));
        }

        private static PropertyInfo FindServiceUri()
        {
            var property = typeof(SaslMechanism).GetProperty("Uri", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (property == null || property.PropertyType != typeof(Uri) || property.GetSetMethod(nonPublic: true) == null)
            {
                throw new InvalidOperationException($"MailKit {typeof(SaslMechanism).Assembly.GetName().Version} no longer gives SASL mechanisms the service's address through SaslMechanism.Uri: SaslMechanismChoice must follow it.");
            }

            return property;
        }
    }
}
