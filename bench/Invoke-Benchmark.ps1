#Requires -Version 7.2
<#
.SYNOPSIS
    SmtpHandler's benchmark: throughput, batching, memory and start-up, side by side with smtp-source, raw MailKit,
    Python's smtplib and Send-MailMessage, all against one smtp-sink on loopback, in one run.
.DESCRIPTION
    Called by `build.ps1 -Task Bench` after Build, with the built module. Installs what it needs (Debian's postfix
    package for smtp-sink and smtp-source; python3 must be there), builds the raw MailKit client (bench/RawMailKit)
    plain and ReadyToRun, makes (once) a ReadyToRun copy of the tool's pwsh on which every PowerShell client runs,
    as released PowerShell is precompiled (bench/ReadyToRun.ps1), starts smtp-sink on a free 127.0.0.1 port, and
    runs every scenario -Repetitions times, the clients of a scenario taking turns in each repetition so that a
    change in the machine's load hits them alike. Each run is a new process; the work is timed inside it with a
    Stopwatch around the whole pipeline or loop (smtp-source, which reports no time, is timed around its
    process). Prints the table and writes it to -ResultPath with the date, the machine, the versions, which pwsh
    ran what, and the load average before and after.
    Never run by build.ps1 -Task Test: nothing there depends on speed.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Repetitions = 5,
    # Scenario 1 and 5: messages of 1 KB, one recipient each.
    [int] $Messages = 2000,
    [int] $BodyBytes = 1000,
    # Send-MailMessage connects per message: a few hundred are enough for its rate.
    [int] $SendMailMessageCount = 200,
    # Scenario 2: one message to this many recipients, $PerTransaction per transaction.
    [int] $Recipients = 10000,
    [int] $PerTransaction = 100,
    # Scenario 3.
    [int] $AttachmentMB = 200,
    # Scenario 4: new pwsh processes for each of Import-Module, an empty module's import, and import plus a first message.
    [int] $ImportRuns = 20,
    # Scenario 5.
    [int] $ConnectionCount = 4,
    [ValidateRange(1, 5)] [int[]] $Scenario = @(1, 2, 3, 4, 5),
    [string] $ResultPath = (Join-Path $PSScriptRoot 'results.md')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = Split-Path $PSScriptRoot -Parent
$Out = Join-Path $PSScriptRoot 'out'
$ModulePath = (Resolve-Path $ModulePath).Path
. (Join-Path $Root 'tests/TestServers.ps1')
. (Join-Path $Root 'tests/Postfix.ps1')
. (Join-Path $PSScriptRoot 'ReadyToRun.ps1')

# ---------------------------------------------------------------- processes and figures

function Get-PwshCommand {
    # The pwsh running this script, to start new ones: the dotnet tool (dotnet + pwsh.dll) or an installed pwsh.
    $process = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, [System.Reflection.Assembly]::GetEntryAssembly().Location)
    }
    @($process)
}

function Invoke-Timed {
    <#
    .SYNOPSIS
        Runs one measurement process and returns its figures: the line "elapsed_ms=... messages=..." it printed,
        or, with -TimeProcess, the time around the whole process.
    #>
    param([Parameter(Mandatory)] [string[]] $Command, [switch] $TimeProcess, [int] $TimeoutSeconds = 300)
    if ($TimeProcess) {
        # Through bash, whose 'times' then prints the CPU time of the command (its second line: the children's).
        $Command = @('/bin/bash', '-c', '"$0" "$@"; times') + $Command
    }
    $info = [System.Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($argument in $Command | Select-Object -Skip 1) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $Root
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "Timed out after $TimeoutSeconds s: $($Command -join ' ')"
    }
    $process.WaitForExit()
    $clock.Stop()
    $text = $stdout.Result
    if ($process.ExitCode -ne 0) {
        throw "Exit code $($process.ExitCode): $($Command -join ' ')`n$text`n$($stderr.Result)"
    }
    if ($TimeProcess) {
        $cpu = 0.0
        $children = @($text -split "`n" | Where-Object { $_ -match '^\d+m[\d.]+s \d+m[\d.]+s' }) | Select-Object -Last 1
        foreach ($part in "$children" -split ' ') {
            if ($part -match '^(\d+)m([\d.]+)s$') { $cpu += ([double]$Matches[1] * 60 + [double]::Parse($Matches[2], [cultureinfo]::InvariantCulture)) * 1000 }
        }
        return [pscustomobject]@{ Milliseconds = $clock.Elapsed.TotalMilliseconds; PeakKB = 0L; CpuMilliseconds = $cpu; Jit = -1; JitSpan = -1 }
    }
    $line = $text -split "`n" | Where-Object { $_ -match 'elapsed_ms=' } | Select-Object -Last 1
    if (-not $line) { throw "No 'elapsed_ms=' line from $($Command -join ' '):`n$text`n$($stderr.Result)" }
    $figures = @{}
    foreach ($pair in ($line.Trim() -split '\s+')) {
        $name, $value = $pair -split '=', 2
        $figures[$name] = [double]::Parse($value, [cultureinfo]::InvariantCulture)
    }
    [pscustomobject]@{
        Milliseconds = $figures['elapsed_ms']; PeakKB = [long]($figures['peak_kb'] ?? 0); CpuMilliseconds = [double]($figures['cpu_ms'] ?? 0)
        # Methods JIT-compiled by the process (start-up included) and within the timed span; -1 where not reported.
        Jit = [double]($figures['jit'] ?? -1); JitSpan = [double]($figures['jit_span'] ?? -1)
    }
}

