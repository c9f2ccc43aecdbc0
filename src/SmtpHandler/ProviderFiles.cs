using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Finds attachment files through the PowerShell provider, relative to the current location.</summary>
    internal sealed class ProviderFiles
    {
        private readonly PathIntrinsics paths;

        public ProviderFiles(PathIntrinsics paths)
        {
            this.paths = paths;
        }

        /// <summary>
        /// A path through the PowerShell provider, relative to the current location: taken literally when a file
        /// of that name exists (names may hold [ ]), else as a wildcard. Only file-system files qualify.
        /// </summary>
        public IEnumerable<string> Resolve(string path)
        {
            string literal;
            ProviderInfo provider;
            try
            {
                literal = paths.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is ProviderNotFoundException || ex is NotSupportedException)
            {
                throw AttachmentNotFound(path, ex.Message);
            }

            if (provider.Name != "FileSystem")
            {
                throw new SmtpHandlerException("AttachmentNotAFile", SmtpFailureKind.InvalidArgument, $"'{path}' is not a file-system path (its provider is {provider.Name}).", path) { ParameterName = "Attachments" };
            }

            if (File.Exists(literal))
            {
                return new[] { literal };
            }

            if (Directory.Exists(literal))
            {
                throw new SmtpHandlerException("AttachmentIsDirectory", SmtpFailureKind.InvalidArgument, $"'{path}' is a directory, not a file.", path) { ParameterName = "Attachments" };
            }

            if (!WildcardPattern.ContainsWildcardCharacters(path))
            {
                throw AttachmentNotFound(path, null);
            }

            Collection<string> matches;
            try
            {
                matches = paths.GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException)
            {
                throw AttachmentNotFound(path, null);
            }

            var files = matches.Where(File.Exists).ToList();
            if (files.Count == 0)
            {
                throw AttachmentNotFound(path, null);
            }

            return files;
        }

        private static SmtpHandlerException AttachmentNotFound(string path, string? detail) =>
            new("AttachmentNotFound", SmtpFailureKind.InvalidArgument, $"The attachment '{path}' does not exist{(detail != null ? ": " + detail : ".")}", path) { ParameterName = "Attachments" };
    }
}
