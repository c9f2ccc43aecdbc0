using System;
using System.IO;
using System.Reflection;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Windows PowerShell 5.1 only (PowerShell 7 uses SmtpHandler.Loader instead): ModuleInitializer calls
    /// <see cref="Register"/> before the cmdlets load, so the engine and its libraries resolve from the
    /// module's bin folder. .NET Framework has a single AppDomain and no load contexts: this can not keep
    /// another module's MailKit apart from ours, it can only find ours (see the README).
    /// </summary>
    internal static class DesktopAssemblyResolver
    {
        private static readonly object Gate = new();
        private static string? directory;

        /// <summary>Hooks AppDomain.AssemblyResolve for the bin folder. Calling it again does nothing.</summary>
        public static void Register()
        {
            lock (Gate)
            {
                if (directory != null)
                {
                    return;
                }

                directory = Path.Combine(Path.GetDirectoryName(typeof(DesktopAssemblyResolver).Assembly.Location)!, "bin");
                AppDomain.CurrentDomain.AssemblyResolve += Resolve;
            }
        }

        /// <summary>
        /// Serves an assembly from bin when it is there in the version asked for or a newer one: the binding
        /// redirects a .NET Framework application would otherwise need for the netstandard2.0 polyfills.
        /// </summary>
        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var requested = new AssemblyName(args.Name);
            var path = Path.Combine(directory!, requested.Name + ".dll");
            if (!File.Exists(path))
            {
                return null;
            }

            var available = AssemblyName.GetAssemblyName(path);
            return requested.Version == null || available.Version >= requested.Version ? Assembly.LoadFrom(path) : null;
        }
    }
}