function Measure-Stats([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    $median = if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
    [pscustomobject]@{ Median = $median; Min = $sorted[0]; Max = $sorted[-1]; Count = $n }
}

function Format-Number([double] $Value, [int] $Digits = 0) {
    $Value.ToString("N$Digits", [cultureinfo]::InvariantCulture)
}

function Format-Stats($Stats, [string] $Unit, [int] $Digits = 0) {
    "$(Format-Number $Stats.Median $Digits) $Unit ($(Format-Number $Stats.Min $Digits)–$(Format-Number $Stats.Max $Digits))"
}

function Get-LoadAverage {
    if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } else { 'n/a' }
}

# ---------------------------------------------------------------- servers and tools

function Start-SmtpSink {
    # smtp-sink accepts and discards everything, advertises PIPELINING, and serves many connections at once.
    $port = Get-FreeTcpPort
    $arguments = @()
    if ((& id -u) -eq '0') { $arguments += '-u', 'nobody' }  # as root it must drop privileges
    $arguments += "127.0.0.1:$port", '256'
    $info = [System.Diagnostics.ProcessStartInfo]::new('/usr/sbin/smtp-sink')
    foreach ($a in $arguments) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while (-not (Test-PostfixAnswers $port)) {
        if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
            throw "smtp-sink did not start on 127.0.0.1:${port}: $($process.StandardError.ReadToEnd())"
        }
        Start-Sleep -Milliseconds 100
    }
    [pscustomobject]@{ Process = $process; Port = $port }
}

function Get-AttachmentFile([int] $Megabytes) {
    # Random bytes (base64 makes them a third larger on the wire), made once and kept in bench/out.
    $path = Join-Path $Out "attachment-${Megabytes}MB.bin"
    if ((Test-Path $path) -and (Get-Item $path).Length -eq $Megabytes * 1MB) { return $path }
    $buffer = [byte[]]::new(1MB)
    $stream = [System.IO.File]::Create($path)
    try {
        for ($i = 0; $i -lt $Megabytes; $i++) {
            [System.Security.Cryptography.RandomNumberGenerator]::Fill($buffer)
            $stream.Write($buffer, 0, $buffer.Length)
        }
    }
    finally { $stream.Dispose() }
    $path
}

function Get-Versions {
    $mailKit = [System.Diagnostics.FileVersionInfo]::GetVersionInfo((Join-Path $ModulePath 'bin/MailKit.dll')).ProductVersion -replace '\+.*$', '' -replace '^(\d+\.\d+\.\d+)\.0$', '$1'
    $postfix = (& /usr/sbin/postconf -d -h mail_version 2>$null) ?? 'unknown'
    [ordered]@{
        SmtpHandler = (Import-PowerShellDataFile (Join-Path $ModulePath 'SmtpHandler.psd1')).ModuleVersion
        PowerShell  = "$($PSVersionTable.PSVersion)"
        '.NET'      = [System.Environment]::Version.ToString()
        MailKit     = $mailKit
        Postfix     = "$postfix (smtp-sink, smtp-source)"
        Python      = ((& python3 --version) -replace '^Python\s+', '')
        crossgen2   = if ($readyToRun.Crossgen2) { "$($readyToRun.Crossgen2.Version) (for the ReadyToRun pwsh and raw MailKit)" } else { 'SDK''s (raw MailKit ReadyToRun)' }
    }
}

function Get-Machine {
    $cpu = if (Test-Path /proc/cpuinfo) { (Select-String -Path /proc/cpuinfo -Pattern '^model name\s*:\s*(.+)$' | Select-Object -First 1).Matches[0].Groups[1].Value } else { 'unknown' }
    $memory = if (Test-Path /proc/meminfo) { [long]((Select-String -Path /proc/meminfo -Pattern '^MemTotal:\s+(\d+)').Matches[0].Groups[1].Value) * 1KB } else { 0 }
    $os = if (Test-Path /etc/os-release) { (Select-String -Path /etc/os-release -Pattern '^PRETTY_NAME="?([^"]+)"?').Matches[0].Groups[1].Value } else { [System.Runtime.InteropServices.RuntimeInformation]::OSDescription }
    [ordered]@{ Cores = [Environment]::ProcessorCount; Memory = "$([math]::Round($memory / 1GB, 1)) GiB"; CPU = $cpu; OS = $os }
}

# ---------------------------------------------------------------- the run

$measure = Join-Path $PSScriptRoot 'Measure-Scenario.ps1'
# Scenario 1's state file: on the temporary folder's disk (not a tmpfs, where a disk flush would cost nothing).
$statePath = Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-bench-state-$PID.jsonl"
function Invoke-Scenario([string] $Name, [hashtable] $Arguments = @{}, [string[]] $Pwsh = $pwsh) {
    # Every PowerShell client runs on the ReadyToRun pwsh ($pwsh) unless told otherwise.
    $command = $Pwsh + @('-NoProfile', '-NonInteractive', '-File', $measure, '-Scenario', $Name)
    foreach ($key in $Arguments.Keys) { $command += "-$key"; $command += "$($Arguments[$key])" }
    Invoke-Timed -Command $command
}

