using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// PowerShell runs this when it imports SmtpHandler.dll (the root module), before any cmdlet runs: it makes
    /// the engine and its libraries in bin/ resolvable, where PowerShell does not look, and loads nothing else.
    /// PowerShell 7: SmtpHandler.Loader gives them a private AssemblyLoadContext, so other modules' versions of
    /// MailKit and co. do not clash with ours. Windows PowerShell 5.1: an AssemblyResolve handler (one AppDomain).
    /// Nothing here may name an engine type: the engine must not resolve before the loader is in place.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        // The core library's name tells the runtimes apart without parsing a description: System.Private.CoreLib
        // on .NET (PowerShell 7), mscorlib on .NET Framework (Windows PowerShell 5.1).
        private static readonly bool IsCoreClr = typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

        public void OnImport()
        {
            if (IsCoreClr)
            {
                RegisterLoader();
                EngineTypeAccelerators.Register();
            }
            else
            {
                DesktopAssemblyResolver.Register();
            }
        }

        // Remove-Module: the engine stays loaded (an assembly can't be unloaded), but its names leave the session.
        // IModuleAssemblyCleanup is in Windows PowerShell 5.1 too (PowerShellStandard.Library 5.1 defines it).
        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (IsCoreClr)
            {
                EngineTypeAccelerators.Unregister();
            }
        }

        // By reflection: SmtpHandler.dll is netstandard2.0 and can't reference the net8.0 loader.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void RegisterLoader()
        {
            var directory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
            var loader = Assembly.LoadFrom(Path.Combine(directory, "bin", "SmtpHandler.Loader.dll"));
            loader.GetType("SmtpHandler.Loader.ModuleLoader", throwOnError: true)!
                .GetMethod("Register", BindingFlags.Public | BindingFlags.Static)!
                .Invoke(null, null);
        }
    }
}
