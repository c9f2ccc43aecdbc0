# Shared set-up for every Pester file: the built module and the test servers.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

. (Join-Path $PSScriptRoot 'TestServers.ps1')

$script:ModulePath = if ($env:SMTPHANDLER_MODULE_PATH) { $env:SMTPHANDLER_MODULE_PATH } else { Join-Path (Split-Path $PSScriptRoot -Parent) 'output/SmtpHandler' }
Import-Module $script:ModulePath -Force

function Invoke-NewPwsh {
    # Runs a script in a new pwsh process (the same PowerShell that runs the tests) and returns its output lines.
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $info.ArgumentList.Add($pwshDll)
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $info.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $info.Environment[$k] = $Environment[$k] }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $p = [System.Diagnostics.Process]::Start($info)
    $stderr = $p.StandardError.ReadToEndAsync()
    $stdout = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout; Error = $stderr.Result }
}
