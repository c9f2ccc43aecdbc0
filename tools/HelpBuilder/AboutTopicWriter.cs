using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;

namespace HelpBuilder
{
    /// <summary>Turns docs/about_*.md into the plain-text about_*.help.txt that Get-Help shows.</summary>
    internal static class AboutTopicWriter
    {
        private const int Width = 80;

        // Pipe tables too: an about topic may hold one, which becomes an indented list of rows.
        private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().UsePipeTables().Build();

        public static string Write(string markdownPath)
        {
            var document = Markdown.Parse(File.ReadAllText(markdownPath), Pipeline);
            var text = new StringBuilder();
            foreach (var block in document)
            {
                switch (block)
                {
                    case HeadingBlock { Level: 1 } h1:
                        text.Append("TOPIC\n    ").Append(CommandDocParser.Text(h1)).Append("\n\n");
                        break;
                    case HeadingBlock heading:
                        var title = CommandDocParser.Text(heading);
                        text.Append(heading.Level == 2 ? title.ToUpperInvariant() : "  " + title).Append('\n');
                        break;
                    case FencedCodeBlock code:
                        foreach (var line in code.Lines.ToString().TrimEnd().Split('\n'))
                        {
                            text.Append("        ").Append(line.TrimEnd('\r')).Append('\n');
                        }

                        text.Append('\n');
                        break;
                    case Table table:
                        // Plain text has no columns: each row is its first cell, then the others indented below it.
                        foreach (var row in table.OfType<TableRow>().Where(r => !r.IsHeader))
                        {
                            var cells = row.OfType<TableCell>().Select(c => string.Join(" ", c.SelectMany(CommandDocParser.Paragraphs))).ToList();
                            Wrap(text, cells[0], "    ");
                            if (cells.Count > 1)
                            {
                                Wrap(text, string.Join(" ", cells.Skip(1)), "        ");
                            }
                        }

                        text.Append('\n');
                        break;
                    default:
                        foreach (var paragraph in CommandDocParser.Paragraphs(block))
                        {
                            Wrap(text, paragraph, paragraph.StartsWith("- ", StringComparison.Ordinal) ? "    " : "    ", paragraph.StartsWith("- ", StringComparison.Ordinal) ? "      " : "    ");
                        }

                        text.Append('\n');
                        break;
                }
            }

            return text.ToString();
        }

        private static void Wrap(StringBuilder text, string paragraph, string indent, string? hangingIndent = null)
        {
            var line = new StringBuilder(indent);
            var lineHasWord = false;
            foreach (var word in paragraph.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (lineHasWord && line.Length + 1 + word.Length > Width)
                {
                    text.Append(line.ToString().TrimEnd()).Append('\n');
                    line.Clear().Append(hangingIndent ?? indent);
                    lineHasWord = false;
                }

                if (lineHasWord)
                {
                    line.Append(' ');
                }

                line.Append(word);
                lineHasWord = true;
            }

            if (lineHasWord)
            {
                text.Append(line.ToString().TrimEnd()).Append('\n');
            }
        }
    }
}
