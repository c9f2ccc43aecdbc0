<#
.SYNOPSIS
    Makes the .nupkg the PowerShell Gallery takes from a laid-out module folder, by publishing it with
    Publish-PSResource to a temporary local file repository; writes the package to -Destination and returns it.
.DESCRIPTION
    PSResourceGet keeps registered repositories in the user's data folder. The publish runs in a child pwsh
    whose data folder is temporary, so the user's registrations (and parallel builds) are never touched.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Destination
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$work = Join-Path ([System.IO.Path]::GetTempPath()) "SmtpHandler-package-$([guid]::NewGuid().ToString('n'))"
$repository = Join-Path $work 'repository'
$data = Join-Path $work 'data'
New-Item -ItemType Directory -Path $repository, $data | Out-Null
try {
    $quote = { param([string] $s) "'" + ($s -replace "'", "''") + "'" }
    $script = @"
`$ErrorActionPreference = 'Stop'
if ([Environment]::GetFolderPath('LocalApplicationData') -ne $(& $quote $data)) { throw 'PSResourceGet would use the user data folder, not the temporary one' }
Register-PSResourceRepository -Name SmtpHandlerBuild -Uri $(& $quote $repository) -Trusted
Publish-PSResource -Path $(& $quote $ModulePath) -Repository SmtpHandlerBuild
"@
    $saved = @{ XDG_DATA_HOME = $env:XDG_DATA_HOME; LOCALAPPDATA = $env:LOCALAPPDATA }
    $env:XDG_DATA_HOME = $data
    $env:LOCALAPPDATA = $data
    try {
        # The same PowerShell as this one: as a dotnet tool (dotnet pwsh.dll) or installed (pwsh).
        $pwsh = [Environment]::ProcessPath
        $pwshArguments = @(if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        & $pwsh @pwshArguments -NoProfile -NonInteractive -Command $script | Out-Host
        $exit = $LASTEXITCODE
    }
    finally {
        $env:XDG_DATA_HOME = $saved.XDG_DATA_HOME
        $env:LOCALAPPDATA = $saved.LOCALAPPDATA
    }
    if ($exit -ne 0) { throw "Publish-PSResource failed (exit $exit)" }

    $package = @(Get-ChildItem $repository -Filter *.nupkg)
    if ($package.Count -ne 1) { throw "Publish-PSResource left $($package.Count) packages in $repository, not one" }
    New-Item -ItemType Directory -Force -Path $Destination | Out-Null
    Copy-Item $package[0].FullName $Destination -Force -PassThru
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
