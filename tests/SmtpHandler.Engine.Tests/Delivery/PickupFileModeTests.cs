using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Pickup files hold whole messages: on Unix only their owner may read them, from the moment they exist
    /// (mode 0600 given when the file is created, so no other user can open it before a chmod). On Windows a
    /// new file takes the folder's ACL, which is what protects it there.
    /// </summary>
    public sealed class PickupFileModeTests : IDisposable
    {
        private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        private readonly string directory = Path.Combine(Path.GetTempPath(), "smtphandler-pickup-mode-" + Guid.NewGuid().ToString("N"));

        public PickupFileModeTests() => Directory.CreateDirectory(directory);

        public void Dispose() => Directory.Delete(directory, true);

        [Fact]
        public void A_pickup_file_is_readable_by_its_owner_only()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // The folder's ACL decides there.
            }

            var mailer = new SmtpMailer(new SmtpHandlerConfig { PickupDirectory = directory }.Validate());
            var result = mailer.Send(new[] { mailer.Prepare(new SmtpMessage { From = "a@example.test", To = new[] { "b@example.test" }, Subject = "Private", TextBody = "secret" }) }).Single();

            var file = Assert.Single(result.PickupFiles);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(file));
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal("600", Stat(file));
            }
        }

        [Fact]
        public void The_file_is_owner_only_when_it_is_created_before_a_byte_is_written()
        {
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            var path = Path.Combine(directory, "new.tmp");
            using (var stream = PickupWriter.CreateNew(path))
            {
                Assert.Equal(0, stream.Length);
                Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
            }

            Assert.Throws<IOException>(() => PickupWriter.CreateNew(path).Dispose());
        }

        private static string Stat(string path)
        {
            using var process = Process.Start(new ProcessStartInfo("stat") { ArgumentList = { "-c", "%a", path }, RedirectStandardOutput = true })!;
            var mode = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return mode;
        }
    }
}
