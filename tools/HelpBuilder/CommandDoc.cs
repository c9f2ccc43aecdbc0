using System.Collections.Generic;

namespace HelpBuilder
{
    /// <summary>One cmdlet's help, as a platyPS-format markdown file describes it.</summary>
    internal sealed class CommandDoc
    {
        public string Name { get; set; } = string.Empty;

        /// <summary>The front matter's "online version": where Get-Help -Online goes.</summary>
        public string? OnlineVersion { get; set; }

        public List<string> Synopsis { get; } = new();

        public List<string> Description { get; } = new();

        /// <summary>Parameter-set names in the order of the SYNTAX section; the default one first-marked.</summary>
        public List<string> ParameterSets { get; } = new();

        public string? DefaultParameterSet { get; set; }

        public List<ExampleDoc> Examples { get; } = new();

        public List<ParameterDoc> Parameters { get; } = new();

        public List<TypeDoc> Inputs { get; } = new();

        public List<TypeDoc> Outputs { get; } = new();

        public List<string> Notes { get; } = new();

        public List<(string Text, string Uri)> Links { get; } = new();
    }

    internal sealed class ExampleDoc
    {
        public string Title { get; set; } = string.Empty;

        public List<string> Code { get; } = new();

        public List<string> Remarks { get; } = new();
    }

    internal sealed class TypeDoc
    {
        public string Name { get; set; } = string.Empty;

        public List<string> Description { get; } = new();
    }

    internal sealed class ParameterDoc
    {
        public string Name { get; set; } = string.Empty;

        public List<string> Description { get; } = new();

        /// <summary>One entry per yaml block: platyPS writes several when the parameter differs between sets.</summary>
        public List<ParameterSetDoc> Sets { get; } = new();
    }

    internal sealed class ParameterSetDoc
    {
        public string Type { get; set; } = string.Empty;

        public List<string> ParameterSets { get; } = new();

        public List<string> Aliases { get; } = new();

        public bool Required { get; set; }

        public string Position { get; set; } = "Named";

        public string DefaultValue { get; set; } = "None";

        public string PipelineInput { get; set; } = "False";

        public bool Wildcards { get; set; }

        public bool AppliesTo(string set) => ParameterSets.Contains("(All)") || ParameterSets.Contains(set);
    }
}
