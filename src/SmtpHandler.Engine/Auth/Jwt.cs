using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler
{
    /// <summary>Base64url (RFC 4648 section 5) and the claims of a JWT the engine reads (never its signature).</summary>
    internal static class Jwt
    {
        public static string Base64Url(byte[] bytes) =>
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static byte[] FromBase64Url(string text)
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
        }

        /// <summary>The <c>exp</c> claim of a JWT; null for an opaque token (Google's, for example).</summary>
        public static DateTimeOffset? ReadExpiry(string token) => ReadPayload(token) is { } payload ? ReadTime(payload, "exp") : null;

        /// <summary>
        /// The claims (the middle part) of a JWT as a JSON object; null when the token is not a JWT: not three
        /// dot-separated parts, not base64url, or not a JSON object. The signature is not checked: the server does that.
        /// </summary>
        public static IReadOnlyDictionary<string, object?>? ReadPayload(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3 || parts[1].Length == 0)
            {
                return null;
            }

            try
            {
                return JsonReader.TryParseObject(Encoding.UTF8.GetString(FromBase64Url(parts[1])));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        /// <summary>A NumericDate claim (seconds since 1970, RFC 7519 section 2); null when absent or out of range.</summary>
        public static DateTimeOffset? ReadTime(IReadOnlyDictionary<string, object?> payload, string name) =>
            payload.GetNumber(name) is double seconds && seconds > 0 && seconds < 253402300799
                ? DateTimeOffset.FromUnixTimeSeconds((long)seconds)
                : null;
    }
}
