using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using MimeKit.Text;

namespace SmtpHandler
{
    /// <summary>
    /// Derives the plain-text alternative of an HTML-only body (-BodyAsHtml): tables as rows of aligned or
    /// " | "-separated cells (ConvertTo-Html's output is mostly tables), lists as lines, headings and paragraphs
    /// apart with blank lines, entities decoded, script, style and head dropped. One pass of MimeKit's tokenizer and
    /// no regular expressions: the work is linear in the HTML's size.
    /// </summary>
    internal static class HtmlText
    {
        // Tables and lists nested deeper than this are flattened: each level would copy or indent all text below it again.
        private const int MaxDepth = 8;

        private static readonly HashSet<string> Paragraphs = new(StringComparer.OrdinalIgnoreCase)
        {
            "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote", "pre", "hr", "address", "figure", "fieldset", "form", "section", "article", "header", "footer", "nav", "aside", "main",
        };

        private static readonly HashSet<string> Lines = new(StringComparer.OrdinalIgnoreCase) { "div", "caption", "dt", "dd", "center", "tbody", "thead", "tfoot" };

        // Not "head": its end tag is optional, and hiding until </head> hid a whole body that followed an unclosed head.
        private static readonly HashSet<string> Hidden = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "title", "template", "noscript" };

        public static string ToPlainText(string html)
        {
            var output = new HtmlTextWriter();
            var tokenizer = new HtmlTokenizer(new StringReader(html));
            var hidden = 0;
            var preformatted = 0;
            var lists = new Stack<int>(); // per open list: 0 for bullets, else the next number
            var tables = new Stack<HtmlTable>();
            var flattened = 0; // tables deeper than MaxDepth, whose cells join the table around them
            string? link = null;
            var linkText = new StringBuilder();
            while (tokenizer.ReadNextToken(out var token))
            {
                if (token is HtmlTagToken tag)
                {
                    var name = tag.Name;
                    if (name.Equals("body", StringComparison.OrdinalIgnoreCase) && !tag.IsEndTag)
                    {
                        hidden = 0; // <body> ends the head, and anything hidden left open in it
                        continue;
                    }

                    if (Hidden.Contains(name))
                    {
                        hidden = Math.Max(0, hidden + (tag.IsEndTag ? -1 : tag.IsEmptyElement ? 0 : 1));
                        continue;
                    }

                    if (hidden > 0)
                    {
                        continue;
                    }

                    var table = tables.Count > 0 ? tables.Peek() : null;
                    switch (name.ToLowerInvariant())
                    {
                        case "table":
                            if (tag.IsEndTag)
                            {
                                if (flattened > 0)
                                {
                                    flattened--;
                                }
                                else if (tables.Count > 0)
                                {
                                    var done = tables.Pop();
                                    if (tables.Count > 0)
                                    {
                                        tables.Peek().Text(done.ToInlineText()); // a table in a cell: its cells in a line
                                    }
                                    else
                                    {
                                        output.Paragraph();
                                        output.Block(done.Render());
                                        output.Paragraph();
                                    }
                                }
                            }
                            else if (!tag.IsEmptyElement && tables.Count < MaxDepth)
                            {
                                tables.Push(new HtmlTable());
                            }
                            else if (!tag.IsEmptyElement)
                            {
                                flattened++;
                            }

                            continue;
                        case "tr":
                            if (table != null && !tag.IsEndTag)
                            {
                                table.Row();
                            }

                            continue;
                        case "td":
                        case "th":
                            if (table != null && !tag.IsEndTag)
                            {
                                table.Cell(header: name.Equals("th", StringComparison.OrdinalIgnoreCase));
                            }

                            continue;
                        case "br":
                            if (table != null)
                            {
                                table.Text(" ");
                            }
                            else
                            {
                                output.LineBreak();
                            }

                            continue;
                        case "pre":
                            preformatted = Math.Max(0, preformatted + (tag.IsEndTag ? -1 : 1));
                            break;
                        case "ul":
                        case "ol":
                            if (tag.IsEndTag)
                            {
                                if (lists.Count > 0)
                                {
                                    lists.Pop();
                                }
                            }
                            else
                            {
                                lists.Push(name.Equals("ol", StringComparison.OrdinalIgnoreCase) ? 1 : 0);
                            }

                            output.Indent = Math.Min(lists.Count, MaxDepth) * 2;
                            if (lists.Count > 1)
                            {
                                output.Line();
                                continue;
                            }

                            break;
                        case "li":
                            if (!tag.IsEndTag && table != null)
                            {
                                table.Item(); // a list in a cell: its items in one line, comma-separated
                            }
                            else if (!tag.IsEndTag)
                            {
                                output.Line();
                                var number = lists.Count > 0 ? lists.Pop() : 0;
                                output.Text(number > 0 ? $"{number}. " : "- ", raw: true);
                                lists.Push(number > 0 ? number + 1 : 0);
                            }

                            continue;
                        case "a":
                            if (!tag.IsEndTag)
                            {
                                link = Href(tag);
                                linkText.Clear();
                            }
                            else if (link != null)
                            {
                                // The address after the words that point to it, unless the words are the address.
                                if (linkText.ToString().Trim() != link)
                                {
                                    Emit(output, table, $" <{link}>", preformatted > 0);
                                }

                                link = null;
                            }

                            continue;
                        case "img":
                            foreach (var attribute in tag.Attributes)
                            {
                                if (attribute.Name.Equals("alt", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(attribute.Value))
                                {
                                    Emit(output, table, $"[{attribute.Value!.Trim()}]", preformatted > 0);
                                }
                            }

                            continue;
                    }

                    if (table != null)
                    {
                        if (Paragraphs.Contains(name) || Lines.Contains(name))
                        {
                            table.Text(" ");
                        }
                    }
                    else if (Paragraphs.Contains(name))
                    {
                        output.Paragraph();
                        if (name.Equals("hr", StringComparison.OrdinalIgnoreCase))
                        {
                            output.Text("----------", raw: true);
                            output.Paragraph();
                        }
                    }
                    else if (Lines.Contains(name))
                    {
                        output.Line();
                    }
                }
                else if (hidden == 0 && (token.Kind == HtmlTokenKind.Data || token.Kind == HtmlTokenKind.CData) && token is HtmlDataToken data)
                {
                    if (link != null)
                    {
                        linkText.Append(data.Data);
                    }

                    Emit(output, tables.Count > 0 ? tables.Peek() : null, data.Data, preformatted > 0);
                }
            }

            if (tables.Count > 0)
            {
                // A table never closed still shows what it has.
                while (tables.Count > 1)
                {
                    var inner = tables.Pop();
                    tables.Peek().Text(inner.ToInlineText());
                }

                output.Paragraph();
                output.Block(tables.Pop().Render());
            }

            return output.ToString();
        }

        private static void Emit(HtmlTextWriter output, HtmlTable? table, string text, bool preformatted)
        {
            if (table != null)
            {
                table.Text(text);
            }
            else
            {
                output.Text(text, raw: preformatted);
            }
        }

        private static string? Href(HtmlTagToken tag)
        {
            foreach (var attribute in tag.Attributes)
            {
                if (attribute.Name.Equals("href", StringComparison.OrdinalIgnoreCase))
                {
                    var href = attribute.Value?.Trim();
                    return string.IsNullOrEmpty(href) || href!.StartsWith("#", StringComparison.Ordinal) || href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase) ? null : href;
                }
            }

            return null;
        }
    }
}
