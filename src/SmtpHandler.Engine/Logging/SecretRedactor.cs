using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using MailKit;

namespace SmtpHandler
{
    /// <summary>
    /// The one place a secret is hidden from text that may be shown (verbose lines, errors, transcripts, results):
    /// always the same fixed mask, so that not even the secret's length shows.
    /// </summary>
    internal static class SecretRedactor
    {
        public const string Mask = "********";

        /// <summary>
        /// <paramref name="text"/> with every secret replaced by <see cref="Mask"/>, in each spelling it may have
        /// travelled in (as is, base64, URL- and form-encoded); longer spellings first, so none is half masked.
        /// </summary>
        public static string Redact(string text, params string?[] secrets)
        {
            if (string.IsNullOrEmpty(text))
            {
                return text;
            }

            return RedactEach(text, secrets.Where(s => !string.IsNullOrEmpty(s)).SelectMany(s => Spellings(s!)).Distinct().OrderByDescending(s => s.Length).ToList());
        }

        /// <summary>
        /// <paramref name="text"/> with each of <paramref name="values"/> (exact spellings, longest first) replaced by
        /// <see cref="Mask"/>; the same instance when none occurs.
        /// </summary>
        public static string RedactEach(string text, IReadOnlyList<string> values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Length > 0)
                {
                    text = Replace(text, values[i]);
                }
            }

            return text;
        }

        /// <summary>
        /// The forms a secret takes on the wire: as is, base64 of its UTF-8 bytes, URL-encoded, and form-encoded both
        /// as an HTTP form body writes it and as WebUtility does (they differ on '~', '!', '*', '(', ')' and '\'');
        /// each percent-encoded one with upper- and lower-case hex digits, since an echo may re-encode it either way.
        /// </summary>
        public static IEnumerable<string> Spellings(string secret)
        {
            yield return secret;
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));
            var escaped = Uri.EscapeDataString(secret);

            // FormUrlEncodedContent's own steps: RFC 3986 escaping, then '+' for a space.
            foreach (var encoded in new[] { escaped, escaped.Replace("%20", "+"), WebUtility.UrlEncode(secret) })
            {
                yield return encoded;
                yield return LowerCaseHex(encoded);
            }
        }

        /// <summary>
        /// <paramref name="count"/> bytes of protocol text from <paramref name="offset"/>, as UTF-8, with each of
        /// <paramref name="secrets"/> (ranges of <paramref name="buffer"/>, as MailKit's secret detector marks
        /// them) replaced by <see cref="Mask"/>.
        /// </summary>
        public static string Redact(byte[] buffer, int offset, int count, IList<AuthenticationSecret>? secrets)
        {
            if (secrets == null || secrets.Count == 0)
            {
                return Encoding.UTF8.GetString(buffer, offset, count);
            }

            var end = offset + count;
            var from = offset;
            var text = new StringBuilder(count);
            foreach (var secret in secrets.OrderBy(s => s.StartIndex))
            {
                var start = Math.Max(secret.StartIndex, from);
                var stop = Math.Min(secret.StartIndex + secret.Length, end);
                if (stop <= start)
                {
                    continue;
                }

                text.Append(Encoding.UTF8.GetString(buffer, from, start - from)).Append(Mask);
                from = stop;
            }

            return text.Append(Encoding.UTF8.GetString(buffer, from, end - from)).ToString();
        }

        private static string LowerCaseHex(string percentEncoded)
        {
            var chars = percentEncoded.ToCharArray();
            for (var i = 0; i + 2 < chars.Length; i++)
            {
                if (chars[i] == '%')
                {
                    chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
                    chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
                }
            }

            return new string(chars);
        }

        private static string Replace(string text, string value)
        {
            // Ordinal and case-sensitive: a secret is bytes, not words (string.Replace with a comparison is not in netstandard2.0).
            var at = text.IndexOf(value, StringComparison.Ordinal);
            if (at < 0)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length);
            var from = 0;
            while (at >= 0)
            {
                builder.Append(text, from, at - from).Append(Mask);
                from = at + value.Length;
                at = text.IndexOf(value, from, StringComparison.Ordinal);
            }

            return builder.Append(text, from, text.Length - from).ToString();
        }
    }
}