function Get-PwshFacts([string[]] $Pwsh) {
    # What a new pwsh is: its version, where System.Management.Automation came from, and the methods it JIT-compiled
    # to start and run one line (the median of three processes).
    $script = '"jit={0} version={1} sma={2}" -f [System.Runtime.JitInfo]::GetCompiledMethodCount($false), $PSVersionTable.PSVersion, [psobject].Assembly.Location'
    $lines = foreach ($i in 1..3) {
        $text = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw "$($Pwsh -join ' ') failed: $text" }
        "$text".Trim()
    }
    $facts = @($lines | ForEach-Object {
            if ($_ -notmatch '^jit=(\d+) version=(\S+) sma=(.+)$') { throw "Unexpected answer from $($Pwsh -join ' '): $_" }
            [pscustomobject]@{ Jit = [int]$Matches[1]; Version = $Matches[2]; Sma = $Matches[3] }
        })
    [pscustomobject]@{ Jit = (Measure-Stats $facts.Jit).Median; Version = $facts[0].Version; Sma = $facts[0].Sma }
}

Write-Host '== Bench: tools' -ForegroundColor Cyan
Install-Postfix
foreach ($tool in '/usr/sbin/smtp-sink', '/usr/sbin/smtp-source') {
    if (-not (Test-Path $tool)) { throw "$tool is missing although postfix is installed." }
}
if (-not (Get-Command python3 -ErrorAction SilentlyContinue)) { throw 'python3 is needed for the smtplib reference.' }
New-Item -ItemType Directory -Force -Path $Out | Out-Null
$rawProject = Join-Path $PSScriptRoot 'RawMailKit/RawMailKit.csproj'
$raw = Join-Path $Out 'RawMailKit'
& dotnet build $rawProject -c Release -o $raw --nologo -v quiet | Out-Host
if ($LASTEXITCODE -ne 0) { throw 'Building bench/RawMailKit failed.' }
$rawCommand = @('dotnet', (Join-Path $raw 'RawMailKit.dll'))
# The same program published ReadyToRun for this host (informative: what precompilation alone is worth).
$rawR2R = Join-Path $Out 'RawMailKit-r2r'
$rid = (& dotnet msbuild $rawProject -nologo -getProperty:NETCoreSdkRuntimeIdentifier).Trim()
& dotnet publish $rawProject -c Release -r $rid --self-contained false -p:PublishReadyToRun=true -o $rawR2R --nologo -v quiet | Out-Host
if ($LASTEXITCODE -ne 0) { throw 'Publishing bench/RawMailKit ReadyToRun failed.' }
foreach ($name in 'RawMailKit.dll', 'MailKit.dll', 'MimeKit.dll') {
    if (-not (Test-ReadyToRunImage (Join-Path $rawR2R $name)).ReadyToRun) { throw "$name in $rawR2R is not ReadyToRun." }
}
$rawR2RCommand = @('dotnet', (Join-Path $rawR2R 'RawMailKit.dll'))

# The PowerShell that runs the PowerShell clients: a ReadyToRun copy of this pwsh (see ReadyToRun.ps1), as the
# released packages are; the tool's own IL-only pwsh is kept for scenario 4's second set of rows.
$toolPwsh = Get-PwshCommand
$readyToRun = Get-ReadyToRunPwsh -CacheRoot $Out -Project $rawProject
$sameAsTool = $readyToRun.Directory -eq $PSHOME
$pwsh = if ($sameAsTool) { $toolPwsh } elseif ($toolPwsh.Count -eq 2) { @($toolPwsh[0], (Join-Path $readyToRun.Directory 'pwsh.dll')) } else { @(Join-Path $readyToRun.Directory 'pwsh') }
$toolFacts = Get-PwshFacts $toolPwsh
$pwshFacts = if ($sameAsTool) { $toolFacts } else { Get-PwshFacts $pwsh }
if (-not $sameAsTool) {
    # It must be the same PowerShell, loaded from the copy, and its precompiled code must be used.
    if ($pwshFacts.Version -ne $toolFacts.Version) { throw "The ReadyToRun pwsh is $($pwshFacts.Version), the tool's $($toolFacts.Version)." }
    if (-not $pwshFacts.Sma.StartsWith($readyToRun.Directory)) { throw "The ReadyToRun pwsh loaded $($pwshFacts.Sma)." }
    if ($pwshFacts.Jit -gt $toolFacts.Jit / 2) { throw "The ReadyToRun pwsh JIT-compiled $($pwshFacts.Jit) methods, the tool's $($toolFacts.Jit): its images are not used." }
}
Write-Host ("PowerShell clients run on {0} ({1} methods JIT-compiled to start and run one line; the tool's pwsh {2})" -f
    ($pwsh -join ' '), $pwshFacts.Jit, $toolFacts.Jit) -ForegroundColor Cyan
