using System;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Security;

namespace SmtpHandler
{
    /// <summary>
    /// Reads a small file whole, but only a regular file (or a link to one) of at most a given size: opening a
    /// named pipe waits for a writer that may never come, and a device such as /dev/zero, or a huge file, would
    /// be read until memory runs out.
    /// </summary>
    internal static class RegularFile
    {
        // FileSystemInfo.ResolveLinkTarget exists from .NET 6 on (PowerShell 7); .NET Framework runs only on
        // Windows, whose file system holds no named pipes or devices, so there a link is simply read with the cap.
        private static readonly MethodInfo? ResolveLinkTarget =
            typeof(FileSystemInfo).GetMethod("ResolveLinkTarget", new[] { typeof(bool) });

        /// <summary>
        /// The bytes of <paramref name="path"/>, or null with <paramref name="why"/> completing the sentence
        /// "The file '…' …" (does not exist, is a directory, is empty or not a regular file, is too large, cannot
        /// be read).
        /// </summary>
        public static byte[]? TryReadAll(string path, int maxBytes, out string why)
        {
            try
            {
                return Read(path, maxBytes, out why);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException || ex is SecurityException)
            {
                why = ex is FileNotFoundException || ex is DirectoryNotFoundException ? "does not exist" : $"cannot be read ({ex.Message})";
                return null;
            }
        }

        private static byte[]? Read(string path, int maxBytes, out string why)
        {
            if (Directory.Exists(path))
            {
                why = "is a directory, not a file";
                return null;
            }

            var info = new FileInfo(path);
            if (!info.Exists)
            {
                why = "does not exist";
                return null;
            }

            // The size a link reports is its own, not its target's: look at what it finally points to.
            var target = info.Attributes.HasFlag(FileAttributes.ReparsePoint) ? FinalTarget(info) : info;
            if (target != null)
            {
                if (!target.Exists)
                {
                    why = Directory.Exists(target.FullName) ? $"is a link to the directory '{target.FullName}'" : $"is a link to '{target.FullName}', which does not exist";
                    return null;
                }

                // A named pipe, a device or a /proc file reports a size of 0, like an empty file: none is read.
                if (target.Length == 0)
                {
                    why = "is empty, or is not a regular file (a named pipe or a device)";
                    return null;
                }

                if (target.Length > maxBytes)
                {
                    why = TooLarge(maxBytes);
                    return null;
                }
            }

            // The size can change between the look and the read: the read stops after the cap either way.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var copy = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, maxBytes + 1L - copy.Length))) > 0)
            {
                copy.Write(buffer, 0, read);
                if (copy.Length > maxBytes)
                {
                    why = TooLarge(maxBytes);
                    return null;
                }
            }

            if (copy.Length == 0)
            {
                why = "is empty, or is not a regular file (a named pipe or a device)";
                return null;
            }

            why = string.Empty;
            return copy.ToArray();
        }

        /// <summary>The file a link finally points to; null where the runtime cannot tell (.NET Framework).</summary>
        private static FileInfo? FinalTarget(FileInfo link)
        {
            if (ResolveLinkTarget == null)
            {
                return null;
            }

            try
            {
                return ResolveLinkTarget.Invoke(link, new object[] { true }) as FileInfo ?? link;
            }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                // A loop of links, or a link that can't be followed: the caller words the runtime's reason.
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        private static string TooLarge(int maxBytes) => $"is larger than the {maxBytes / 1024} KB allowed";
    }
}
