using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SmtpHandler.Loader
{
    /// <summary>
    /// Called by SmtpHandler.psm1 on PowerShell 7 before the cmdlet assembly is imported. The cmdlet assembly
    /// stays in the default context; when it first needs SmtpHandler.Engine, the default context asks here
    /// and gets the engine from the private context, whose own references (MailKit and co.) then resolve
    /// from bin. Nothing is loaded until that first request.
    /// </summary>
    public static class ModuleLoader
    {
        private const string EngineName = "SmtpHandler.Engine";
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

                var directory = Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location)!;
                context = new EngineLoadContext(directory);
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
            }
        }

        private static Assembly? ResolveEngine(AssemblyLoadContext requester, AssemblyName assemblyName) =>
            assemblyName.Name == EngineName ? context!.LoadFromAssemblyName(assemblyName) : null;
    }
}
