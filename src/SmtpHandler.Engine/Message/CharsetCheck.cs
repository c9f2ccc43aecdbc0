using System;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// Refuses, before connecting, a body that the chosen -Encoding cannot hold: an encoder would write "?" in
    /// place of each such character ("Grüße" in us-ascii became "Gr??e"). Headers are not checked: they are
    /// always written as UTF-8 encoded-words (RFC 2047) and RFC 2231 parameters, which hold every character.
    /// </summary>
    internal static class CharsetCheck
    {
        // Offered in this order when the chosen charset falls short; UTF-8 holds everything.
        private static readonly int[] Candidates = { 28591, 1252, 28605, 28592, 1251, 1253, 932, 936, 949 };

        /// <summary>Throws UnencodableCharacter naming the first character of <paramref name="text"/> that <paramref name="encoding"/> can't hold.</summary>
        public static void Require(Encoding encoding, string? text, string part)
        {
            var index = FirstUnencodable(encoding, text);
            if (index < 0)
            {
                return;
            }

            if (char.IsLowSurrogate(text![index]) && index > 0 && char.IsHighSurrogate(text[index - 1]))
            {
                index--;
            }

            // A lone surrogate has no code point of its own: it is named by its UTF-16 value.
            var pair = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]);
            var character = pair ? char.ConvertToUtf32(text, index) : text[index];
            var shown = pair ? text.Substring(index, 2) : text[index].ToString();
            var suggestion = Suggest(text);
            throw new SmtpHandlerException(
                "UnencodableCharacter",
                SmtpFailureKind.InvalidArgument,
                $"The {part} has '{shown}' (U+{character:X4}, at position {index + 1}), which the encoding {encoding.WebName} can't hold: it would be sent as '?'. Give -Encoding {suggestion}, which holds the whole {part}, or leave -Encoding out (UTF-8).",
                shown) { ParameterName = "Encoding" };
        }

        /// <summary>Whether <paramref name="encoding"/> holds every character of <paramref name="text"/>.</summary>
        public static bool Holds(Encoding encoding, string? text) => FirstUnencodable(encoding, text) < 0;

        /// <summary>The index of the first character the encoding can't hold, or -1. Linear: one pass of the encoder.</summary>
        internal static int FirstUnencodable(Encoding encoding, string? text)
        {
            if (string.IsNullOrEmpty(text) || encoding is UTF8Encoding || encoding is UnicodeEncoding || encoding is UTF32Encoding || encoding.CodePage == 65001)
            {
                return -1;
            }

            var strict = (Encoding)encoding.Clone();
            strict.EncoderFallback = EncoderFallback.ExceptionFallback;
            try
            {
                strict.GetByteCount(text);
                return -1;
            }
            catch (EncoderFallbackException ex)
            {
                return ex.Index >= 0 && ex.Index < text!.Length ? ex.Index : 0;
            }
        }

        private static string Suggest(string text)
        {
            foreach (var codePage in Candidates)
            {
                Encoding candidate;
                try
                {
                    candidate = Encoding.GetEncoding(codePage);
                }
                catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException)
                {
                    continue; // not on this platform (code pages need a provider on .NET Core)
                }

                if (FirstUnencodable(candidate, text) < 0)
                {
                    return candidate.WebName.ToLower(CultureInfo.InvariantCulture);
                }
            }

            return "utf-8";
        }
    }
}
