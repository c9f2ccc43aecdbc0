using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// What makes a mailing the same mailing on a rerun: the sender, the subject (or its template), the bodies
    /// (as SHA-256 hashes: the file stays small and holds no body text) and the attachments' names and sizes.
    /// Recipients are not part of it: they are what the state file keeps track of.
    /// </summary>
    internal sealed class StateFingerprint
    {
        public const int Version = 1;

        public string? From { get; private set; }

        public string? Sender { get; private set; }

        public string? Subject { get; private set; }

        public string? TextBody { get; private set; }

        public string? HtmlBody { get; private set; }

        /// <summary>Each attached or inline file as "name (size bytes)", in order.</summary>
        public IReadOnlyList<string> Attachments { get; private set; } = Array.Empty<string>();

        public static StateFingerprint Of(SmtpMessage message) => new()
        {
            From = message.From,
            Sender = message.Sender,
            Subject = message.Subject,
            TextBody = Hash(message.TextBody),
            HtmlBody = Hash(message.HtmlBody),
            Attachments = message.Attachments.Concat(message.InlineImages).Select(Describe).ToList(),
        };

        /// <summary>What differs from <paramref name="earlier"/>, each in words; empty when nothing does.</summary>
        public IReadOnlyList<string> DifferencesFrom(StateFingerprint earlier)
        {
            var differences = new List<string>();
            void Compare(string what, string? then, string? now, bool showValues)
            {
                if (!string.Equals(then, now, StringComparison.Ordinal))
                {
                    differences.Add(showValues ? $"the {what} ({Show(then)} then, {Show(now)} now)" : $"the {what}");
                }
            }

            Compare("sender (-From)", earlier.From, From, showValues: true);
            Compare("envelope sender (-Sender)", earlier.Sender, Sender, showValues: true);
            Compare("subject", earlier.Subject, Subject, showValues: true);
            Compare("text body", earlier.TextBody, TextBody, showValues: false);
            Compare("HTML body", earlier.HtmlBody, HtmlBody, showValues: false);
            if (!earlier.Attachments.SequenceEqual(Attachments, StringComparer.Ordinal))
            {
                differences.Add($"the attachments ({ShowList(earlier.Attachments)} then, {ShowList(Attachments)} now)");
            }

            return differences;
        }

        public string ToJsonLine(DateTime createdUtc)
        {
            var line = new StringBuilder("{\"smtpHandlerState\":").Append(Version);
            line.Append(",\"created\":").AppendQuoted(createdUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            void Field(string name, string? value)
            {
                line.Append(",\"").Append(name).Append("\":");
                if (value == null)
                {
                    line.Append("null");
                }
                else
                {
                    line.AppendQuoted(value);
                }
            }

            Field("from", From);
            Field("sender", Sender);
            Field("subject", Subject);
            Field("textBody", TextBody);
            Field("htmlBody", HtmlBody);
            line.Append(",\"attachments\":[");
            for (var i = 0; i < Attachments.Count; i++)
            {
                (i > 0 ? line.Append(',') : line).AppendQuoted(Attachments[i]);
            }

            return line.Append("]}\n").ToString();
        }

        /// <summary>The header a parsed line holds; null when the line is not a header. Throws FormatException for a newer version.</summary>
        public static StateFingerprint? FromJson(IReadOnlyDictionary<string, object?> json)
        {
            if (json.GetNumber("smtpHandlerState") is not double version)
            {
                return null;
            }

            if (version != Version)
            {
                throw new FormatException($"it was written by another version of SmtpHandler (state format {version.ToString(CultureInfo.InvariantCulture)}; this one reads format {Version})");
            }

            return new StateFingerprint
            {
                From = json.GetString("from"),
                Sender = json.GetString("sender"),
                Subject = json.GetString("subject"),
                TextBody = json.GetString("textBody"),
                HtmlBody = json.GetString("htmlBody"),
                Attachments = json.TryGetValue("attachments", out var list) && list is IEnumerable<object?> items ? items.OfType<string>().ToList() : Array.Empty<string>(),
            };
        }

        private static string? Hash(string? text)
        {
            if (text == null)
            {
                return null;
            }

            // IncrementalHash: CNG on .NET Framework, which a FIPS policy allows (SHA256.Create() there is SHA256Managed, which it refuses).
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(Encoding.UTF8.GetBytes(text));
            var digest = sha.GetHashAndReset();
            return "sha256:" + string.Concat(digest.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        }

        private static string Describe(SmtpAttachment file)
        {
            long? size;
            try
            {
                size = new FileInfo(file.Path).Length;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                // Preparing the message reports an unreadable file; the fingerprint just records that it had no size.
                size = null;
            }

            return size is long bytes ? $"{file.FileName} ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)" : file.FileName;
        }

        private static string Show(string? value) => value == null ? "none" : "'" + value + "'";

        private static string ShowList(IReadOnlyList<string> files) => files.Count == 0 ? "none" : string.Join(", ", files);
    }
}
