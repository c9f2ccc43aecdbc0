using System.Linq;
using System.Text;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// Writes an attachment's file name into Content-Disposition (filename) and Content-Type (name) as RFC 2231
    /// continuations itself when the name is not short ASCII: MimeKit 4.18 may cut a character outside the BMP (an
    /// emoji) between two continuations and writes each half as U+FFFD, so the name arrives changed. Here each
    /// continuation holds whole characters and each line stays within 78 characters.
    /// </summary>
    internal static class FileNameParameter
    {
        private const string Charset = "utf-8''";
        private static readonly UTF8Encoding Utf8 = new(false);

        public static void Apply(MimePart part, string fileName)
        {
            if (fileName.All(c => c >= 32 && c < 127 && c != '"' && c != '\\') && fileName.Length <= 40)
            {
                return; // MimeKit writes it as a plain quoted string
            }

            Set(part, HeaderId.ContentDisposition, part.ContentDisposition?.Disposition ?? ContentDisposition.Attachment, "filename", fileName);
            Set(part, HeaderId.ContentType, part.ContentType.MimeType, "name", fileName);
        }

        private static void Set(MimePart part, HeaderId id, string value, string attribute, string fileName)
        {
            var header = part.Headers.FirstOrDefault(h => h.Id == id);
            header?.SetRawValue(Encoding.ASCII.GetBytes(Continuations(value, attribute, fileName)));
        }

        /// <summary>" value;\n\tattribute*0*=utf-8''...;\n\tattribute*1*=...\n": each line at most 78 characters.</summary>
        internal static string Continuations(string value, string attribute, string fileName)
        {
            var raw = new StringBuilder(" ").Append(value);
            var segment = new StringBuilder();
            var number = 0;
            var buffer = new byte[4];
            var i = 0;
            while (i < fileName.Length)
            {
                var count = char.IsHighSurrogate(fileName[i]) && i + 1 < fileName.Length && char.IsLowSurrogate(fileName[i + 1]) ? 2 : 1;
                var n = Utf8.GetBytes(fileName, i, count, buffer, 0);
                var encoded = new StringBuilder();
                for (var k = 0; k < n; k++)
                {
                    encoded.Append(IsAttributeChar(buffer[k]) ? ((char)buffer[k]).ToString() : "%" + buffer[k].ToString("X2"));
                }

                // "\t" + attribute*N*= + (utf-8'' on the first) + the segment + ";"
                var overhead = 1 + attribute.Length + 3 + number.ToString().Length + (number == 0 ? Charset.Length : 0) + 1;
                if (segment.Length > 0 && overhead + segment.Length + encoded.Length > HeaderWriter.FoldAt)
                {
                    Flush(raw, attribute, number++, segment);
                }

                segment.Append(encoded);
                i += count;
            }

            Flush(raw, attribute, number, segment);
            return raw.Append('\n').ToString();
        }

        private static void Flush(StringBuilder raw, string attribute, int number, StringBuilder segment)
        {
            raw.Append(";\n\t").Append(attribute).Append('*').Append(number).Append("*=");
            if (number == 0)
            {
                raw.Append(Charset);
            }

            raw.Append(segment);
            segment.Clear();
        }

        // RFC 2231 7: attribute-char is any ASCII printable but space, "*", "'", "%" and the tspecials of RFC 2045.
        private static bool IsAttributeChar(byte b) =>
            b > 32 && b < 127 && "*'%()<>@,;:\\\"/[]?=".IndexOf((char)b) < 0;
    }
}
