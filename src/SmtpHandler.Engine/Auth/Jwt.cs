using System;
using System.Text;

namespace SmtpHandler
{
    /// <summary>Base64url (RFC 4648 section 5) and the one JWT claim the engine reads.</summary>
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
        public static DateTimeOffset? ReadExpiry(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3)
            {
                return null;
            }

            try
            {
                var payload = JsonReader.TryParseObject(Encoding.UTF8.GetString(FromBase64Url(parts[1])));
                var exp = payload?.GetNumber("exp");
                return exp is double seconds && seconds > 0 && seconds < 253402300799
                    ? DateTimeOffset.FromUnixTimeSeconds((long)seconds)
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