# The floor of scenario 4: a module that is only a manifest, so its import is PowerShell's own first-import cost.
$emptyModule = Join-Path $Out 'EmptyModule/EmptyModule.psd1'
New-Item -ItemType Directory -Force -Path (Split-Path $emptyModule) | Out-Null
Set-Content -Path $emptyModule -Value "@{ ModuleVersion = '1.0'; GUID = '0b2c1d6e-4a53-4e0e-9a43-6d1f1f8e0c11'; FunctionsToExport = @(); CmdletsToExport = @() }"

$loadBefore = Get-LoadAverage
$started = [DateTime]::UtcNow
$sink = Start-SmtpSink
Write-Host "smtp-sink on 127.0.0.1:$($sink.Port); load average $loadBefore; $Repetitions repetitions" -ForegroundColor Cyan
$rows = [System.Collections.Generic.List[object]]::new()
$targets = [System.Collections.Generic.List[object]]::new()
$samples = @{}
function Add-Sample([string] $Key, $Value) {
    if (-not $samples.ContainsKey($Key)) { $samples[$Key] = [System.Collections.Generic.List[double]]::new() }
    $samples[$Key].Add([double]$Value)
}
function Get-Rate([string] $Key, [int] $Count) { Measure-Stats @($samples[$Key] | ForEach-Object { $Count / ($_ / 1000) }) }
function Add-Row([string] $Scenario, [string] $Client, [string] $Figure, [string] $Ratio = '') {
    $rows.Add([pscustomobject]@{ Scenario = $Scenario; Client = $Client; Figure = $Figure; Ratio = $Ratio })
}
function Add-ReferenceRow([string] $Client, $Rate, $Handler, [string] $Unit) {
    # A reference client's rate under SmtpHandler's row, with the ratio SmtpHandler / the reference.
    Add-Row '' $Client (Format-Stats $Rate $Unit) (Format-Ratio ($Handler.Median / $Rate.Median))
}
function Add-Target([string] $Target, [double] $Value, [double] $Goal, [string] $Shown, [switch] $Below) {
    $met = if ($Below) { $Value -lt $Goal } else { $Value -ge $Goal }
    $targets.Add([pscustomobject]@{ Target = $Target; Measured = $Shown; Met = $(if ($met) { 'met' } else { 'missed' }) })
}
function Add-Run([string] $Key, $Run) {
    Add-Sample $Key $Run.Milliseconds
    Add-Sample "$Key.cpu" $Run.CpuMilliseconds
    if ($Run.Jit -ge 0) { Add-Sample "$Key.jit" $Run.Jit; Add-Sample "$Key.jitspan" $Run.JitSpan }
}
function Format-Jit([string] $Key) {
    # Methods JIT-compiled, medians: by the whole process up to the clock's stop (start-up included), and within the
    # timed span. Counts hardly move with the machine's load, unlike times.
    "$(Format-Number (Measure-Stats $samples["$Key.jit"]).Median) ($(Format-Number (Measure-Stats $samples["$Key.jitspan"]).Median) in the span)"
}
function Format-Ratio([double] $Value, [int] $Digits = 2) { '{0}×' -f (Format-Number $Value $Digits) }
$source = @('/usr/sbin/smtp-source', '-d', '-l', "$BodyBytes", '-f', 'bench@example.test', '-t', 'user@example.test')
$port = $sink.Port

