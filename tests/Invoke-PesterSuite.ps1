# Runs the Pester suites in this (new) pwsh process against the built module, and writes a count summary.
param(
    [Parameter(Mandatory)] [string] $PesterModule,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultFile,
    # Comma-separated test files; all tests/*.Tests.ps1 when empty.
    [string] $Path
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterModule  # the version build.ps1 restored (tests/tools/TestTools.csproj)
$env:SMTPHANDLER_MODULE_PATH = $ModulePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($Path) { $Path -split ',' } else { @(Get-ChildItem $PSScriptRoot -Filter *.Tests.ps1 -Recurse | ForEach-Object FullName) }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.StackTraceVerbosity = 'Filtered'
$result = Invoke-Pester -Configuration $configuration

# A file that fails to load or a failing BeforeAll counts too: nothing may fail silently.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $ResultFile

