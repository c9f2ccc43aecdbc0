using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// What one send (or one diagnosis) gave away to log in, in every spelling it took: the password and the token
    /// as they are, base64, URL- and form-encoded, and each AUTH line exactly as it was written (PLAIN's initial
    /// response, each LOGIN step, the XOAUTH2 blob, a CRAM-MD5 or NTLM answer). A server that quotes any of them
    /// back has it masked by <see cref="SecretRedactor"/> wherever its text is shown. Safe to share between threads.
    /// </summary>
    internal sealed class SentSecrets
    {
        // Shorter values would mask ordinary words of a reply (a one-letter password, "=" for an empty answer).
        private const int ShortestMatched = 3;
        private const string Bearer = "auth=Bearer ";

        // Enough for the AUTH lines of every connection a parallel send has open (an XOAUTH2 login leaves its blob and
        // the token's spellings, up to 9 values); older lines answered connections that are gone.
        private const int SentKeptPerConnection = 16;
        private readonly int recentSentKept;
        private readonly object gate = new();
        private readonly List<string> held = new();
        private readonly Queue<string> recentSent = new();

        // Longest first, so that none is half masked; replaced as a whole so that readers need no lock.
        private string[] values = Array.Empty<string>();

        /// <summary>Secrets of a send over <paramref name="connections"/> connections at once.</summary>
        public SentSecrets(int connections = 1) => recentSentKept = Math.Max(64, SentKeptPerConnection * connections);

        /// <summary>The secrets <paramref name="config"/> holds (its password); AUTH lines are added as they go out.</summary>
        public static SentSecrets For(SmtpHandlerConfig config)
        {
            var secrets = new SentSecrets(config.ConnectionCount);
            if (config.Password != null)
            {
                secrets.AddSecret(new NetworkCredential(string.Empty, config.Password).Password);
            }

            // The proxy's password goes out too (SOCKS 5, HTTP Basic): a server or proxy quoting it back has it masked.
            if (config.Proxy?.PasswordText() is { } proxyPassword)
            {
                secrets.AddSecret(proxyPassword);
                secrets.AddSecret(config.Proxy.UserName + ":" + proxyPassword);
            }

            return secrets;
        }

        /// <summary>How many spellings are matched now.</summary>
        public int Count => Volatile.Read(ref values).Length;

        /// <summary>A secret we hold (a password, an access token), in each spelling it may travel in.</summary>
        public void AddSecret(string? secret)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                Add(SecretRedactor.Spellings(secret!), sent: false);
            }
        }

        /// <summary>
        /// Text written to the server to log in, exactly as it went (one AUTH line's secret part). An XOAUTH2 blob
        /// also gives away the access token inside it, which a server may quote decoded.
        /// </summary>
        public void AddSent(string sent)
        {
            sent = sent.Trim();
            var spellings = new List<string> { sent };
            var decoded = Decode(sent);
            var at = decoded?.IndexOf(Bearer, StringComparison.Ordinal) ?? -1;
            if (at >= 0)
            {
                var start = at + Bearer.Length;
                var end = decoded!.IndexOf('\u0001', start);
                spellings.AddRange(SecretRedactor.Spellings(decoded.Substring(start, (end < 0 ? decoded.Length : end) - start)));
            }

            // A token source may give each connection a new token: only the recent lines are kept, so a long send
            // does not make every reply slower to check.
            Add(spellings, sent: true);
        }

        /// <summary><paramref name="text"/> with each value masked; the same instance when none is set or none occurs.</summary>
        public string Redact(string text)
        {
            var current = Volatile.Read(ref values);
            return current.Length == 0 ? text : SecretRedactor.RedactEach(text, current);
        }

        private void Add(IEnumerable<string> spellings, bool sent)
        {
            lock (gate)
            {
                var changed = false;
                foreach (var spelling in spellings.Where(s => s.Length >= ShortestMatched))
                {
                    if (held.Contains(spelling, StringComparer.Ordinal) || recentSent.Contains(spelling, StringComparer.Ordinal))
                    {
                        continue;
                    }

                    changed = true;
                    if (!sent)
                    {
                        held.Add(spelling);
                        continue;
                    }

                    recentSent.Enqueue(spelling);
                    if (recentSent.Count > recentSentKept)
                    {
                        recentSent.Dequeue();
                    }
                }

                if (changed)
                {
                    Volatile.Write(ref values, held.Concat(recentSent).OrderByDescending(s => s.Length).ToArray());
                }
            }
        }

        private static string? Decode(string base64)
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