try {
    if (1 -in $Scenario) {
        Write-Host "== Scenario 1: $Messages messages of $BodyBytes bytes, one recipient each, one connection" -ForegroundColor Cyan
        for ($r = 1; $r -le $Repetitions; $r++) {
            Add-Run 's1.handler' (Invoke-Scenario Individual @{ ModulePath = $ModulePath; Port = $port; Count = $Messages; BodyBytes = $BodyBytes })
            Add-Run 's1.state' (Invoke-Scenario Individual @{ ModulePath = $ModulePath; Port = $port; Count = $Messages; BodyBytes = $BodyBytes; StatePath = $statePath })
            Add-Run 's1.raw' (Invoke-Timed ($rawCommand + @('messages', "$port", "$Messages", "$BodyBytes")))
            Add-Run 's1.rawr2r' (Invoke-Timed ($rawR2RCommand + @('messages', "$port", "$Messages", "$BodyBytes")))
            Add-Run 's1.source' (Invoke-Timed ($source + @('-m', "$Messages", "127.0.0.1:$port")) -TimeProcess)
            Add-Run 's1.python' (Invoke-Timed @('python3', (Join-Path $PSScriptRoot 'smtplib_bench.py'), "$port", "$Messages", "$BodyBytes"))
            Add-Run 's1.smm' (Invoke-Scenario SendMailMessage @{ Port = $port; Count = $SendMailMessageCount; BodyBytes = $BodyBytes })
            Write-Host "  repetition $r done"
        }
        $handler = Get-Rate 's1.handler' $Messages
        $stateRate = Get-Rate 's1.state' $Messages
        $rawRate = Get-Rate 's1.raw' $Messages
        $rawR2RRate = Get-Rate 's1.rawr2r' $Messages
        $sourceRate = Get-Rate 's1.source' $Messages
        $pythonRate = Get-Rate 's1.python' $Messages
        $smmRate = Get-Rate 's1.smm' $SendMailMessageCount
        Add-Row '1. 1 KB messages, one connection' 'Send-SmtpMessage -Individual, piped strings' (Format-Stats $handler 'msg/s')
        # Against the row above (the same run without a state file), not a reference client: with / without.
        Add-Row '' 'Send-SmtpMessage -Individual -StatePath (a state file on the temporary folder''s disk)' (Format-Stats $stateRate 'msg/s') "$(Format-Ratio ($stateRate.Median / $handler.Median)) of the row above"
        Add-ReferenceRow 'raw MailKit SmtpClient.Send loop (C#, bench/RawMailKit, IL: the reference)' $rawRate $handler 'msg/s'
        Add-ReferenceRow 'raw MailKit, the same published ReadyToRun (informative)' $rawR2RRate $handler 'msg/s'
        Add-ReferenceRow 'smtp-source -d (C, Postfix)' $sourceRate $handler 'msg/s'
        Add-ReferenceRow 'Python smtplib send_message loop (the seed''s engine)' $pythonRate $handler 'msg/s'
        Add-ReferenceRow "Send-MailMessage ($SendMailMessageCount messages, a connection each)" $smmRate $handler 'msg/s'
        # CPU per message: what each client costs the machine, less sensitive than time to other load on it.
        $cpuOf = { param($key, $count) Measure-Stats @($samples["$key.cpu"] | ForEach-Object { 1000 * $_ / $count }) }
        $cpuRow = @(
            "Send-SmtpMessage $(Format-Stats (& $cpuOf 's1.handler' $Messages) 'µs' 0)",
            "Send-SmtpMessage -StatePath $(Format-Stats (& $cpuOf 's1.state' $Messages) 'µs' 0)",
            "raw MailKit $(Format-Stats (& $cpuOf 's1.raw' $Messages) 'µs' 0)",
            "raw MailKit ReadyToRun $(Format-Stats (& $cpuOf 's1.rawr2r' $Messages) 'µs' 0)",
            "smtp-source $(Format-Stats (& $cpuOf 's1.source' $Messages) 'µs' 0) (whole process)",
            "smtplib $(Format-Stats (& $cpuOf 's1.python' $Messages) 'µs' 0)"
        ) -join '; '
        Add-Row '' 'CPU time of the client per message (process CPU over the timed span)' $cpuRow
        $jitRow = @(
            "Send-SmtpMessage $(Format-Jit 's1.handler')",
            "raw MailKit $(Format-Jit 's1.raw')",
            "raw MailKit ReadyToRun $(Format-Jit 's1.rawr2r')",
            "Send-MailMessage $(Format-Jit 's1.smm')"
        ) -join '; '
        Add-Row '' 'Methods JIT-compiled by the client''s process, medians (whole process up to the clock''s stop; in the timed span)' $jitRow
        Add-Target 'S1 ≥ 1.0× smtp-source -d' ($handler.Median / $sourceRate.Median) 1.0 (Format-Ratio ($handler.Median / $sourceRate.Median))
        Add-Target 'S1 with -StatePath ≥ 0.8× S1 without' ($stateRate.Median / $handler.Median) 0.8 (Format-Ratio ($stateRate.Median / $handler.Median))
        Add-Target 'S1 ≥ 0.95× raw MailKit (IL, as the issue defines it)' ($handler.Median / $rawRate.Median) 0.95 (Format-Ratio ($handler.Median / $rawRate.Median))
        Add-Target 'S1 ≥ 100× Send-MailMessage' ($handler.Median / $smmRate.Median) 100 (Format-Ratio ($handler.Median / $smmRate.Median) 1)
    }

    if (2 -in $Scenario) {
        $transactions = [math]::Ceiling($Recipients / $PerTransaction)
        Write-Host "== Scenario 2: one message to $Recipients recipients, $PerTransaction per transaction ($transactions transactions), one connection" -ForegroundColor Cyan
        for ($r = 1; $r -le $Repetitions; $r++) {
            Add-Run 's2.handler' (Invoke-Scenario Batched @{ ModulePath = $ModulePath; Port = $port; Count = $Recipients; PerTransaction = $PerTransaction; BodyBytes = $BodyBytes })
            Add-Run 's2.raw' (Invoke-Timed ($rawCommand + @('batched', "$port", "$Recipients", "$PerTransaction")))
            Add-Run 's2.rawr2r' (Invoke-Timed ($rawR2RCommand + @('batched', "$port", "$Recipients", "$PerTransaction")))
            Add-Run 's2.source' (Invoke-Timed ($source + @('-r', "$PerTransaction", '-m', "$transactions", "127.0.0.1:$port")) -TimeProcess)
            Write-Host "  repetition $r done"
        }
        $handler = Get-Rate 's2.handler' $Recipients
        $rawRate = Get-Rate 's2.raw' $Recipients
        $rawR2RRate = Get-Rate 's2.rawr2r' $Recipients
        $sourceRate = Get-Rate 's2.source' $Recipients
        Add-Row "2. $Recipients recipients, $PerTransaction per transaction" 'Send-SmtpMessage -Bcc <10,000 addresses> -RecipientsPerMessage' (Format-Stats $handler 'rcpt/s')
        Add-ReferenceRow "raw MailKit Send(message, sender, $PerTransaction recipients) ×$transactions (IL: the reference)" $rawRate $handler 'rcpt/s'
        Add-ReferenceRow 'raw MailKit, the same published ReadyToRun (informative)' $rawR2RRate $handler 'rcpt/s'
        Add-ReferenceRow "smtp-source -d -r $PerTransaction -m $transactions" $sourceRate $handler 'rcpt/s'
        $jitRow = @(
            "Send-SmtpMessage $(Format-Jit 's2.handler')",
            "raw MailKit $(Format-Jit 's2.raw')",
            "raw MailKit ReadyToRun $(Format-Jit 's2.rawr2r')"
        ) -join '; '
        Add-Row '' 'Methods JIT-compiled by the client''s process, medians (whole process; in the timed span)' $jitRow
        Add-Target 'S2 ≥ 0.95× raw MailKit (IL, as the issue defines it)' ($handler.Median / $rawRate.Median) 0.95 (Format-Ratio ($handler.Median / $rawRate.Median))
    }

    if (3 -in $Scenario) {
        Write-Host "== Scenario 3: a $AttachmentMB MB attachment; peak working set against a tiny message" -ForegroundColor Cyan
        $attachment = Get-AttachmentFile $AttachmentMB
        for ($r = 1; $r -le $Repetitions; $r++) {
            $big = Invoke-Scenario Attachment @{ ModulePath = $ModulePath; Port = $port; AttachmentPath = $attachment }
            $tiny = Invoke-Scenario Tiny @{ ModulePath = $ModulePath; Port = $port }
            Add-Sample 's3.time' $big.Milliseconds
            Add-Sample 's3.peak' ($big.PeakKB / 1KB)
            Add-Sample 's3.tinypeak' ($tiny.PeakKB / 1KB)
            Write-Host "  repetition $r done"
        }
        $time = Measure-Stats $samples['s3.time']
        $peak = Measure-Stats $samples['s3.peak']
        $tinyPeak = Measure-Stats $samples['s3.tinypeak']
        $growth = $peak.Median - $tinyPeak.Median
        $throughput = Measure-Stats @($samples['s3.time'] | ForEach-Object { $AttachmentMB / ($_ / 1000) })
        Add-Row "3. $AttachmentMB MB attachment" 'Send-SmtpMessage -Attachments: time' (Format-Stats $time 'ms') ("$(Format-Number $throughput.Median 1) MB/s")
        Add-Row '' 'peak working set (VmHWM) of the sending pwsh' (Format-Stats $peak 'MB' 1)
        Add-Row '' 'the same process sending a tiny message' (Format-Stats $tinyPeak 'MB' 1)
        Add-Row '' 'growth (median − median) against the attachment' "$(Format-Number $growth 1) MB" ('{0}%' -f (Format-Number (100 * $growth / $AttachmentMB) 1))
        Add-Target 'S3 peak grows < 10% of the attachment' ($growth / $AttachmentMB) 0.10 ('{0}% ({1} MB)' -f (Format-Number (100 * $growth / $AttachmentMB) 1), (Format-Number $growth 1)) -Below
    }

    if (4 -in $Scenario) {
        # Each pwsh in turn: the ReadyToRun one (as released PowerShell is; the targets are read from it) and the
        # tool's IL-only one, whose own JIT work the module cannot remove.
        $pwshes = [ordered]@{ 'r2r' = $pwsh }
        if (-not $sameAsTool) { $pwshes['tool'] = $toolPwsh }
        Write-Host "== Scenario 4: Import-Module in a new pwsh, $ImportRuns runs each, on $($pwshes.Count) pwsh" -ForegroundColor Cyan
        for ($r = 1; $r -le $ImportRuns; $r++) {
            foreach ($kind in $pwshes.Keys) {
                Add-Run "s4.$kind.import" (Invoke-Scenario Import @{ ModulePath = $ModulePath } -Pwsh $pwshes[$kind])
                Add-Run "s4.$kind.first" (Invoke-Scenario ImportAndSend @{ ModulePath = $ModulePath; Port = $port } -Pwsh $pwshes[$kind])
                Add-Run "s4.$kind.empty" (Invoke-Scenario ImportEmpty @{ ModulePath = $emptyModule } -Pwsh $pwshes[$kind])
            }
        }
        foreach ($kind in $pwshes.Keys) {
            $import = Measure-Stats $samples["s4.$kind.import"]
            $first = Measure-Stats $samples["s4.$kind.first"]
            $empty = Measure-Stats $samples["s4.$kind.empty"]
            $label = if ($kind -eq 'r2r') { "4. start-up in a new pwsh: ReadyToRun pwsh $($pwshFacts.Version) (as released)" } else { "4. the same on the dotnet tool's pwsh $($toolFacts.Version) (IL only, JIT-compiles PowerShell itself)" }
            Add-Row $label 'Import-Module SmtpHandler' (Format-Stats $import 'ms' 1)
            Add-Row '' 'Import-Module + first Send-SmtpMessage to smtp-sink' (Format-Stats $first 'ms' 1)
            Add-Row '' 'Import-Module of a manifest-only module (PowerShell''s own first-import cost, the floor)' (Format-Stats $empty 'ms' 1) ("SmtpHandler adds $(Format-Number ($import.Median - $empty.Median) 1) ms")
            Add-Row '' 'Methods JIT-compiled, medians (whole process; in the timed span)' "import $(Format-Jit "s4.$kind.import"); import + first message $(Format-Jit "s4.$kind.first"); floor $(Format-Jit "s4.$kind.empty")"
            if ($kind -eq 'r2r') {
                Add-Target 'S4 Import-Module < 50 ms median (ReadyToRun pwsh)' $import.Median 50 "$(Format-Number $import.Median 1) ms" -Below
                Add-Target 'S4 import + first message < 150 ms median (ReadyToRun pwsh)' $first.Median 150 "$(Format-Number $first.Median 1) ms" -Below
            }
        }
    }

    if (5 -in $Scenario) {
        Write-Host "== Scenario 5: $Messages messages over $ConnectionCount connections at once" -ForegroundColor Cyan
        for ($r = 1; $r -le $Repetitions; $r++) {
            Add-Sample 's5.handler' (Invoke-Scenario Individual @{ ModulePath = $ModulePath; Port = $port; Count = $Messages; BodyBytes = $BodyBytes; ConnectionCount = $ConnectionCount }).Milliseconds
            Add-Sample 's5.source' (Invoke-Timed ($source + @('-s', "$ConnectionCount", '-m', "$Messages", "127.0.0.1:$port")) -TimeProcess).Milliseconds
            if (1 -notin $Scenario) {
                Add-Sample 's1.handler' (Invoke-Scenario Individual @{ ModulePath = $ModulePath; Port = $port; Count = $Messages; BodyBytes = $BodyBytes }).Milliseconds
            }
            Write-Host "  repetition $r done"
        }
        $handler = Get-Rate 's5.handler' $Messages
        $sourceRate = Get-Rate 's5.source' $Messages
        $single = Get-Rate 's1.handler' $Messages
        Add-Row "5. $Messages messages, $ConnectionCount connections" "Send-SmtpMessage -Individual -ConnectionCount $ConnectionCount" (Format-Stats $handler 'msg/s')
        Add-Row '' "smtp-source -d -s $ConnectionCount" (Format-Stats $sourceRate 'msg/s') ('{0}×' -f (Format-Number ($handler.Median / $sourceRate.Median) 2))
        Add-Row '' 'Send-SmtpMessage -Individual, one connection (scenario 1)' (Format-Stats $single 'msg/s') ('{0}×' -f (Format-Number ($handler.Median / $single.Median) 2))
        Add-Target "S5 -ConnectionCount $ConnectionCount ≥ 2× one connection" ($handler.Median / $single.Median) 2 ('{0}×' -f (Format-Number ($handler.Median / $single.Median) 2))
    }
}
finally {
    if (-not $sink.Process.HasExited) { $sink.Process.Kill() }
    $sink.Process.Dispose()
}

