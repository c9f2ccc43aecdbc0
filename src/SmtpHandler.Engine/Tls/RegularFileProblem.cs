namespace SmtpHandler
{
    /// <summary>Why <see cref="RegularFile"/> did not read a file, for callers that give each case its own ErrorId.</summary>
    internal enum RegularFileProblem
    {
        None,
        NotFound,
        Directory,

        /// <summary>Empty, or a named pipe, device or /proc file (all report a size of 0, and none is opened).</summary>
        EmptyOrNotRegular,
        TooLarge,
        Unreadable,
    }
}
