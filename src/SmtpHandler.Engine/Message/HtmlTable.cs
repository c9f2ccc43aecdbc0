using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// A table of an HTML body as plain text: a line per row, cells padded into columns when they are short, else
    /// separated by " | ", and a line of dashes under a row of headings (th). A column is as wide as its widest cell
    /// up to <see cref="MaxColumn"/>, so padding never multiplies a long cell over every row.
    /// </summary>
    internal sealed class HtmlTable
    {
        /// <summary>Widest column that is padded; a longer cell runs over, and a table too wide for a line is not padded at all.</summary>
        public const int MaxColumn = 40;

        private const int MaxAlignedWidth = 120;

        private readonly List<(bool Header, List<StringBuilder> Cells)> rows = new();

        public void Row() => rows.Add((false, new List<StringBuilder>()));

        public void Cell(bool header)
        {
            if (rows.Count == 0)
            {
                Row();
            }

            var row = rows[rows.Count - 1];
            if (header && row.Cells.Count == 0)
            {
                rows[rows.Count - 1] = (true, row.Cells);
            }

            row.Cells.Add(new StringBuilder());
        }

        /// <summary>Text in the current cell, its whitespace collapsed.</summary>
        public void Text(string text)
        {
            if (rows.Count == 0 || rows[rows.Count - 1].Cells.Count == 0)
            {
                Cell(header: false);
            }

            var cell = rows[rows.Count - 1].Cells.Last();
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    if (cell.Length > 0 && cell[cell.Length - 1] != ' ')
                    {
                        cell.Append(' ');
                    }
                }
                else
                {
                    cell.Append(c);
                }
            }
        }

        /// <summary>A list item starts in the current cell: after earlier text, a ", " keeps the items apart.</summary>
        public void Item()
        {
            var cell = rows.Count > 0 && rows[rows.Count - 1].Cells.Count > 0 ? rows[rows.Count - 1].Cells.Last() : null;
            var text = cell?.ToString().TrimEnd() ?? string.Empty;
            if (text.Length > 0 && text[text.Length - 1] != ',')
            {
                cell!.Length = text.Length;
                cell.Append(", ");
            }
        }

        /// <summary>The cells of every row in one line, for a table inside another table's cell.</summary>
        public string ToInlineText() =>
            string.Join(" ", rows.Select(r => string.Join(" ", r.Cells.Select(c => c.ToString().Trim()).Where(c => c.Length > 0))).Where(r => r.Length > 0));

        public string Render()
        {
            var cells = rows.Select(r => (r.Header, Cells: r.Cells.Select(c => c.ToString().Trim()).ToList()))
                .Where(r => r.Cells.Any(c => c.Length > 0))
                .ToList();
            if (cells.Count == 0)
            {
                return string.Empty;
            }

            var columns = cells.Max(r => r.Cells.Count);
            var widths = new int[columns];
            foreach (var row in cells)
            {
                for (var i = 0; i < row.Cells.Count; i++)
                {
                    widths[i] = Math.Max(widths[i], Math.Min(MaxColumn, row.Cells[i].Length));
                }
            }

            var longest = cells.SelectMany(r => r.Cells).Max(c => c.Length);
            var aligned = columns > 1 && longest <= MaxColumn && widths.Sum() + (3 * (columns - 1)) <= MaxAlignedWidth;
            var text = new StringBuilder();
            foreach (var row in cells)
            {
                var line = new StringBuilder();
                for (var i = 0; i < row.Cells.Count; i++)
                {
                    if (i > 0)
                    {
                        line.Append(aligned ? "   " : " | ");
                    }

                    line.Append(row.Cells[i]);
                    if (aligned && i < row.Cells.Count - 1)
                    {
                        line.Append(' ', widths[i] - row.Cells[i].Length);
                    }
                }

                text.Append(line.ToString().TrimEnd()).Append('\n');
                if (row.Header && aligned)
                {
                    text.Append(string.Join("   ", widths.Select(w => new string('-', Math.Max(1, w))))).Append('\n');
                }
            }

            return text.ToString().TrimEnd('\n');
        }
    }
}
