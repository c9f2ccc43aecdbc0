namespace SmtpHandler
{
    /// <summary>A file to attach, or an image to embed in the HTML body under a Content-ID.</summary>
    public sealed class SmtpAttachment
    {
        public SmtpAttachment(string path, string? contentId = null)
        {
            Path = path;
            ContentId = contentId;
        }

        /// <summary>A full file-system path; the cmdlets resolve provider paths before they get here.</summary>
        public string Path { get; }

        /// <summary>For inline images: the id the HTML refers to as <c>cid:</c>.</summary>
        public string? ContentId { get; }

        public string FileName => System.IO.Path.GetFileName(Path);
    }
}
