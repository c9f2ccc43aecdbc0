using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Finds the files parameters name (attachments, inline images, certificates) through the PowerShell provider,
    /// relative to the current location, as the engine only takes file-system paths.
    /// </summary>
    internal sealed class ProviderFiles
    {
        private readonly PSCmdlet cmdlet;
        private readonly PathIntrinsics paths;

        public ProviderFiles(PSCmdlet cmdlet)
        {
            this.cmdlet = cmdlet;
            paths = cmdlet.SessionState.Path;
        }

        /// <summary>
        /// A certificate path (relative, PSDrive, wildcard) as file-system paths; one that matches nothing stops the
        /// cmdlet, the message led by <paramref name="parameter"/> when one is given.
        /// </summary>
        public IReadOnlyList<string> ResolveOrStop(string path, string? parameter)
        {
            try
            {
                return paths.GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (ItemNotFoundException ex)
            {
                var prefix = parameter == null ? string.Empty : parameter + ": ";
                cmdlet.ThrowTerminatingError(ErrorRecords.Create("PathNotFound", ErrorCategory.ObjectNotFound, $"{prefix}Cannot find the file '{path}'.", path, ex));
                throw;
            }
        }

        /// <summary>A certificate or key path that must name exactly one file; anything else stops the cmdlet.</summary>
        public string OneFileOrStop(string path, string parameter)
        {
            var found = ResolveOrStop(path, parameter);
            if (found.Count != 1)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.Create("InvalidCertificateFile", ErrorCategory.InvalidArgument, $"{parameter}: '{path}' matches {found.Count} files; give exactly one.", path));
            }

            return found[0];
        }

        /// <summary>-InlineImage @{ id = path }: each path one file; each id usable as a Content-ID.</summary>
        public IReadOnlyList<SmtpAttachment> InlineImages(IDictionary? inlineImage)
        {
            var images = new List<SmtpAttachment>();
            if (inlineImage == null)
            {
                return images;
            }

            foreach (DictionaryEntry entry in inlineImage)
            {
                var id = entry.Key?.ToString() ?? string.Empty;
                if (id.Length == 0 || id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '<' || c == '>' || c == '"' || c > 126))
                {
                    throw new SmtpHandlerException("InvalidContentId", SmtpFailureKind.InvalidArgument, $"'{id}' can't be a Content-ID: use letters, digits and . _ - @ only, as in @{{ logo = 'logo.png' }} with <img src=\"cid:logo\">.", id) { ParameterName = "InlineImage" };
                }

                var path = (entry.Value is PSObject ps ? ps.BaseObject : entry.Value)?.ToString() ?? string.Empty;
                var found = Resolve(path).ToList();
                if (found.Count != 1)
                {
                    throw new SmtpHandlerException("InlineImageNotOneFile", SmtpFailureKind.InvalidArgument, $"The inline image '{id}' must be one file, but '{path}' matches {found.Count}.", path) { ParameterName = "InlineImage" };
                }

                images.Add(new SmtpAttachment(found[0], id));
            }

            return images;
        }

        /// <summary>
        /// A path through the PowerShell provider, relative to the current location: taken literally when a file
        /// of that name exists (names may hold [ ]), else as a wildcard. Only file-system files qualify.
        /// </summary>
        public IEnumerable<string> Resolve(string path) => Resolve(path, "Attachments");

        /// <summary>As <see cref="Resolve(string)"/>, the errors naming <paramref name="parameter"/> (Attachments or MessagePath).</summary>
        public IEnumerable<string> Resolve(string path, string parameter)
        {
            var idPrefix = parameter == "MessagePath" ? "MessageFile" : "Attachment";
            string literal;
            ProviderInfo provider;
            try
            {
                literal = paths.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is ProviderNotFoundException || ex is NotSupportedException)
            {
                throw AttachmentNotFound(path, ex.Message, parameter);
            }

            if (provider.Name != "FileSystem")
            {
                throw new SmtpHandlerException(idPrefix + "NotAFile", SmtpFailureKind.InvalidArgument, $"'{path}' is not a file-system path (its provider is {provider.Name}).", path) { ParameterName = parameter };
            }

            if (File.Exists(literal))
            {
                return new[] { literal };
            }

            if (Directory.Exists(literal))
            {
                throw new SmtpHandlerException(idPrefix + "IsDirectory", SmtpFailureKind.InvalidArgument, $"'{path}' is a directory, not a file.", path) { ParameterName = parameter };
            }

            if (!WildcardPattern.ContainsWildcardCharacters(path))
            {
                throw AttachmentNotFound(path, null, parameter);
            }

            Collection<string> matches;
            try
            {
                matches = paths.GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException)
            {
                throw AttachmentNotFound(path, null, parameter);
            }

            var files = matches.Where(File.Exists).ToList();
            if (files.Count == 0)
            {
                throw AttachmentNotFound(path, null, parameter);
            }

            return files;
        }

        private static SmtpHandlerException AttachmentNotFound(string path, string? detail, string parameter = "Attachments") =>
            parameter == "MessagePath"
                ? new("MessageFileNotFound", SmtpFailureKind.InvalidArgument, $"The message file '{path}' does not exist{(detail != null ? ": " + detail : ".")}", path) { ParameterName = parameter }
                : new("AttachmentNotFound", SmtpFailureKind.InvalidArgument, $"The attachment '{path}' does not exist{(detail != null ? ": " + detail : ".")}", path) { ParameterName = "Attachments" };
    }
}
