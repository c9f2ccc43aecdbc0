#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and demonstrates SmtpHandler.
.DESCRIPTION
    Build  - compiles Release and lays out the importable module in output/SmtpHandler, with ReadyToRun
             images of the engine, MailKit and MimeKit for PowerShell 7.6 (.NET 10) on win-x64, linux-x64, osx-arm64.
    Test   - Build, then every xunit and Pester suite; ends with one line "N passed, N failed[, N skipped]"
             and exits non-zero when anything failed.
    Docs   - Turn docs/*.md (platyPS format) into en-US/SmtpHandler.dll-Help.xml and about_*.help.txt.
    UpdateDocs - Build, then refresh docs/<Cmdlet>.md from the compiled cmdlets (tools/Update-CommandDocs.ps1,
             in a new pwsh): syntax and parameter metadata; new parameters get placeholders. Then Docs again.
    Package - Build, then the .nupkg the PowerShell Gallery takes, made by Publish-PSResource to a temporary
             local repository (tools/New-ModulePackage.ps1), in artifacts/.
    Demo   - Build, start a local smtp4dev, send through the module, show what arrived, stop the server.
    Bench  - Build, then bench/Invoke-Benchmark.ps1: throughput, batching, memory and start-up against smtp-sink,
             side by side with smtp-source, raw MailKit, smtplib and Send-MailMessage; writes bench/results.md.
             Never part of Test.
    Run it as: dotnet tool restore; dotnet pwsh ./build.ps1 -Task <Task>
    A quick loop: Build keeps the ReadyToRun images while the IL they come from is unchanged; -NoReadyToRun
    leaves them out (IL only); -NoBuild runs Test (with -PesterPath, -SkipXunit) on the module already in output/.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Docs', 'UpdateDocs', 'Test', 'Package', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester files to run (default: every tests/*.Tests.ps1); handy while working on one cmdlet.
    [string[]] $PesterPath,

    # Skip the xunit suites (only with -PesterPath, for quick local loops).
    [switch] $SkipXunit,

    # Test, Demo, Package, Bench: use the module already laid out in output/ (for quick local loops; CI never
    # gives it). Without it, an unchanged build still skips the ReadyToRun step (see Invoke-ReadyToRun).
    [switch] $NoBuild,

    # Build, Test: lay out the module without the ReadyToRun images (it then loads bin/'s IL everywhere), for
    # quick local loops while the IL changes on every build; CI and packages never give it.
    [switch] $NoReadyToRun,

    # Bench: runs of each scenario (the median and spread are reported), and which scenarios (1-5).
    [int] $Repetitions = 5,
    [string[]] $Scenario = @('1', '2', '3', '4', '5')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$ModuleName = 'SmtpHandler'
$OutputModule = Join-Path $Root "output/$ModuleName"
$Artifacts = Join-Path $Root 'artifacts'
# ReadyToRun images for Windows x64, Linux x64 and macOS on Apple silicon (other platforms use bin/'s IL), of the
# assemblies every send runs; BouncyCastle (certificate and key files) is rarely needed and stays IL.
$ReadyToRunRids = @('win-x64', 'linux-x64', 'osx-arm64')
$ReadyToRunAssemblies = @("$ModuleName.Engine", 'MailKit', 'MimeKit')

function Invoke-Native {
    # Runs a native command and stops the build when it fails.
    param([Parameter(Mandatory)][string] $Command, [string[]] $Arguments)
    & $Command @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Docs {
    # platyPS is not obtainable here: tools/HelpBuilder (Markdig) reads the same markdown schema.
    if (-not (Get-ChildItem (Join-Path $Root 'docs') -Filter *.md -ErrorAction SilentlyContinue)) { return }
    Write-Host '== Docs' -ForegroundColor Cyan
    Invoke-Native dotnet @('run', '--project', (Join-Path $Root 'tools/HelpBuilder'), '-c', $Configuration, '-v', 'quiet', '--',
        (Join-Path $Root 'docs'), (Join-Path $Root 'en-US'), "$ModuleName.dll")
}

function Invoke-UpdateDocs {
    # No Docs before this build: the pages may be the very thing that is out of date.
    Invoke-ModuleBuild -NoDocs
    Write-Host '== UpdateDocs (new pwsh, against output/)' -ForegroundColor Cyan
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tools/Update-CommandDocs.ps1'), '-ImportModule', $OutputModule)
    Invoke-Docs
    Copy-Item (Join-Path $Root 'en-US') -Destination $OutputModule -Recurse -Force
}

function Invoke-ModuleBuild {
    param([switch] $NoDocs)
    if (-not $NoDocs) { Invoke-Docs }
    Write-Host "== Build ($Configuration)" -ForegroundColor Cyan
    $publish = Join-Path $Artifacts "publish/$ModuleName"
    $publishLoader = Join-Path $Artifacts "publish/$ModuleName.Loader"
    foreach ($folder in $publish, $publishLoader) { if (Test-Path $folder) { Remove-Item $folder -Recurse -Force } }
    Invoke-Native dotnet @('publish', (Join-Path $Root "src/$ModuleName/$ModuleName.csproj"), '-c', $Configuration, '-o', $publish, '--nologo', '-v', 'quiet')
    Invoke-Native dotnet @('publish', (Join-Path $Root "src/$ModuleName.Loader/$ModuleName.Loader.csproj"), '-c', $Configuration, '-o', $publishLoader, '--nologo', '-v', 'quiet')
    $readyToRun = if ($NoReadyToRun) { @() } else { Invoke-ReadyToRun -IlDirectory $publish }

    # Layout: the manifest, the cmdlet assembly (the root module), format files, help and license at the top;
    # the engine, its dependencies and the loader in bin/, where PowerShell does not probe (ModuleInitializer.cs
    # makes them resolvable); bin/net10.0-<rid>/ holds the ReadyToRun engine, MailKit and MimeKit, which the
    # loader prefers on .NET 10 for that platform (BouncyCastle and the rest still come from bin/).
    if (Test-Path $OutputModule) { Remove-Item $OutputModule -Recurse -Force }
    $bin = Join-Path $OutputModule 'bin'
    New-Item -ItemType Directory -Path $bin | Out-Null
    Write-ModuleManifest -Destination (Join-Path $OutputModule "$ModuleName.psd1")
    Copy-Item (Join-Path $Root 'LICENSE') $OutputModule
    Get-ChildItem (Join-Path $Root 'src/*.ps1xml') -ErrorAction SilentlyContinue | Copy-Item -Destination $OutputModule
    Copy-Item (Join-Path $publish "$ModuleName.dll") $OutputModule
    # The module ships its own assemblies and their dependencies; PowerShell's own assemblies never.
    Get-ChildItem $publish -Filter *.dll |
        Where-Object Name -NotIn @("$ModuleName.dll", 'System.Management.Automation.dll', 'Microsoft.PowerShell.CoreCLR.Eventing.dll') |
        Copy-Item -Destination $bin
    Copy-Item (Join-Path $publishLoader "$ModuleName.Loader.dll") $bin
    foreach ($set in $readyToRun) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $bin "net10.0-$($set.Rid)")
        foreach ($name in $ReadyToRunAssemblies) { Copy-Item (Join-Path $set.Folder "$name.dll") $folder }
    }
    $help = Join-Path $Root 'en-US'
    if (Get-ChildItem $help -File -ErrorAction SilentlyContinue) {
        Copy-Item $help -Destination $OutputModule -Recurse
    }
    Write-Host "Module laid out at $OutputModule"
}

function Invoke-ReadyToRun {
    # ReadyToRun (precompiled) engine, MailKit and MimeKit for PowerShell 7.6's .NET 10, one folder per platform:
    # a new process then JIT-compiles little of the send path. Other runtimes and Windows PowerShell use bin/'s IL.
    # The compiler's slowest step: skipped for a platform whose folder was made from the very same IL (builds are
    # deterministic, so unchanged sources give the same bytes).
    param([Parameter(Mandatory)] [string] $IlDirectory)
    $inputs = (Get-ChildItem $IlDirectory -Filter *.dll | Sort-Object Name | ForEach-Object {
            "$($_.Name) $((Get-FileHash $_.FullName -Algorithm SHA256).Hash)" }) -join "`n"
    foreach ($rid in $ReadyToRunRids) {
        $folder = Join-Path $Artifacts "publish/$ModuleName.ReadyToRun/$rid"
        $stamp = Join-Path $Artifacts "publish/$ModuleName.ReadyToRun/$rid.inputs"
        $current = (Test-Path $stamp) -and (Get-Content $stamp -Raw) -eq $inputs -and
            -not ($ReadyToRunAssemblies | Where-Object { -not (Test-Path (Join-Path $folder "$_.dll")) })
        if ($current) {
            Write-Host "ReadyToRun $rid`: unchanged IL, kept"
        }
        else {
            foreach ($old in $folder, $stamp) { if (Test-Path $old) { Remove-Item $old -Recurse -Force } }
            Invoke-Native dotnet @('publish', (Join-Path $Root "src/$ModuleName.ReadyToRun/$ModuleName.ReadyToRun.csproj"), '-c', $Configuration,
                '-r', $rid, '--self-contained', 'false', '-o', $folder, "-p:IlDirectory=$IlDirectory", '--nologo', '-v', 'quiet')
            Set-Content -Path $stamp -Value $inputs -NoNewline
        }
        [pscustomobject]@{ Rid = $rid; Folder = $folder }
    }
}

function Use-ModuleBuild {
    # The tasks that run the module build it first, unless -NoBuild says output/ is current.
    if (-not $NoBuild) { Invoke-ModuleBuild; return }
    if (-not (Test-Path (Join-Path $OutputModule "$ModuleName.psd1"))) { throw "-NoBuild: there is no module at $OutputModule; run the Build task first." }
    Write-Host "== Build skipped (-NoBuild): using $OutputModule" -ForegroundColor Cyan
}

function Get-ReleaseNotes {
    # The section of CHANGELOG.md headed "## <version>" (optionally "## [<version>] - date"), without its heading.
    param([Parameter(Mandatory)] [string] $Version)
    $lines = @(Get-Content (Join-Path $Root 'CHANGELOG.md'))
    $start = -1
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($start -lt 0 -and $lines[$i] -match "^##\s+\[?$([regex]::Escape($Version))\]?(\s|$)") { $start = $i + 1; continue }
        if ($start -ge 0 -and $lines[$i] -match '^##\s') { break }
    }
    if ($start -lt 0) { throw "CHANGELOG.md has no section '## $Version' for the ModuleVersion of $ModuleName.psd1" }
    if ($i -le $start) { throw "CHANGELOG.md's section '## $Version' is empty" }
    ($lines[$start..($i - 1)] -join "`n").Trim()
}

function Write-ModuleManifest {
    # The manifest as written, with PrivateData.PSData.ReleaseNotes taken from CHANGELOG.md: the changelog is
    # the one source of release notes, the manifest the one source of the version.
    param([Parameter(Mandatory)] [string] $Destination)
    $source = Join-Path $Root "$ModuleName.psd1"
    $text = Get-Content $source -Raw
    $notes = Get-ReleaseNotes -Version (Import-PowerShellDataFile $source).ModuleVersion
    $pattern = "(?m)^(\s*ReleaseNotes\s*=\s*)''"
    if ($text -notmatch $pattern) { throw "$ModuleName.psd1 has no line ReleaseNotes = '' for the build to fill in" }
    $text = [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + "'" + ($notes -replace "'", "''") + "'" })
    Set-Content -Path $Destination -Value $text -NoNewline
}

function Get-PesterModulePath {
    # Pester comes from NuGet (no PowerShell Gallery here): restored by tests/tools/TestTools.csproj, the one place
    # its version is written.
    $tools = Join-Path $Root 'tests/tools/TestTools.csproj'
    Invoke-Native dotnet @('restore', $tools, '--nologo', '-v', 'quiet')
    $version = ([xml](Get-Content $tools -Raw)).Project.ItemGroup.PackageDownload |
        Where-Object Include -EQ 'Pester' | ForEach-Object { $_.Version.Trim('[', ']') }
    $packages = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $pester = Join-Path $packages.Trim() "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path $pester)) { throw "Pester $version was not restored to $pester" }
    $pester
}

function Invoke-XunitSuites {
    $totals = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter *.Tests.csproj) {
        Write-Host "== xunit: $($project.BaseName)" -ForegroundColor Cyan
        $results = Join-Path $Artifacts "test/$($project.BaseName)"
        if (Test-Path $results) { Remove-Item $results -Recurse -Force }
        & dotnet test $project.FullName -c $Configuration --nologo --results-directory $results --logger 'trx;LogFileName=results.trx' --logger 'console;verbosity=normal' | Out-Host
        $exit = $LASTEXITCODE
        $trx = Join-Path $results 'results.trx'
        if (-not (Test-Path $trx)) {
            Write-Host "xunit: $($project.BaseName) produced no results (exit $exit): counted as one failure" -ForegroundColor Red
            $totals.Failed++
            continue
        }
        $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
        $totals.Passed += [int]$counters.passed
        $totals.Failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $totals.Skipped += [int]$counters.notExecuted
        if ($exit -ne 0 -and [int]$counters.failed -eq 0) {
            Write-Host "xunit: $($project.BaseName) exited $exit without a failed test: counted as one failure" -ForegroundColor Red
            $totals.Failed++
        }
    }
    $totals
}

function Invoke-PesterSuites {
    param([string] $PesterModule)
    Write-Host '== Pester (new pwsh process, against output/)' -ForegroundColor Cyan
    $resultFile = Join-Path $Artifacts 'test/pester-summary.json'
    New-Item -ItemType Directory -Force -Path (Split-Path $resultFile) | Out-Null
    if (Test-Path $resultFile) { Remove-Item $resultFile }
    $arguments = @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PesterSuite.ps1'),
        '-PesterModule', $PesterModule, '-ModulePath', $OutputModule, '-ResultFile', $resultFile)
    # -PesterPath a,b from bash (dotnet pwsh ./build.ps1 ...) arrives as one string: split it.
    if ($PesterPath) { $arguments += '-Path'; $arguments += ($PesterPath -split ',' | ForEach-Object { (Resolve-Path $_).Path }) -join ',' }
    # A new process: a binary module can't be unloaded, so the build's own session must not hold one.
    & dotnet @arguments | Out-Host
    if (-not (Test-Path $resultFile)) {
        Write-Host "Pester produced no summary (exit $LASTEXITCODE): counted as one failure" -ForegroundColor Red
        return [ordered]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $summary = Get-Content $resultFile -Raw | ConvertFrom-Json
    [ordered]@{ Passed = [int]$summary.Passed; Failed = [int]$summary.Failed; Skipped = [int]$summary.Skipped }
}

function Build-TestSupport {
    # The test SMTP server both test frameworks use; the Pester files load it from here (tests/TestSmtpServer.ps1).
    Invoke-Native dotnet @('build', (Join-Path $Root 'tests/SmtpHandler.Testing/SmtpHandler.Testing.csproj'), '-c', $Configuration,
        '-o', (Join-Path $Artifacts 'testing'), '--nologo', '-v', 'quiet')
}

function Invoke-Test {
    Use-ModuleBuild
    $pester = Get-PesterModulePath
    $suites = @()
    if (-not $SkipXunit) { $suites += Invoke-XunitSuites }
    Build-TestSupport
    $suites += Invoke-PesterSuites -PesterModule $pester
    $passed = ($suites | ForEach-Object { $_.Passed } | Measure-Object -Sum).Sum
    $failed = ($suites | ForEach-Object { $_.Failed } | Measure-Object -Sum).Sum
    $skipped = ($suites | ForEach-Object { $_.Skipped } | Measure-Object -Sum).Sum
    $line = "$passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host ''
    Write-Output $line
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Package {
    Use-ModuleBuild
    Write-Host '== Package (Publish-PSResource to a temporary local repository)' -ForegroundColor Cyan
    Get-ChildItem $Artifacts -Filter "$ModuleName.*.nupkg" -ErrorAction SilentlyContinue | Remove-Item
    $package = & (Join-Path $Root 'tools/New-ModulePackage.ps1') -ModulePath $OutputModule -Destination $Artifacts
    Write-Host "Package written to $($package.FullName)"
}

function Invoke-Demo {
    Use-ModuleBuild
    . (Join-Path $Root 'tests/TestServers.ps1')
    $server = Start-Smtp4dev
    try {
        Import-Module $OutputModule
        Write-Host "== smtp4dev is running: web page $($server.WebUrl) , SMTP 127.0.0.1:$($server.SmtpPort)" -ForegroundColor Cyan
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.SmtpPort -DefaultFrom 'Reports <reports@example.test>' -RecipientsPerMessage 2
        Write-Host "== Sending one message to 5 piped recipients, at most 2 per transaction, over one connection" -ForegroundColor Cyan
        $results = 'ann@example.test', 'bob@example.test', 'cat@example.test', 'dan@example.test', 'eve@example.test' |
            Send-SmtpMessage -Config $config -Subject 'Nightly report' -Body "All jobs finished.`nThis message came through SmtpHandler."
        $results | Format-List Status, MessageId, Subject, EnvelopeSender, Transactions, Connections, Elapsed, Accepted

        Write-Host '== What smtp4dev received (from its REST API)' -ForegroundColor Cyan
        Get-Smtp4devMessage -Server $server |
            Select-Object @{ n = 'From'; e = { $_.from } }, @{ n = 'To'; e = { $_.to -join ', ' } }, @{ n = 'Subject'; e = { $_.subject } }, @{ n = 'Received'; e = { $_.receivedDate } } |
            Format-Table -AutoSize | Out-Host
        Write-Host "Browse $($server.WebUrl) while this runs; press Enter to stop the server (it stops by itself when not interactive)."
        if ([Environment]::UserInteractive -and -not [Console]::IsInputRedirected -and -not $env:CI) { [void](Read-Host) }
    }
    finally {
        Stop-Smtp4dev $server
    }
}

function Invoke-Bench {
    Use-ModuleBuild
    Write-Host '== Bench' -ForegroundColor Cyan
    # -Scenario 1,5 from bash arrives as one string: split it.
    $scenarios = @($Scenario | ForEach-Object { "$_" -split ',' } | ForEach-Object { [int]$_ })
    & (Join-Path $Root 'bench/Invoke-Benchmark.ps1') -ModulePath $OutputModule -Repetitions $Repetitions -Scenario $scenarios
}

if ($NoReadyToRun -and $Task -in 'Package', 'Bench') { throw "-NoReadyToRun is for local Build and Test loops: $Task needs the ReadyToRun images." }

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-ModuleBuild }
        'Docs' { Invoke-Docs }
        'UpdateDocs' { Invoke-UpdateDocs }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
    }
}
finally {
    Pop-Location
}
