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
        public static byte[]? TryReadAll(string path, int maxBytes, out string why) => TryReadAll(path, maxBytes, out why, out _);

        /// <summary>As <see cref="TryReadAll(string, int, out string)"/>, with which case it was when null.</summary>
        public static byte[]? TryReadAll(string path, int maxBytes, out string why, out RegularFileProblem problem)
        {
            try
            {
                return Read(path, maxBytes, out why, out problem);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException || ex is SecurityException)
            {
                var missing = ex is FileNotFoundException || ex is DirectoryNotFoundException;
                why = missing ? "does not exist" : $"cannot be read ({ex.Message})";
                problem = missing ? RegularFileProblem.NotFound : RegularFileProblem.Unreadable;
                return null;
            }
        }

        /// <summary>
        /// The full path of what <paramref name="path"/> finally points to when it is a link (so that its kind can be
        /// looked at), else <paramref name="path"/>; the path itself where the runtime cannot tell.
        /// </summary>
        public static string FinalPath(string path)
        {
            try
            {
                var info = new FileInfo(path);
                return info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint) ? FinalTarget(info)?.FullName ?? path : path;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException || ex is SecurityException)
            {
                return path;
            }
        }

        private static byte[]? Read(string path, int maxBytes, out string why, out RegularFileProblem problem)
        {
            problem = RegularFileProblem.Directory;
            if (Directory.Exists(path))
            {
                why = "is a directory, not a file";
                return null;
            }

            problem = RegularFileProblem.NotFound;
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
                    problem = Directory.Exists(target.FullName) ? RegularFileProblem.Directory : RegularFileProblem.NotFound;
                    why = Directory.Exists(target.FullName) ? $"is a link to the directory '{target.FullName}'" : $"is a link to '{target.FullName}', which does not exist";
                    return null;
                }

                // A named pipe, a device or a /proc file reports a size of 0, like an empty file: none is read.
                if (target.Length == 0)
                {
                    problem = RegularFileProblem.EmptyOrNotRegular;
                    why = "is empty, or is not a regular file (a named pipe or a device)";
                    return null;
                }

                if (target.Length > maxBytes)
                {
                    problem = RegularFileProblem.TooLarge;
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
                    problem = RegularFileProblem.TooLarge;
                    why = TooLarge(maxBytes);
                    return null;
                }
            }

            if (copy.Length == 0)
            {
                problem = RegularFileProblem.EmptyOrNotRegular;
                why = "is empty, or is not a regular file (a named pipe or a device)";
                return null;
            }

            why = string.Empty;
            problem = RegularFileProblem.None;
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
