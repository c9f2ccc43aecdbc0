using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// The plain text that <see cref="HtmlText"/> writes: runs of whitespace collapsed to one space, lines without
    /// trailing spaces, at most one blank line in a row, and list items indented.
    /// </summary>
    internal sealed class HtmlTextWriter
    {
        private readonly StringBuilder text = new();
        private int pendingBreaks; // 1: start a new line, 2: leave a blank line, before the next text
        private bool atLineStart = true;
        private bool spacePending;

        /// <summary>Spaces before each new line (nested lists).</summary>
        public int Indent { get; set; }

        /// <summary>A br: the next text starts a new line; two in a row leave a blank line.</summary>
        public void LineBreak()
        {
            pendingBreaks = text.Length == 0 ? 0 : System.Math.Min(2, pendingBreaks + 1);
            spacePending = false;
        }

        /// <summary>The next text starts a new line (a div, a list item).</summary>
        public void Line()
        {
            pendingBreaks = System.Math.Max(pendingBreaks, 1);
            spacePending = false;
        }

        /// <summary>The next text starts after a blank line (a paragraph, a heading, a table).</summary>
        public void Paragraph()
        {
            pendingBreaks = 2;
            spacePending = false;
        }

        /// <summary>Text; <paramref name="raw"/> keeps its spaces and line breaks (pre, list markers).</summary>
        public void Text(string data, bool raw = false)
        {
            foreach (var c in data)
            {
                if (c == '\r')
                {
                    continue;
                }

                if (raw)
                {
                    if (c == '\n')
                    {
                        EndLine(1);
                        continue;
                    }

                    Put(c);
                }
                else if (char.IsWhiteSpace(c))
                {
                    // A no-break space is a space in plain text too; none at the start of a line.
                    spacePending = !atLineStart;
                }
                else
                {
                    if (spacePending && !atLineStart)
                    {
                        text.Append(' ');
                    }

                    spacePending = false;
                    Put(c);
                }
            }
        }

        /// <summary>Lines written as they are (a rendered table), each indented like the text around it.</summary>
        public void Block(string lines)
        {
            foreach (var line in lines.Split('\n'))
            {
                Line();
                Text(line, raw: true);
            }
        }

        public override string ToString()
        {
            TrimLineEnd();
            return text.ToString().Trim('\n');
        }

        private void Put(char c)
        {
            if (pendingBreaks > 0)
            {
                if (text.Length > 0)
                {
                    EndLine(pendingBreaks);
                }

                pendingBreaks = 0;
            }

            if (atLineStart)
            {
                text.Append(' ', Indent > 2 ? Indent - 2 : 0);
                atLineStart = false;
            }

            text.Append(c);
        }

        private void EndLine(int breaks)
        {
            TrimLineEnd();
            var have = 0;
            for (var i = text.Length - 1; i >= 0 && text[i] == '\n' && have < 2; i--)
            {
                have++;
            }

            for (var i = have; i < breaks; i++)
            {
                text.Append('\n');
            }

            atLineStart = true;
            pendingBreaks = 0;
            spacePending = false;
        }

        private void TrimLineEnd()
        {
            var end = text.Length;
            while (end > 0 && text[end - 1] == ' ')
            {
                end--;
            }

            text.Length = end;
        }
    }
}
