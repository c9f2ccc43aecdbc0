using System.Text;

namespace SmtpHandler
{
    /// <summary>JSON string literals (the state file, a client assertion): quotes, backslashes and control characters escaped.</summary>
    internal static class JsonText
    {
        public static StringBuilder AppendQuoted(this StringBuilder builder, string value)
        {
            builder.Append('"');
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"':
                        builder.Append("\\\"");
                        break;
                    case '\\':
                        builder.Append("\\\\");
                        break;
                    default:
                        // Control characters (a server's reply could carry them) and the line separators that would
                        // break a line-by-line reader are escaped.
                        if (c < ' ' || c == '\u2028' || c == '\u2029' || c == '\u007f')
                        {
                            builder.Append("\\u").Append(((int)c).ToString("x4"));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            return builder.Append('"');
        }
    }
}
