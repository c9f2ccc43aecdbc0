using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace HelpBuilder
{
    /// <summary>Writes the MAML XML that Get-Help reads for binary cmdlets.</summary>
    internal static class MamlWriter
    {
        private static readonly XNamespace Msh = "http://msh";
        private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        public static XDocument Write(IEnumerable<CommandDoc> commands) =>
            new(
                new XDeclaration("1.0", "utf-8", null),
                new XElement(
                    Msh + "helpItems",
                    new XAttribute("schema", "maml"),
                    commands.Select(WriteCommand)));

        private static XElement WriteCommand(CommandDoc doc)
        {
            var dash = doc.Name.IndexOf('-');
            return new XElement(
                Command + "command",
                new XAttribute(XNamespace.Xmlns + "maml", Maml),
                new XAttribute(XNamespace.Xmlns + "command", Command),
                new XAttribute(XNamespace.Xmlns + "dev", Dev),
                new XElement(
                    Command + "details",
                    new XElement(Command + "name", doc.Name),
                    new XElement(Command + "verb", doc.Name.Substring(0, dash)),
                    new XElement(Command + "noun", doc.Name.Substring(dash + 1)),
                    Description(doc.Synopsis)),
                Description(doc.Description),
                new XElement(Command + "syntax", SyntaxSets(doc).Select(set => SyntaxItem(doc, set))),
                new XElement(Command + "parameters", doc.Parameters.Select(p => Parameter(p, p.Sets[0]))),
                new XElement(Command + "inputTypes", doc.Inputs.Select(t => new XElement(Command + "inputType", TypeElement(t), Description(t.Description)))),
                new XElement(Command + "returnValues", doc.Outputs.Select(t => new XElement(Command + "returnValue", TypeElement(t), Description(t.Description)))),
                new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(doc.Notes))),
                new XElement(Command + "examples", doc.Examples.Select(Example)),
                new XElement(Command + "relatedLinks", RelatedLinks(doc)));
        }

        private static IEnumerable<XElement> RelatedLinks(CommandDoc doc)
        {
            // Get-Help -Online opens the first link with a URI: the page's online version, as platyPS does.
            var links = new List<(string Text, string Uri)>();
            if (doc.OnlineVersion != null)
            {
                links.Add(("Online Version:", doc.OnlineVersion));
            }

            // A link to another page of docs/ (Send-SmtpMessage.md) means nothing in the shell: the name stays.
            links.AddRange(doc.Links.Select(l => (l.Text, IsWebAddress(l.Uri) ? l.Uri : string.Empty)));
            return links.Select(l => new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", l.Text), new XElement(Maml + "uri", l.Uri)));
        }

        private static bool IsWebAddress(string uri) =>
            uri.StartsWith("https://", System.StringComparison.OrdinalIgnoreCase) || uri.StartsWith("http://", System.StringComparison.OrdinalIgnoreCase);

        private static IEnumerable<string> SyntaxSets(CommandDoc doc)
        {
            // The default set first, as Get-Help shows it.
            var sets = doc.ParameterSets.Count > 0 ? doc.ParameterSets : new List<string> { "__AllParameterSets" };
            return doc.DefaultParameterSet == null ? sets : sets.OrderBy(s => s == doc.DefaultParameterSet ? 0 : 1);
        }

        private static XElement SyntaxItem(CommandDoc doc, string set)
        {
            var parameters = doc.Parameters
                .Select(p => (Parameter: p, Set: p.Sets.FirstOrDefault(s => s.AppliesTo(set) || set == "__AllParameterSets")))
                .Where(x => x.Set != null)
                .OrderBy(x => int.TryParse(x.Set!.Position, out var position) ? position : int.MaxValue)
                .Select(x => Parameter(x.Parameter, x.Set!));
            return new XElement(Command + "syntaxItem", new XElement(Maml + "name", doc.Name), parameters);
        }

        private static XElement Parameter(ParameterDoc parameter, ParameterSetDoc set)
        {
            var isSwitch = set.Type == "SwitchParameter";
            return new XElement(
                Command + "parameter",
                new XAttribute("required", set.Required ? "true" : "false"),
                new XAttribute("variableLength", set.Type.EndsWith("[]") ? "true" : "false"),
                new XAttribute("globbing", set.Wildcards ? "true" : "false"),
                new XAttribute("pipelineInput", set.PipelineInput),
                new XAttribute("position", set.Position.ToLowerInvariant() == "named" ? "named" : set.Position),
                new XAttribute("aliases", set.Aliases.Count == 0 ? "none" : string.Join(", ", set.Aliases)),
                new XElement(Maml + "name", parameter.Name),
                Description(parameter.Description),
                isSwitch ? null : new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), set.Type),
                new XElement(Dev + "type", new XElement(Maml + "name", set.Type), new XElement(Maml + "uri")),
                new XElement(Dev + "defaultValue", set.DefaultValue));
        }

        private static XElement Example(ExampleDoc example, int index) =>
            new(
                Command + "example",
                new XElement(Maml + "title", $"--------- {example.Title} ---------"),
                new XElement(Dev + "code", string.Join("\n\n", example.Code)),
                new XElement(Dev + "remarks", Paras(example.Remarks)));

        private static XElement TypeElement(TypeDoc type) =>
            new(Dev + "type", new XElement(Maml + "name", type.Name), new XElement(Maml + "uri"));

        private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

        private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) =>
            paragraphs.Select(p => new XElement(Maml + "para", p));
    }
}
