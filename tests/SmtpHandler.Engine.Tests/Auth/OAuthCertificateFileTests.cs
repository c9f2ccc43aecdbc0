using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>-OAuthCertificatePath is read under the same guard as every other certificate file (Tls/RegularFile).</summary>
    public sealed class OAuthCertificateFileTests : IDisposable
    {
        private readonly string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "oauth-cert-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(directory, recursive: true);

        private static SmtpHandlerException Load(string path) =>
            Assert.Throws<SmtpHandlerException>(() => new ClientCredentialsTokenSource("contoso.test", "client-id", certificatePath: path).Dispose());

        [Fact]
        public void An_empty_file_and_a_missing_file_are_clear_errors_naming_the_parameter()
        {
            var empty = Path.Combine(directory, "empty.pfx");
            File.WriteAllBytes(empty, Array.Empty<byte>());

            var error = Load(empty);
            Assert.Equal("OAuthCertificatePath", error.ParameterName);
            Assert.Contains("is empty", error.Message);

            error = Load(Path.Combine(directory, "missing.pfx"));
            Assert.Equal("OAuthCertificatePath", error.ParameterName);
            Assert.Contains("does not exist", error.Message);
        }

        [Fact]
        public async Task A_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // no named pipes in the Windows file system
            }

            var pipe = Path.Combine(directory, "pipe.pfx");
            using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { pipe }, UseShellExecute = false })!)
            {
                mkfifo.WaitForExit();
                Assert.Equal(0, mkfifo.ExitCode);
            }

            var load = Task.Factory.StartNew(() => Load(pipe), TaskCreationOptions.LongRunning);
            var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10))) == load;
            if (!finished)
            {
                // Let a reader blocked in open() go, so the test host is not left with a stuck thread.
                using (new FileStream(pipe, FileMode.Open, FileAccess.Write))
                {
                }
            }

            Assert.True(finished, "reading a named pipe as the OAuth certificate was still waiting after 10 s");
            var error = await load;
            Assert.Equal("OAuthCertificatePath", error.ParameterName);
            Assert.Contains("not a regular file", error.Message);
        }
    }
}
