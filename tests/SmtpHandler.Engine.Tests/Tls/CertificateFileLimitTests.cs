using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// Certificate and key files that are not small regular files: refused with InvalidCertificateFile at config
    /// time, without waiting on a named pipe and without reading a device or a huge file into memory.
    /// </summary>
    [Collection(PeakWorkingSet.Name)]
    public sealed class CertificateFileLimitTests : IClassFixture<TestCertificates>
    {
        // "A few MB": reading nothing costs nothing, and even a whole 1 MiB file stays far below this.
        private const long AllowedGrowth = 8 * 1024 * 1024;
        private static readonly TimeSpan PipeWait = TimeSpan.FromSeconds(10);
        private readonly TestCertificates certs;
        private readonly ITestOutputHelper output;

        public CertificateFileLimitTests(TestCertificates certs, ITestOutputHelper output)
        {
            this.certs = certs;
            this.output = output;
        }

        [Fact]
        public void An_empty_file_is_InvalidCertificateFile_for_the_trusted_the_client_and_the_key_parameter()
        {
            var empty = Path.Combine(certs.Directory, "empty.pem");
            File.WriteAllBytes(empty, Array.Empty<byte>());

            foreach (var (config, parameter) in new[]
            {
                (new SmtpHandlerConfig { TrustedCertificatePaths = new[] { empty } }, "TrustedCertificatePath"),
                (new SmtpHandlerConfig { ClientCertificatePath = empty }, "ClientCertificatePath"),
                (new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPem, ClientCertificateKeyPath = empty }, "ClientCertificateKeyPath"),
            })
            {
                var error = ConfigError(config);
                Assert.Equal("InvalidCertificateFile", error.ErrorId);
                Assert.Equal(parameter, error.ParameterName);
                Assert.Contains("is empty", error.Message);
            }
        }

        [Fact]
        public void A_directory_is_refused_as_a_directory()
        {
            var error = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { certs.Directory } });

            Assert.Equal("InvalidCertificateFile", error.ErrorId);
            Assert.Contains("is a directory", error.Message);
        }

        [Fact]
        public async Task A_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // Windows has no named pipes in the file system.
            }

            var pipe = Path.Combine(certs.Directory, "pipe-" + Guid.NewGuid().ToString("N") + ".pem");
            Run("mkfifo", pipe);
            var load = Task.Factory.StartNew(
                () => ConfigError(new SmtpHandlerConfig { ClientCertificatePath = certs.ClientPem, ClientCertificateKeyPath = pipe }),
                TaskCreationOptions.LongRunning);
            var finished = await Task.WhenAny(load, Task.Delay(PipeWait)) == load;
            if (!finished)
            {
                // Let the reader blocked in open() go, so the test host is not left with a stuck thread.
                using (new FileStream(pipe, FileMode.Open, FileAccess.Write))
                {
                }
            }

            Assert.True(finished, $"reading a named pipe was still waiting after {PipeWait.TotalSeconds} s");
            var error = await load;
            Assert.Equal("InvalidCertificateFile", error.ErrorId);
            Assert.Equal("ClientCertificateKeyPath", error.ParameterName);
            Assert.Contains("not a regular file", error.Message);
        }

        [Fact]
        public void A_link_to_dev_zero_is_refused_without_reading_it()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // No /dev/zero.
            }

            var link = Path.Combine(certs.Directory, "zero-" + Guid.NewGuid().ToString("N") + ".pem");
            File.CreateSymbolicLink(link, "/dev/zero");
            SmtpHandlerException? error = null;

            var growth = PeakWorkingSet.GrowthDuring(() => error = ConfigError(new SmtpHandlerConfig { TrustedCertificatePaths = new[] { link } }));

            output.WriteLine($"peak working set grew by {growth / 1024} KB");
            Assert.Equal("InvalidCertificateFile", error!.ErrorId);
            Assert.Contains("not a regular file", error.Message);
            Assert.True(growth < AllowedGrowth, $"the peak working set grew by {growth / (1024 * 1024)} MB");
        }

        [Fact]
        public void A_300_MB_file_is_refused_by_its_size_without_reading_it()
        {
            var big = Path.Combine(certs.Directory, "big-" + Guid.NewGuid().ToString("N") + ".pfx");
            using (var stream = new FileStream(big, FileMode.CreateNew))
            {
                stream.SetLength(300L * 1024 * 1024); // Sparse: no disk and no memory spent making it.
            }

            SmtpHandlerException? error = null;
            try
            {
                var growth = PeakWorkingSet.GrowthDuring(() => error = ConfigError(new SmtpHandlerConfig { ClientCertificatePath = big }));

                output.WriteLine($"peak working set grew by {growth / 1024} KB");
                Assert.Equal("InvalidCertificateFile", error!.ErrorId);
                Assert.Equal("ClientCertificatePath", error.ParameterName);
                Assert.Contains("larger than", error.Message);
                Assert.True(growth < AllowedGrowth, $"the peak working set grew by {growth / (1024 * 1024)} MB");
            }
            finally
            {
                File.Delete(big);
            }
        }

        [Fact]
        public void A_link_to_a_certificate_file_is_still_read()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // Creating a link needs a privilege there.
            }

            var link = Path.Combine(certs.Directory, "ca-link-" + Guid.NewGuid().ToString("N") + ".pem");
            File.CreateSymbolicLink(link, certs.CaPem);

            var loaded = Assert.Single(CertificateFiles.LoadTrusted(link));

            Assert.Equal(certs.Ca.Thumbprint, loaded.Thumbprint);
        }

        private static SmtpHandlerException ConfigError(SmtpHandlerConfig config) => Assert.Throws<SmtpHandlerException>(() => config.Validate());

        private static void Run(string program, string argument)
        {
            using var process = Process.Start(new ProcessStartInfo(program) { ArgumentList = { argument }, UseShellExecute = false })!;
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        }
    }
}
