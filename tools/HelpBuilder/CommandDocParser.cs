using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HelpBuilder
{
    /// <summary>Reads a platyPS-format cmdlet page with Markdig's syntax tree, section by section.</summary>
    internal static class CommandDocParser
    {
        public static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

        public static CommandDoc Parse(string path)
        {
            var document = Markdown.Parse(File.ReadAllText(path), Pipeline);
            var doc = new CommandDoc();
            string section = string.Empty;
            ExampleDoc? example = null;
            ParameterDoc? parameter = null;
            TypeDoc? type = null;
            foreach (var block in document)
            {
                switch (block)
                {
                    case YamlFrontMatterBlock front:
                        foreach (var line in front.Lines.ToString().Split('\n'))
                        {
                            var colon = line.IndexOf(':');
                            if (colon > 0 && line.Substring(0, colon).Trim() == "online version")
                            {
                                var uri = line.Substring(colon + 1).Trim();
                                doc.OnlineVersion = uri.Length > 0 ? uri : null;
                            }
                        }

                        continue;
                    case HeadingBlock { Level: 1 } h1:
                        doc.Name = Text(h1);
                        continue;
                    case HeadingBlock { Level: 2 } h2:
                        section = Text(h2).ToUpperInvariant();
                        example = null;
                        parameter = null;
                        type = null;
                        continue;
                    case HeadingBlock { Level: 3 } h3:
                        var title = Text(h3);
                        switch (section)
                        {
                            case "SYNTAX":
                                var isDefault = title.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase);
                                var set = isDefault ? title.Substring(0, title.Length - "(Default)".Length).Trim() : title;
                                doc.ParameterSets.Add(set);
                                if (isDefault)
                                {
                                    doc.DefaultParameterSet = set;
                                }

                                break;
                            case "EXAMPLES":
                                example = new ExampleDoc { Title = title };
                                doc.Examples.Add(example);
                                break;
                            case "PARAMETERS":
                                parameter = title.StartsWith("-", StringComparison.Ordinal) ? new ParameterDoc { Name = title.Substring(1) } : null;
                                if (parameter != null)
                                {
                                    doc.Parameters.Add(parameter);
                                }

                                break;
                            case "INPUTS":
                                type = new TypeDoc { Name = title };
                                doc.Inputs.Add(type);
                                break;
                            case "OUTPUTS":
                                type = new TypeDoc { Name = title };
                                doc.Outputs.Add(type);
                                break;
                        }

                        continue;
                }

                switch (section)
                {
                    case "SYNOPSIS":
                        doc.Synopsis.AddRange(Paragraphs(block));
                        break;
                    case "DESCRIPTION":
                        doc.Description.AddRange(Paragraphs(block));
                        break;
                    case "EXAMPLES" when example != null:
                        if (block is FencedCodeBlock code)
                        {
                            example.Code.Add(code.Lines.ToString().TrimEnd());
                        }
                        else
                        {
                            example.Remarks.AddRange(Paragraphs(block));
                        }

                        break;
                    case "PARAMETERS" when parameter != null:
                        if (block is FencedCodeBlock yaml && string.Equals(yaml.Info, "yaml", StringComparison.OrdinalIgnoreCase))
                        {
                            parameter.Sets.Add(ParseYaml(yaml.Lines.ToString(), doc.Name, parameter.Name));
                        }
                        else
                        {
                            parameter.Description.AddRange(Paragraphs(block));
                        }

                        break;
                    case "INPUTS" when type != null:
                    case "OUTPUTS" when type != null:
                        type!.Description.AddRange(Paragraphs(block));
                        break;
                    case "NOTES":
                        doc.Notes.AddRange(Paragraphs(block));
                        break;
                    case "RELATED LINKS":
                        foreach (var link in Links(block))
                        {
                            // The link's own text: InlineText would add "(url)" after it.
                            doc.Links.Add((string.Concat(link.Select(InlineText)).Trim(), link.Url ?? string.Empty));
                        }

                        break;
                }
            }

            if (doc.Name.Length == 0)
            {
                throw new InvalidDataException($"{path}: no '# Cmdlet-Name' heading.");
            }

            foreach (var p in doc.Parameters.Where(p => p.Sets.Count == 0))
            {
                throw new InvalidDataException($"{path}: -{p.Name} has no yaml block; run build.ps1 -Task UpdateDocs to write it.");
            }

            return doc;
        }

        /// <summary>The paragraphs of a block as plain text: list items become "- item" paragraphs, code stays verbatim.</summary>
        public static IEnumerable<string> Paragraphs(Block block)
        {
            switch (block)
            {
                case ParagraphBlock paragraph:
                    yield return InlineText(paragraph.Inline);
                    break;
                case ListBlock list:
                    var number = 1;
                    foreach (var item in list.OfType<ListItemBlock>())
                    {
                        var text = string.Join(" ", item.SelectMany(Paragraphs));
                        yield return list.IsOrdered ? $"{number++}. {text}" : $"- {text}";
                    }

                    break;
                case CodeBlock code:
                    yield return code.Lines.ToString().TrimEnd();
                    break;
                case QuoteBlock quote:
                    foreach (var inner in quote.SelectMany(Paragraphs))
                    {
                        yield return inner;
                    }

                    break;
                case Markdig.Extensions.Tables.Table:
                case ThematicBreakBlock:
                    break;
                case HeadingBlock heading:
                    yield return Text(heading);
                    break;
            }
        }

        /// <summary>Every link in a block: in its paragraphs, or in the paragraphs of its list items.</summary>
        private static IEnumerable<LinkInline> Links(Block block)
        {
            switch (block)
            {
                case LeafBlock { Inline: not null } leaf:
                    return Links(leaf.Inline);
                case ContainerBlock container:
                    return container.SelectMany(Links);
                default:
                    return Enumerable.Empty<LinkInline>();
            }
        }

        private static IEnumerable<LinkInline> Links(ContainerInline container)
        {
            foreach (var inline in container)
            {
                if (inline is LinkInline { IsImage: false } link)
                {
                    yield return link;
                }
                else if (inline is ContainerInline inner)
                {
                    foreach (var nested in Links(inner))
                    {
                        yield return nested;
                    }
                }
            }
        }

        public static string Text(HeadingBlock heading) => InlineText(heading.Inline).Trim();

        public static string InlineText(Inline? inline)
        {
            var text = new StringBuilder();
            Append(text, inline);
            return text.ToString();
        }

        private static void Append(StringBuilder text, Inline? inline)
        {
            switch (inline)
            {
                case null:
                    return;
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
                case AutolinkInline auto:
                    text.Append(auto.Url);
                    break;
                case HtmlEntityInline entity:
                    text.Append(entity.Transcoded.ToString());
                    break;
                case ContainerInline container:
                    foreach (var child in container)
                    {
                        Append(text, child);
                    }

                    if (container is LinkInline { IsImage: false } link && !string.IsNullOrEmpty(link.Url) && link.Url != text.ToString())
                    {
                        text.Append(" (").Append(link.Url).Append(')');
                    }

                    break;
                default:
                    text.Append(inline.ToString());
                    break;
            }
        }

        private static ParameterSetDoc ParseYaml(string yaml, string command, string parameter)
        {
            var set = new ParameterSetDoc();
            foreach (var raw in yaml.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }

                var key = line.Substring(0, colon).Trim();
                var value = line.Substring(colon + 1).Trim();
                switch (key)
                {
                    case "Type":
                        set.Type = value;
                        break;
                    case "Parameter Sets":
                        set.ParameterSets.AddRange(SplitList(value));
                        break;
                    case "Aliases":
                        set.Aliases.AddRange(SplitList(value));
                        break;
                    case "Required":
                        set.Required = bool.Parse(value);
                        break;
                    case "Position":
                        set.Position = value;
                        break;
                    case "Default value":
                        set.DefaultValue = value;
                        break;
                    case "Accept pipeline input":
                        set.PipelineInput = value;
                        break;
                    case "Accept wildcard characters":
                        set.Wildcards = bool.Parse(value);
                        break;
                    default:
                        throw new InvalidDataException($"{command} -{parameter}: unknown yaml key '{key}'.");
                }
            }

            if (set.Type.Length == 0 || set.ParameterSets.Count == 0)
            {
                throw new InvalidDataException($"{command} -{parameter}: the yaml block needs Type and Parameter Sets.");
            }

            return set;
        }

        private static IEnumerable<string> SplitList(string value) =>
            value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0);
    }
}
