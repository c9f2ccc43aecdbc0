using System;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The text part made from an HTML body: tables, lists, paragraphs, entities; linear work on huge or hostile HTML.</summary>
    public sealed class HtmlTextTests
    {
        [Fact]
        public void A_table_becomes_aligned_rows_under_a_line_of_dashes()
        {
            var text = HtmlText.ToPlainText("<table><tr><th>Name</th><th>CPU</th></tr><tr><td>FS01C</td><td>99.46</td></tr><tr><td>x</td><td>12.17</td></tr></table>");
            Assert.Equal("Name    CPU\n-----   -----\nFS01C   99.46\nx       12.17", text);
        }

        [Fact]
        public void Entities_are_decoded_and_script_style_and_head_are_dropped()
        {
            var text = HtmlText.ToPlainText("<html><head><title>T</title><style>p{}</style></head><body><p>a &amp; b &lt;c&gt; &euro;</p><script>if (a<b) {}</script></body></html>");
            Assert.Equal("a & b <c> €", text);
        }

        [Fact]
        public void A_body_after_a_head_left_open_is_kept()
        {
            // </head> is optional (HTML 13.1.2.4): <body> ends the head, and only script, style and title text is hidden.
            var text = HtmlText.ToPlainText("<html><head><title>T</title><meta charset=\"utf-8\"><body><p>Disk report</p><p>All fine</p></body></html>");
            Assert.Equal("Disk report\n\nAll fine", text);
        }

        [Fact]
        public void List_items_in_a_table_cell_stay_apart()
        {
            var text = HtmlText.ToPlainText("<table><tr><th>Role</th><th>Servers</th></tr><tr><td>File</td><td><ul><li>FS01</li><li>FS02</li></ul></td></tr></table>");
            Assert.Equal("Role   Servers\n----   ----------\nFile   FS01, FS02", text);
        }

        [Fact]
        public void Deeply_nested_tables_and_lists_stay_linear()
        {
            // 20,000 nested tables and lists: flattened past a depth, so no level copies or indents all below it.
            var depth = 20000;
            var html = new StringBuilder();
            html.Insert(0, "<table><tr><td>", depth).Append("cell").Insert(html.Length, "</td></tr></table>", depth);
            html.Insert(html.Length, "<ul><li>item", depth);
            var text = HtmlText.ToPlainText(html.ToString());
            Assert.Contains("cell", text);
            Assert.True(text.Length < html.Length, $"{text.Length} characters of text from {html.Length} of HTML");
        }

        [Fact]
        public void Text_grows_at_most_in_proportion_to_the_HTML()
        {
            // A long cell in every row would be padded into every row if widths were not capped.
            var html = new StringBuilder("<table>");
            html.Append("<tr><td>").Append('x', 100000).Append("</td><td>1</td></tr>");
            for (var i = 0; i < 5000; i++)
            {
                html.Append("<tr><td>a</td><td>b</td></tr>");
            }

            var text = HtmlText.ToPlainText(html.Append("</table>").ToString());
            Assert.True(text.Length < html.Length * 2, $"{text.Length} characters of text from {html.Length} of HTML");
        }
    }
}
