#Requires -Version 7.2
<#
.SYNOPSIS
    A developer's comparison of builds of the module on the send path alone, JIT and start-up left out: each build
    sends -Messages piped -Individual messages to smtp-sink over and over in one pwsh, and the CPU time per message
    of the later rounds is what is compared.
.DESCRIPTION
    Not part of -Task Bench (whose scenarios are fresh processes, as a script runs). The builds take turns, -Rounds
    times, so a change in the machine's load hits them alike; on a shared machine compare the minimum as much as
    the median. Runs on the ReadyToRun pwsh of bench/out when Invoke-Benchmark.ps1 has made it, else on this pwsh.
.EXAMPLE
    ./bench/Compare-SteadyState.ps1 -ModulePath /tmp/before/SmtpHandler, ./output/SmtpHandler
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $ModulePath,
    [int] $Rounds = 3,
    [int] $Messages = 2000,
    [int] $WarmUp = 3,
    [int] $Measured = 7
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# From bash (pwsh -File), "a,b" arrives as one string.
$ModulePath = @($ModulePath | ForEach-Object { $_ -split ',' } | Where-Object { $_ } | ForEach-Object { (Resolve-Path $_).Path })
$Root = Split-Path $PSScriptRoot -Parent
. (Join-Path $Root 'tests/TestServers.ps1')
. (Join-Path $Root 'tests/Postfix.ps1')

$pwsh = Get-ChildItem (Join-Path $PSScriptRoot 'out') -Filter 'pwsh-*-r2r-*' -Directory -ErrorAction SilentlyContinue |
    Where-Object { Test-Path (Join-Path $_.FullName '.readytorun-complete') } | Select-Object -First 1
$pwshDll = if ($pwsh) { Join-Path $pwsh.FullName 'pwsh.dll' } else { Join-Path $PSHOME 'pwsh.dll' }

# One process per build and round: warm-up sends, then -Measured sends, each timed with the process's CPU time.
$script = {
    param($Module, $Port, $Count, $WarmUp, $Measured)
    Import-Module $Module
    $body = 'x' * 1000
    $to = [string[]]::new($Count)
    for ($i = 0; $i -lt $Count; $i++) { $to[$i] = "user$i@example.test" }
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    $cpu = foreach ($round in 1..($WarmUp + $Measured)) {
        $process.Refresh()
        $before = $process.TotalProcessorTime
        $sent = @($to | Send-SmtpMessage -Individual -From 'bench@example.test' -Subject Bench -Body $body -SmtpServer 127.0.0.1 -Port $Port)
        $process.Refresh()
        if (@($sent | Where-Object Status -NE 'Sent').Count -gt 0 -or $sent.Count -ne $Count) { throw 'Not every message was sent.' }
        if ($round -gt $WarmUp) { ($process.TotalProcessorTime - $before).TotalMilliseconds * 1000 / $Count }
    }
    ($cpu | ForEach-Object { $_.ToString('0', [cultureinfo]::InvariantCulture) }) -join ' '
}

$sink = $null
try {
    $port = Get-FreeTcpPort
    $arguments = @('127.0.0.1:' + $port, '256')
    if ((& id -u) -eq '0') { $arguments = @('-u', 'nobody') + $arguments }
    $sink = Start-Process -FilePath /usr/sbin/smtp-sink -ArgumentList $arguments -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while (-not (Test-PostfixAnswers $port)) {
        if ($sink.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "smtp-sink did not start on 127.0.0.1:$port" }
        Start-Sleep -Milliseconds 100
    }

    $samples = @{}
    foreach ($round in 1..$Rounds) {
        foreach ($module in $ModulePath) {
            $line = & dotnet $pwshDll -NoProfile -NonInteractive -Command "& {$script} '$module' $port $Messages $WarmUp $Measured"
            if ($LASTEXITCODE -ne 0) { throw "The run of $module failed: $line" }
            $samples[$module] += @(($line | Select-Object -Last 1) -split ' ' | ForEach-Object { [double]$_ })
        }
    }

    foreach ($module in $ModulePath) {
        $sorted = @($samples[$module] | Sort-Object)
        [pscustomobject]@{
            Module              = $module
            'CPU µs/msg median' = [int]$sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)]
            'CPU µs/msg min'    = [int]$sorted[0]
            Samples             = $sorted.Count
        }
    }
}
finally {
    if ($sink -and -not $sink.HasExited) { $sink.Kill($true) }
}
