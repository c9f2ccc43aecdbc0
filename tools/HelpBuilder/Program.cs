using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;

namespace HelpBuilder
{
    /// <summary>HelpBuilder DOCS_DIR OUT_DIR MODULE_DLL: writes OUT_DIR/MODULE_DLL-Help.xml and the about_ topics.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length != 3)
            {
                Console.Error.WriteLine("usage: HelpBuilder <docs folder> <output folder> <module dll name>");
                return 2;
            }

            var (docs, output, dll) = (args[0], args[1], args[2]);
            try
            {
                Directory.CreateDirectory(output);
                var pages = Directory.GetFiles(docs, "*.md").OrderBy(p => p, StringComparer.Ordinal).ToList();
                var commands = pages
                    .Where(p => !Path.GetFileName(p).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
                    .Select(CommandDocParser.Parse)
                    .ToList();
                var maml = Path.Combine(output, dll + "-Help.xml");
                // The same bytes on every machine: the generated files are committed and a test compares them.
                var settings = new XmlWriterSettings { Indent = true, NewLineChars = "\n", Encoding = new UTF8Encoding(false) };
                using (var writer = XmlWriter.Create(maml, settings))
                {
                    MamlWriter.Write(commands).Save(writer);
                }

                Console.WriteLine($"{maml}: {commands.Count} cmdlets");
                foreach (var about in pages.Where(p => Path.GetFileName(p).StartsWith("about_", StringComparison.OrdinalIgnoreCase)))
                {
                    var target = Path.Combine(output, Path.GetFileNameWithoutExtension(about) + ".help.txt");
                    File.WriteAllText(target, AboutTopicWriter.Write(about), new UTF8Encoding(false));
                    Console.WriteLine(target);
                }

                return 0;
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        }
    }
}
