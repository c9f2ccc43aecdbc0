using System;
using System.Collections.Generic;

namespace SmtpHandler.Commands
{
    /// <summary>What one pipeline item brings to its own message in -Individual mode.</summary>
    internal sealed class ItemParts
    {
        public ItemParts(PipelineItem item)
        {
            Item = item;
        }

        public PipelineItem Item { get; }

        /// <summary>Recipients of this item: what it carried, or what a -To script block gave.</summary>
        public IReadOnlyList<string> Addresses { get; set; } = Array.Empty<string>();

        /// <summary>Values bound from the item (its property of that name, or a script block): used as they are.</summary>
        public string? Subject { get; set; }

        public string? Body { get; set; }

        public string? HtmlBody { get; set; }

        /// <summary>The other message values the item bound by property name (From, Cc, Bcc, ReplyTo...).</summary>
        public ItemMessageValues Values { get; set; } = new();

        /// <summary>The connection values the item bound by property name (SmtpServer, Port, UseSsl).</summary>
        public ItemConnection Connection { get; set; } = new();

        /// <summary>Full paths of files this item brings (a piped file, or -Attachments bound from the item).</summary>
        public IReadOnlyList<string> Files { get; set; } = Array.Empty<string>();
    }
}
