using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SmtpHandler.Loader
{
    /// <summary>
    /// The module's private load context: the engine and the libraries it ships with come from the module's
    /// folders, whatever else the session has loaded: first the ReadyToRun folder for this runtime and platform
    /// when there is one (the engine, MailKit and MimeKit precompiled), then bin/ (IL, for every runtime). What
    /// the runtime or PowerShell itself provides (System.*, netstandard) is shared with the default context,
    /// so framework types stay one type.
    /// </summary>
    internal sealed class EngineLoadContext : AssemblyLoadContext
    {
        private readonly string[] directories;
        private Dictionary<string, string>? platformAssemblies;

        public EngineLoadContext(string? readyToRunDirectory, string directory)
            : base("SmtpHandler", isCollectible: false)
        {
            directories = readyToRunDirectory == null ? new[] { directory } : new[] { readyToRunDirectory, directory };
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name == null)
            {
                return null;
            }

            foreach (var directory in directories)
            {
                var path = Path.Combine(directory, assemblyName.Name + ".dll");
                if (File.Exists(path))
                {
                    return PlatformProvides(assemblyName) ? null : LoadFromAssemblyPath(path);
                }
            }

            return null;
        }

        /// <summary>
        /// Whether the application (the runtime and PowerShell's own assemblies) has this assembly in a version
        /// at least as new as the one asked for; the netstandard2.0 polyfills in bin (System.Memory and the like)
        /// are for Windows PowerShell and must not shadow the framework's own.
        /// </summary>
        private bool PlatformProvides(AssemblyName assemblyName)
        {
            platformAssemblies ??= ReadPlatformAssemblies();
            if (!platformAssemblies.TryGetValue(assemblyName.Name!, out var platformPath))
            {
                return false;
            }

            var requested = assemblyName.Version;
            return requested == null || AssemblyName.GetAssemblyName(platformPath).Version >= requested;
        }

        private static Dictionary<string, string> ReadPlatformAssemblies()
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var list = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? string.Empty;
            foreach (var path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                result.TryAdd(Path.GetFileNameWithoutExtension(path), path);
            }

            return result;
        }
    }
}
