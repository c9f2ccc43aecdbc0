# SmtpHandler's root module. The cmdlets are in SmtpHandler.dll; the engine and the libraries it uses
# (MailKit, MimeKit, BouncyCastle) are in bin/, where PowerShell does not look. Before the cmdlets load,
# this makes bin/ resolvable, and loads nothing else:
# - PowerShell 7: SmtpHandler.Loader gives the engine and its libraries a private AssemblyLoadContext,
#   so other versions of them, loaded by other modules, do not clash with ours;
# - Windows PowerShell 5.1: an AssemblyResolve handler finds them in bin/ (one AppDomain: see the README).
# (Assembly.LoadFrom rather than Add-Type, which would import Microsoft.PowerShell.Utility first.)
if ($PSEdition -eq 'Core') {
    $null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'bin', 'SmtpHandler.Loader.dll'))
    [SmtpHandler.Loader.ModuleLoader]::Register()
}
else {
    $null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'SmtpHandler.dll'))
    [SmtpHandler.Commands.DesktopAssemblyResolver]::Register()
}
Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'SmtpHandler.dll'))

if ($PSEdition -eq 'Core') {
    # PowerShell 7 looks for type literals only in the default load context, not in the engine's: type
    # accelerators make [SmtpHandler.SmtpSendResult] and the other engine types the cmdlets use resolve.
    [SmtpHandler.Commands.EngineTypeAccelerators]::Register()
    $ExecutionContext.SessionState.Module.OnRemove = { [SmtpHandler.Commands.EngineTypeAccelerators]::Unregister() }
}
