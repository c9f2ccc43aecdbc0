using System;

namespace SmtpHandler
{
    /// <summary>An attachment could not be read while its message was being sent.</summary>
    internal sealed class AttachmentReadException : Exception
    {
        public AttachmentReadException(string path, Exception inner)
            : base($"The attachment '{path}' could not be read while the message was sent: {inner.Message}", inner)
        {
            Path = path;
        }

        public string Path { get; }
    }
}
