using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// A send's state file (-StatePath): JSON lines that record each recipient's outcome, so that a rerun after a
    /// crash skips the recipients already settled, sends the rest, and holds back as Unknown the ones whose
    /// transaction was in flight. Opening it locks it (a second process is refused), reads it, and checks that it
    /// was written for the same message, all before anything connects.
    /// </summary>
    public sealed class SendStateFile : IDisposable
    {
        private readonly StateFileContent content;
        private readonly StateWriter writer;
        private readonly bool resendUnknown;
        private readonly Dictionary<string, int> seen = new(StringComparer.OrdinalIgnoreCase);

        private SendStateFile(string path, StateFileContent content, StateWriter writer, bool resendUnknown)
        {
            Path = path;
            this.content = content;
            this.writer = writer;
            this.resendUnknown = resendUnknown;
        }

        /// <summary>The full path of the file.</summary>
        public string Path { get; }

        /// <summary>
        /// Opens (or creates) the state file for a send of <paramref name="message"/> (for one message per recipient,
        /// the template they share). Throws <see cref="SmtpHandlerException"/>: StateFileInUse (another process has
        /// it), StateFileUnreadable (not a state file, or damaged), StateFileMessageDiffers (written for another
        /// message; <paramref name="force"/> goes on, and the file records the new message from then on).
        /// </summary>
        public static SendStateFile Open(string path, SmtpMessage message, bool resendUnknown = false, bool force = false)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("A state file path is needed.", nameof(path));
            }

            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            var full = System.IO.Path.GetFullPath(path);
            var stream = OpenLocked(full);
            try
            {
                var bytes = new byte[stream.Length];
                var read = 0;
                while (read < bytes.Length)
                {
                    var n = stream.Read(bytes, read, bytes.Length - read);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                StateFileContent content;
                try
                {
                    content = StateFileContent.Parse(bytes);
                }
                catch (FormatException ex)
                {
                    throw new SmtpHandlerException("StateFileUnreadable", SmtpFailureKind.InvalidArgument, $"The state file '{full}' can't be read: {ex.Message}. Nothing was sent. Give a new -StatePath for a new mailing, or move the damaged file away.", full, ex);
                }

                var now = StateFingerprint.Of(message);
                var differences = content.Fingerprint == null ? Array.Empty<string>() : now.DifferencesFrom(content.Fingerprint);
                if (differences.Count > 0 && !force)
                {
                    throw new SmtpHandlerException("StateFileMessageDiffers", SmtpFailureKind.InvalidArgument, $"The state file '{full}' was written for another message: {string.Join("; ", differences)} {(differences.Count == 1 ? "differs" : "differ")}. Nothing was sent. Give a new -StatePath for a new mailing, or -Force to send this message with this state file (the recipients it has settled are not sent to again).", full);
                }

                // A torn last line is cut off before anything is appended, so the file stays whole lines.
                stream.SetLength(content.WholeLength);
                stream.Seek(0, SeekOrigin.End);
                var writer = new StateWriter(stream);
                if (content.EndsWithoutNewline)
                {
                    writer.Append("\n");
                }

                if (content.Fingerprint == null || differences.Count > 0)
                {
                    writer.Append(now.ToJsonLine(DateTime.UtcNow));
                }

                writer.CommitToDisk();
                return new SendStateFile(full, content, writer, resendUnknown);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        public void Dispose() => writer.Dispose();

        /// <summary>When a quota met by an earlier run with this file runs out; null when none was met.</summary>
        internal DateTime? QuotaUntilUtc => content.Quota?.UntilUtc;

        /// <summary>When each recipient this file shows accepted since <paramref name="sinceUtc"/> was sent: they count against the day's budget.</summary>
        internal IEnumerable<DateTime> AcceptedSince(DateTime sinceUtc)
        {
            foreach (var record in content.Last.Values)
            {
                if (record.Entry == StateEntry.Accepted && record.At >= sinceUtc)
                {
                    yield return record.At;
                }
            }
        }

        /// <summary>Records that a quota was met and until when, so that a rerun before then sends nothing.</summary>
        internal void RecordQuota(DateTime untilUtc, string reason)
        {
            writer.Append(new StateQuota(untilUtc, reason).ToJsonLine());
            writer.Commit();
        }

        /// <summary>The file, opened for this process alone: FileShare.None is the lock (flock on Unix, a share mode on Windows).</summary>
        private static FileStream OpenLocked(string path)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (IsSharingViolation(ex))
            {
                throw new SmtpHandlerException("StateFileInUse", SmtpFailureKind.ResourceUnavailable, $"The state file '{path}' is in use by another send (another process has it open). Nothing was sent. Wait for that send to end, or give another -StatePath.", path, ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw new SmtpHandlerException("StateFileUnreadable", SmtpFailureKind.InvalidArgument, $"The state file '{path}' can't be opened: {ex.Message} Nothing was sent.", path, ex);
            }
        }

        // Windows: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33). Unix: the flock that .NET takes for
        // FileShare.None failed with EWOULDBLOCK (11 on Linux, 35 on macOS), which .NET reports as the HResult.
        private static bool IsSharingViolation(IOException ex) =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? (ex.HResult & 0xFFFF) is 32 or 33 : ex.HResult is 11 or 35;

        /// <summary>
        /// What this run does with each recipient of <paramref name="message"/>. Called once per message, in the
        /// order of the send: the nth message to the same address is told apart from the others by that order.
        /// </summary>
        internal MessagePlan Plan(PreparedMessage message)
        {
            var occurrences = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var toSend = new List<MailboxAddress>();
            var settled = new Dictionary<string, SmtpRecipientResult>(StringComparer.OrdinalIgnoreCase);
            foreach (var mailbox in message.RecipientMailboxes)
            {
                seen.TryGetValue(mailbox.Address, out var before);
                var occurrence = before + 1;
                seen[mailbox.Address] = occurrence;
                occurrences[mailbox.Address] = occurrence;
                content.Last.TryGetValue(StateRecord.KeyOf(mailbox.Address, occurrence), out var last);
                var action = StateDecision.Decide(last, resendUnknown);
                if (StateDecision.EarlierResult(mailbox.Address, last, action, Path) is { } earlier)
                {
                    settled[mailbox.Address] = earlier;
                }
                else
                {
                    toSend.Add(mailbox);
                }
            }

            var journal = new MessageJournal(writer, occurrences);
            return new MessagePlan(message, toSend.Count > 0 ? message.WithRecipients(toSend, journal) : null, settled);
        }
    }
}
