using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace SmtpHandler.Loader
{
    /// <summary>
    /// Called by SmtpHandler.dll's ModuleInitializer on PowerShell 7 when the module is imported. The cmdlet
    /// assembly stays in the default context; when it first needs SmtpHandler.Engine, the default context asks
    /// here and gets the engine from the private context, whose own references (MailKit and co.) then resolve
    /// from bin. Nothing is loaded until that first request.
    /// </summary>
    public static class ModuleLoader
    {
        private const string EngineName = "SmtpHandler.Engine";

        // The .NET major version the ReadyToRun folders are compiled for: its runtime uses their native code;
        // any other runtime would reject it and JIT-compile everything anyway, so it gets the IL in bin/.
        private const int ReadyToRunMajorVersion = 10;

        private static readonly object Gate = new();
        private static EngineLoadContext? context;

        /// <summary>Hooks the default context's resolution of the engine. Calling it again does nothing.</summary>
        public static void Register()
        {
            lock (Gate)
            {
                if (context != null)
                {
                    return;
                }

                var bin = Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location)!;
                context = new EngineLoadContext(ReadyToRunDirectory(bin), bin);
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
            }
        }

        /// <summary>
        /// bin/net10.0-&lt;os&gt;-&lt;arch&gt; when this runtime can use it and the module ships it for this platform,
        /// else null (bin/ alone). From the OS and architecture rather than RuntimeInformation.RuntimeIdentifier,
        /// which is a distribution's own RID (ubuntu.24.04-x64 and the like) on a runtime it built itself.
        /// </summary>
        internal static string? ReadyToRunDirectory(string bin)
        {
            if (Environment.Version.Major != ReadyToRunMajorVersion)
            {
                return null;
            }

            var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsLinux() ? "linux" : null;
            var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            var directory = Path.Combine(bin, $"net{ReadyToRunMajorVersion}.0-{os}-{architecture}");
            return os != null && Directory.Exists(directory) ? directory : null;
        }

        private static Assembly? ResolveEngine(AssemblyLoadContext requester, AssemblyName assemblyName) =>
            assemblyName.Name == EngineName ? context!.LoadFromAssemblyName(assemblyName) : null;
    }
}
