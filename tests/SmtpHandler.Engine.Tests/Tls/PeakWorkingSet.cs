using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// How much a piece of code raised the process's peak working set. Tests that measure it run alone (their
    /// collection is not parallel), so no other test's allocations count against them.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class PeakWorkingSet
    {
        public const string Name = "Peak working set";

        /// <summary>Bytes the peak grew by while <paramref name="action"/> ran.</summary>
        public static long GrowthDuring(Action action)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ResetPeak();
            var before = Peak();
            action();
            return Peak() - before;
        }

        private static long Peak()
        {
            using var process = Process.GetCurrentProcess();
            return process.PeakWorkingSet64;
        }

        // On Linux the peak (VmHWM) can be brought down to the current working set, so an earlier test's peak
        // can't hide growth; elsewhere the growth is measured against the peak so far.
        private static void ResetPeak()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
            }
        }
    }
}
