using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace SmtpHandler.Commands
{
    /// <summary>Tab completion for -Encoding: the names <see cref="EncodingTransformationAttribute"/> takes, as Send-MailMessage completes its own.</summary>
    public sealed class EncodingCompleter : IArgumentCompleter
    {
        private static readonly string[] Names =
        {
            "ascii", "ansi", "bigendianunicode", "bigendianutf32", "latin1", "oem", "unicode", "utf8", "utf8BOM", "utf8NoBOM", "utf32", "iso-8859-1",
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            return Names
                .Where(n => n.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
        }
    }
}
