using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// Reads the small JSON documents of OAuth (token responses, JWT payloads) into dictionaries, lists,
    /// strings, doubles, booleans and nulls, so the engine needs no JSON library on .NET Framework.
    /// </summary>
    internal static class JsonReader
    {
        /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> when it is not JSON.</summary>
        public static object? Parse(string text)
        {
            var index = 0;
            var value = ReadValue(text, ref index, 0);
            SkipWhitespace(text, ref index);
            if (index != text.Length)
            {
                throw new FormatException($"Unexpected text after the JSON value at position {index}.");
            }

            return value;
        }

        /// <summary>The document as an object, or null when it is not JSON or not an object.</summary>
        public static IReadOnlyDictionary<string, object?>? TryParseObject(string text)
        {
            try
            {
                return Parse(text) as Dictionary<string, object?>;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        public static string? GetString(this IReadOnlyDictionary<string, object?> json, string name) =>
            json.TryGetValue(name, out var value) ? value switch
            {
                string s => s,
                double d => d.ToString(CultureInfo.InvariantCulture),
                _ => null,
            } : null;

        public static double? GetNumber(this IReadOnlyDictionary<string, object?> json, string name) =>
            json.TryGetValue(name, out var value) ? value switch
            {
                double d => d,

                // Some endpoints send numbers as strings ("expires_in": "3599").
                string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                _ => null,
            } : null;

        private static object? ReadValue(string text, ref int index, int depth)
        {
            if (depth > 64)
            {
                throw new FormatException("JSON nested too deeply.");
            }

            SkipWhitespace(text, ref index);
            if (index >= text.Length)
            {
                throw new FormatException("Unexpected end of JSON.");
            }

            switch (text[index])
            {
                case '{':
                    return ReadObject(text, ref index, depth);
                case '[':
                    return ReadArray(text, ref index, depth);
                case '"':
                    return ReadString(text, ref index);
                case 't':
                    return ReadLiteral(text, ref index, "true", true);
                case 'f':
                    return ReadLiteral(text, ref index, "false", false);
                case 'n':
                    return ReadLiteral(text, ref index, "null", null);
                default:
                    return ReadNumber(text, ref index);
            }
        }

        private static Dictionary<string, object?> ReadObject(string text, ref int index, int depth)
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            index++;
            SkipWhitespace(text, ref index);
            if (Peek(text, index) == '}')
            {
                index++;
                return result;
            }

            while (true)
            {
                SkipWhitespace(text, ref index);
                if (Peek(text, index) != '"')
                {
                    throw new FormatException($"Expected a property name at position {index}.");
                }

                var name = ReadString(text, ref index);
                SkipWhitespace(text, ref index);
                Expect(text, ref index, ':');
                result[name] = ReadValue(text, ref index, depth + 1);
                SkipWhitespace(text, ref index);
                if (Peek(text, index) == ',')
                {
                    index++;
                    continue;
                }

                Expect(text, ref index, '}');
                return result;
            }
        }

        private static List<object?> ReadArray(string text, ref int index, int depth)
        {
            var result = new List<object?>();
            index++;
            SkipWhitespace(text, ref index);
            if (Peek(text, index) == ']')
            {
                index++;
                return result;
            }

            while (true)
            {
                result.Add(ReadValue(text, ref index, depth + 1));
                SkipWhitespace(text, ref index);
                if (Peek(text, index) == ',')
                {
                    index++;
                    continue;
                }

                Expect(text, ref index, ']');
                return result;
            }
        }

        private static string ReadString(string text, ref int index)
        {
            index++;
            var builder = new StringBuilder();
            while (index < text.Length)
            {
                var c = text[index++];
                if (c == '"')
                {
                    return builder.ToString();
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                if (index >= text.Length)
                {
                    break;
                }

                var escape = text[index++];
                switch (escape)
                {
                    case '"':
                    case '\\':
                    case '/':
                        builder.Append(escape);
                        break;
                    case 'b':
                        builder.Append('\b');
                        break;
                    case 'f':
                        builder.Append('\f');
                        break;
                    case 'n':
                        builder.Append('\n');
                        break;
                    case 'r':
                        builder.Append('\r');
                        break;
                    case 't':
                        builder.Append('\t');
                        break;
                    case 'u' when index + 4 <= text.Length &&
                                  int.TryParse(text.Substring(index, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                        builder.Append((char)code);
                        index += 4;
                        break;
                    default:
                        throw new FormatException($"Invalid escape in a JSON string at position {index - 1}.");
                }
            }

            throw new FormatException("Unterminated JSON string.");
        }

        private static object? ReadLiteral(string text, ref int index, string literal, object? value)
        {
            if (string.CompareOrdinal(text, index, literal, 0, literal.Length) != 0)
            {
                throw new FormatException($"Unexpected text at position {index}.");
            }

            index += literal.Length;
            return value;
        }

        private static double ReadNumber(string text, ref int index)
        {
            var start = index;
            while (index < text.Length && "+-0123456789.eE".IndexOf(text[index]) >= 0)
            {
                index++;
            }

            if (index == start || !double.TryParse(text.Substring(start, index - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"Unexpected text at position {start}.");
            }

            return number;
        }

        private static void SkipWhitespace(string text, ref int index)
        {
            while (index < text.Length && (text[index] == ' ' || text[index] == '\t' || text[index] == '\r' || text[index] == '\n'))
            {
                index++;
            }
        }

        private static char Peek(string text, int index) => index < text.Length ? text[index] : '\0';

        private static void Expect(string text, ref int index, char c)
        {
            if (Peek(text, index) != c)
            {
                throw new FormatException($"Expected '{c}' at position {index}.");
            }

            index++;
        }
    }
}
