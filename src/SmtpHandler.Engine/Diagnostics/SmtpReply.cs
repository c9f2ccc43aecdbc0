using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>One SMTP reply: its code and the text of each line.</summary>
    internal sealed class SmtpReply
    {
        public SmtpReply(int code, IReadOnlyList<string> lines)
        {
            Code = code;
            Lines = lines;
        }

        public int Code { get; }

        /// <summary>Each line's text after the code and its separator.</summary>
        public IReadOnlyList<string> Lines { get; }

        public string Text => string.Join(" ", Lines.Where(l => l.Length > 0));

        public bool IsSuccess => ReplyCodes.IsPositive(Code);

        public override string ToString() => Text.Length == 0 ? Code.ToString() : $"{Code} {Text}";
    }
}
