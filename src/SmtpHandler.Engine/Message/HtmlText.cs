using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using MimeKit.Text;

namespace SmtpHandler
{
    /// <summary>Derives the plain-text alternative of an HTML-only body, using MimeKit's HTML tokenizer.</summary>
    internal static class HtmlText
    {
        private static readonly HashSet<string> BlockTags = new(StringComparer.OrdinalIgnoreCase)
        {
            "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr",
        };

        private static readonly HashSet<string> HiddenTags = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "head", "title" };

        public static string ToPlainText(string html)
        {
            var text = new StringBuilder(html.Length / 2);
            var tokenizer = new HtmlTokenizer(new StringReader(html));
            var hiddenDepth = 0;
            while (tokenizer.ReadNextToken(out var token))
            {
                switch (token)
                {
                    case HtmlTagToken tag when HiddenTags.Contains(tag.Name):
                        hiddenDepth = Math.Max(0, hiddenDepth + (tag.IsEndTag ? -1 : tag.IsEmptyElement ? 0 : 1));
                        break;
                    case HtmlTagToken tag when BlockTags.Contains(tag.Name):
                        if (text.Length > 0 && text[text.Length - 1] != '\n')
                        {
                            text.Append('\n');
                        }

                        break;
                    case HtmlDataToken data when hiddenDepth == 0:
                        AppendCollapsed(text, data.Data);
                        break;
                }
            }

            return text.ToString().Trim();
        }

        private static void AppendCollapsed(StringBuilder text, string data)
        {
            foreach (var c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    if (text.Length > 0 && !char.IsWhiteSpace(text[text.Length - 1]))
                    {
                        text.Append(' ');
                    }
                }
                else
                {
                    text.Append(c);
                }
            }
        }
    }
}