$loadAfter = Get-LoadAverage
$elapsed = [DateTime]::UtcNow - $started
$machine = Get-Machine
$versions = Get-Versions

# ---------------------------------------------------------------- the report


$md = [System.Text.StringBuilder]::new()
$null = $md.AppendLine('# SmtpHandler benchmark results').AppendLine()
$null = $md.AppendLine("Written by ``dotnet pwsh ./build.ps1 -Task Bench`` (bench/Invoke-Benchmark.ps1) on $($started.ToString('yyyy-MM-dd HH:mm', [cultureinfo]::InvariantCulture)) UTC; the run took $([math]::Round($elapsed.TotalMinutes, 1)) min. Every figure below was measured in that one run.").AppendLine()
$null = $md.AppendLine("- Machine: $($machine.Cores) cores ($($machine.CPU)), $($machine.Memory) memory, $($machine.OS).")
$null = $md.AppendLine("- Load average (1, 5, 15 min): $loadBefore before, $loadAfter after. $(if ([double]($loadBefore -split ' ')[0] -gt $machine.Cores -or [double]($loadAfter -split ' ')[0] -gt $machine.Cores) { 'The machine was shared and loaded by other work during the run: absolute figures are lower and noisier than on an idle machine; the ratios compare clients that took turns under the same load.' } else { 'The machine was not loaded beyond its cores.' })")
$null = $md.AppendLine("- Versions: $(($versions.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ').")
if ($sameAsTool) {
    $null = $md.AppendLine("- PowerShell: every PowerShell client ran on $($pwsh -join ' '), which is ReadyToRun already (a new one JIT-compiled $(Format-Number $pwshFacts.Jit) methods to start and run one line).")
}
else {
    $null = $md.AppendLine("- PowerShell: every PowerShell client (Send-SmtpMessage in every scenario, Send-MailMessage, and scenario 4's first rows) ran on a ReadyToRun copy of the dotnet tool's pwsh $($pwshFacts.Version), made by the benchmark with crossgen2 $($readyToRun.Crossgen2.Version) (the SDK's own package) and kept in ``bench/out/$(Split-Path $readyToRun.Directory -Leaf)``: its $($readyToRun.Compiled.Count) IL assemblies precompiled, as in the released packages (MSI, deb, rpm, tar.gz, zip). The tool's pwsh, the one the build installs, is IL only: a new one JIT-compiled $(Format-Number $toolFacts.Jit) methods to start and run one line, the ReadyToRun copy $(Format-Number $pwshFacts.Jit). Users of a released PowerShell never pay that difference, so figures on the tool's pwsh would charge the module with PowerShell's own JIT; scenario 4 is also given on the tool's pwsh, labelled, to show both. The module's own assemblies are as ``-Task Build`` made them.")
}
$null = $md.AppendLine("- Server: one smtp-sink (``smtp-sink -u nobody 127.0.0.1:PORT 256``) on loopback for every client; it discards what it accepts and offers PIPELINING.")
$null = $md.AppendLine("- Each figure: the median of $Repetitions runs (scenario 4: $ImportRuns), with the spread (min–max) in brackets. Each run is a new process; time is taken with a Stopwatch inside it around the whole pipeline or loop (connect to QUIT), after Import-Module where one is needed; smtp-source prints no time, so it is timed around its process. Ratio = SmtpHandler / the reference (above 1: SmtpHandler is faster). The targets against raw MailKit are read against its plain (IL) build, as the issue defines them; its ReadyToRun row is informative, to show what precompilation alone is worth. Methods JIT-compiled come from ``[System.Runtime.JitInfo]::GetCompiledMethodCount(`$false)`` inside each process; with scenario 1's CPU time per message they are the figures least moved by other work on the machine.").AppendLine()
$null = $md.AppendLine('| Scenario | Client | Median (min–max) | Ratio |').AppendLine('|---|---|---|---|')
foreach ($row in $rows) { $null = $md.AppendLine("| $($row.Scenario) | $($row.Client) | $($row.Figure) | $($row.Ratio) |") }
$null = $md.AppendLine().AppendLine('| Target | Measured | |').AppendLine('|---|---|---|')
foreach ($target in $targets) { $null = $md.AppendLine("| $($target.Target) | $($target.Measured) | $($target.Met) |") }
$null = $md.AppendLine().AppendLine('What each client does:')
$null = $md.AppendLine("- Send-SmtpMessage: ```$recipients | Send-SmtpMessage -Individual -From … -Subject Bench -Body <$BodyBytes bytes> -SmtpServer 127.0.0.1 -Port PORT`` in a new pwsh ($($versions.PowerShell), ReadyToRun: see PowerShell above) after Import-Module; the results are kept and checked afterwards (every one Sent). Scenario 2 gives the recipients as ``-Bcc `$recipients -RecipientsPerMessage $PerTransaction`` (one message); scenario 5 adds ``-ConnectionCount $ConnectionCount``.")
$null = $md.AppendLine("- raw MailKit: bench/RawMailKit (net10.0, MailKit $($versions.MailKit)), ``SmtpClient.Connect`` then ``Send`` of a new MimeMessage per message, in a new process (so its JIT is counted, as the module's is). Built plain (IL, the reference of the targets) and published ReadyToRun for $rid (``dotnet publish -r $rid -p:PublishReadyToRun=true``: RawMailKit, MailKit and MimeKit precompiled; informative rows).")
$null = $md.AppendLine("- smtp-source: ``smtp-source -d -l $BodyBytes -m N`` (one connection, no pipelining), ``-r $PerTransaction`` for scenario 2, ``-s $ConnectionCount`` for scenario 5.")
$null = $md.AppendLine('- Python: bench/smtplib_bench.py, one `smtplib.SMTP` connection, an `EmailMessage` per message sent with `send_message` (as email-simplified does).')
$null = $md.AppendLine("- Send-MailMessage: the obsolete built-in of PowerShell $($versions.PowerShell) (warning suppressed), $SendMailMessageCount calls, each its own connection.")
$null = $md.AppendLine("- Scenario 1 with ``-StatePath``: the same command with a new state file on the temporary folder's disk ($([System.IO.Path]::GetTempPath())). Each message writes two lines (its recipient as Sending before the transaction, Accepted after it), each handed to the operating system at once; a background thread forces them to the disk (fsync) behind the send, so the send never waits for the disk. What it costs is those two writes and the JSON of each line, and the disk flushes competing for the machine.")
$null = $md.AppendLine("- Scenario 3: ``Send-SmtpMessage -Attachments <$AttachmentMB MB of random bytes>``; peak = VmHWM of that pwsh at the end; the baseline is the same script without the attachment.")
$null = $md.AppendLine('- Scenario 4: a Stopwatch inside a new pwsh around `Import-Module <output/SmtpHandler>` (and `Send-SmtpMessage` of one short message); starting pwsh itself is not counted. The three kinds of run take turns, on the ReadyToRun pwsh and then on the tool''s pwsh, in each repetition.')
[System.IO.File]::WriteAllText($ResultPath, $md.ToString())
Write-Host $md.ToString()
Write-Host "Results written to $ResultPath (load average before $loadBefore, after $loadAfter)" -ForegroundColor Cyan
