using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// Pickup-folder mode: each transaction is written as an RFC 5322 .eml file instead of being sent.
    /// The envelope goes into X-Sender / X-Receiver lines at the top, as IIS and Exchange pickup folders
    /// read them; Bcc recipients appear only there, never as a Bcc header.
    /// </summary>
    internal sealed class PickupWriter
    {
        private const int OwnerReadWrite = 0x180; // 0600: UnixFileMode.UserRead | UnixFileMode.UserWrite
        private static readonly Type? OptionsType =
            typeof(FileStream).Assembly.GetType("System.IO.FileStreamOptions") is { } type && type.GetProperty("UnixCreateMode") != null ? type : null;

        private static readonly ConstructorInfo? FileStreamWithOptions =
            OptionsType == null ? null : typeof(FileStream).GetConstructor(new[] { typeof(string), OptionsType });

        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public PickupWriter(SmtpHandlerConfig config, ISmtpLog log)
        {
            this.config = config;
            this.log = log;
        }

        public SmtpSendResult Write(PreparedMessage message)
        {
            var clock = Stopwatch.StartNew();
            var files = new List<string>();
            var recipients = new List<SmtpRecipientResult>();
            SmtpHandlerException? failure = null;
            var size = config.RecipientsPerMessage > 0 ? config.RecipientsPerMessage : int.MaxValue;
            var all = message.RecipientMailboxes;
            for (var i = 0; i < all.Count; i += size)
            {
                var batch = new List<MailboxAddress>();
                for (var j = i; j < all.Count && j - i < size; j++)
                {
                    batch.Add(all[j]);
                }

                failure ??= MessageBuilder.FindUnreadableFile(message.Source);
                if (failure == null)
                {
                    try
                    {
                        var path = WriteFile(message, batch);
                        files.Add(path);
                        recipients.AddRange(batch.Select(m => new SmtpRecipientResult(m.Address, SmtpRecipientStatus.Accepted, reason: $"Written to {path}")));
                        continue;
                    }
                    catch (AttachmentReadException ex)
                    {
                        failure = new SmtpHandlerException("AttachmentUnreadable", SmtpFailureKind.InvalidArgument, ex.Message, ex.Path, ex) { ParameterName = "Attachments" };
                    }
                    catch (SmtpHandlerException ex)
                    {
                        // The message could not be built (an attachment went away since it was checked).
                        failure = ex;
                    }
                    catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                    {
                        failure = new SmtpHandlerException(
                            "PickupWriteFailed",
                            SmtpFailureKind.ResourceUnavailable,
                            $"Could not write to the pickup directory '{config.PickupDirectory}': {ex.Message}",
                            config.PickupDirectory,
                            ex);
                    }
                }

                var reason = failure!.Message;
                recipients.AddRange(batch.Select(m => new SmtpRecipientResult(m.Address, SmtpRecipientStatus.NotAttempted, reason: reason)));
            }

            message.Release();
            return new SmtpSendResult(
                message.MessageId,
                message.Subject,
                message.EnvelopeSender,
                recipients.Concat(message.RefusedBeforeSending).ToArray(),
                files.Count,
                0,
                clock.Elapsed,
                config.PickupDirectory!,
                files,
                failure?.ErrorId,
                failure?.Message);
        }

        private string WriteFile(PreparedMessage message, List<MailboxAddress> batch)
        {
            var name = Guid.NewGuid().ToString("N");
            var temp = Path.Combine(config.PickupDirectory!, name + ".tmp");
            var final = Path.Combine(config.PickupDirectory!, name + ".eml");
            var envelope = new StringBuilder();
            envelope.Append("X-Sender: ").Append(message.EnvelopeSender).Append("\r\n");
            foreach (var mailbox in batch)
            {
                envelope.Append("X-Receiver: ").Append(mailbox.Address).Append("\r\n");
            }

            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            try
            {
                using (var stream = CreateNew(temp))
                {
                    var bytes = Encoding.UTF8.GetBytes(envelope.ToString());
                    stream.Write(bytes, 0, bytes.Length);
                    message.Mime.WriteTo(options, stream);
                }

                // A pickup service must never see a half-written file.
                File.Move(temp, final);
            }
            catch
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    // Nothing more can be done about a folder that refuses writes.
                }

                throw;
            }
            log.Step($"Wrote {final} for {batch.Count} recipient(s)");
            return final;
        }

        /// <summary>
        /// A new file for writing, failing if it exists; on Unix readable by its owner only (0600) from the moment it
        /// exists. On Windows it takes the folder's ACL: protect the folder.
        /// </summary>
        internal static FileStream CreateNew(string path)
        {
            if (OwnerOnlyOptions() is { } options)
            {
                try
                {
                    return (FileStream)FileStreamWithOptions!.Invoke(new[] { path, options });
                }
                catch (TargetInvocationException ex) when (ex.InnerException != null)
                {
                    // The same IOException (the file exists, the folder went away) a plain FileStream throws.
                    ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                    throw;
                }
            }

            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }

        // .NET 7+ FileStreamOptions.UnixCreateMode gives open(2) the mode itself (no chmod after, so no moment when others
        // may open the file); netstandard2.0 reaches it by reflection. Unix PowerShell runs on .NET 8+, so it is there.
        private static object? OwnerOnlyOptions()
        {
            if (OptionsType == null || FileStreamWithOptions == null || RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return null;
            }

            var options = Activator.CreateInstance(OptionsType);
            OptionsType.GetProperty("Mode")!.SetValue(options, FileMode.CreateNew);
            OptionsType.GetProperty("Access")!.SetValue(options, FileAccess.Write);
            OptionsType.GetProperty("Share")!.SetValue(options, FileShare.None);
            var unixCreateMode = OptionsType.GetProperty("UnixCreateMode")!;
            var modeType = Nullable.GetUnderlyingType(unixCreateMode.PropertyType) ?? unixCreateMode.PropertyType;
            unixCreateMode.SetValue(options, Enum.ToObject(modeType, OwnerReadWrite));
            return options;
        }
    }
}
