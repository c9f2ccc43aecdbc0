#Requires -Version 7.2
<#
.SYNOPSIS
    Creates or refreshes docs/<Cmdlet>.md for every cmdlet the loaded module exports.
.DESCRIPTION
    Run it in a pwsh that imported the built module (build.ps1 -Task UpdateDocs builds, starts a new pwsh,
    imports output/SmtpHandler and runs this). For each exported cmdlet:
    - no page yet: writes a new one in the platyPS schema with {{ placeholders }} for the text;
    - a page exists: rewrites what the compiled cmdlet determines (front matter, SYNTAX, each parameter's
      yaml blocks, the list of input and output types) and keeps every human-written part as it is
      (synopsis, description, examples, parameter descriptions, type descriptions, notes, links).
      A new parameter gets "{{ Fill Name Description }}"; a parameter the cmdlet no longer has is dropped.
    Nothing else is touched. tests/Help.Tests.ps1 fails while a placeholder is left.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task UpdateDocs
.EXAMPLE
    Import-Module ./output/SmtpHandler; ./tools/Update-CommandDocs.ps1
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $ModuleName = 'SmtpHandler',

    # The folder of the markdown pages.
    [string] $Path = (Join-Path (Split-Path $PSScriptRoot -Parent) 'docs'),

    # Imports this module folder first: for a new pwsh started only to run this script.
    [string] $ImportModule
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'CommandDocs.psm1') -Force

if ($ImportModule) { Import-Module $ImportModule }
$module = Get-Module $ModuleName
if (-not $module) { throw "Import the built module first: Import-Module ./output/$ModuleName" }
$null = New-Item -ItemType Directory -Force -Path $Path
$utf8 = [System.Text.UTF8Encoding]::new($false)

$commands = @(Get-Command -Module $ModuleName -CommandType Cmdlet | Sort-Object Name)
foreach ($command in $commands) {
    $file = Join-Path $Path "$($command.Name).md"
    $existing = if (Test-Path $file) { Read-CommandDoc -Path $file } else { $null }
    $facts = Get-CommandDocFacts -Command $command
    $markdown = ConvertTo-CommandDocMarkdown -Facts $facts -Existing $existing

    $old = if ($existing) { [System.IO.File]::ReadAllText($file) } else { $null }
    $state = if (-not $existing) { 'created' } elseif ($old -ceq $markdown) { 'unchanged' } else { 'updated' }
    if ($state -ne 'unchanged' -and $PSCmdlet.ShouldProcess($file, "Write the $($command.Name) page")) {
        [System.IO.File]::WriteAllText($file, $markdown, $utf8)
    }

    $added = @($facts.Parameters.Name | Where-Object { -not $existing -or -not $existing.Parameters.Contains($_) })
    $removed = @(if ($existing) { $existing.Parameters.Keys | Where-Object { $_ -notin $facts.Parameters.Name } })
    $todo = @((Read-CommandDoc -Text $markdown).Parameters.Values | Where-Object { Test-DocPlaceholder $_.Description } | ForEach-Object Name)
    $report = [pscustomobject]@{
        Cmdlet            = $command.Name
        Page              = [System.IO.Path]::GetRelativePath((Get-Location).Path, $file)
        State             = $state
        AddedParameters   = $added
        RemovedParameters = $removed
        NeedsDescription  = $todo
    }
    if ($ImportModule) {
        $todo = if ($report.NeedsDescription) { "; describe: $($report.NeedsDescription -join ', ')" } else { '' }
        Write-Host "$($report.Page): $state$(if ($added) { "; new: $($added -join ', ')" })$(if ($removed) { "; dropped: $($removed -join ', ')" })$todo"
    }
    else { $report }
}

foreach ($page in Get-ChildItem $Path -Filter *.md | Where-Object { $_.Name -notlike 'about_*' -and $_.BaseName -notin $commands.Name }) {
    Write-Warning "$($page.Name) documents no cmdlet that $ModuleName exports: delete it if the cmdlet is gone."
}

