# One measurement, run by bench/Invoke-Benchmark.ps1 in a new pwsh process (a fresh process each time, as a
# script would run). The work is timed with a Stopwatch inside this process, around the whole pipeline or call;
# starting pwsh is not timed. Prints one line: "elapsed_ms=<ms> messages=<n> transactions=<n> peak_kb=<VmHWM>
# cpu_ms=<process CPU over the span> jit=<methods JIT-compiled by the process> jit_span=<of them, within the span>".
# Everything is checked after the clock stops: a run that did not send every message fails loudly.
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateSet('Individual', 'SendMailMessage', 'Batched', 'Attachment', 'Tiny', 'Import', 'ImportEmpty', 'ImportAndSend')]
    [string] $Scenario,

    [string] $ModulePath,
    [int] $Port,
    [int] $Count = 2000,
    [int] $BodyBytes = 1000,
    [int] $ConnectionCount = 1,
    [int] $PerTransaction = 100,
    [string] $AttachmentPath,
    # Individual only: sends with -StatePath to a new file here (removed first and afterwards).
    [string] $StatePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$from = 'bench@example.test'

function Get-Body([int] $Bytes) {
    # About $Bytes bytes of ASCII text in lines of 76 characters, as the other clients of the benchmark send.
    $text = [System.Text.StringBuilder]::new($Bytes + 80)
    $line = 0
    while ($text.Length -lt $Bytes) {
        $null = $text.Append([char](97 + $line % 26), 76).Append("`r`n")
        $line++
    }
    $text.ToString(0, $Bytes)
}

function Get-PeakKilobytes {
    # The process's peak resident set (VmHWM) on Linux; the peak working set elsewhere.
    if (Test-Path /proc/self/status) {
        foreach ($line in [System.IO.File]::ReadAllLines('/proc/self/status')) {
            if ($line -match '^VmHWM:\s+(\d+)\s+kB') { return [long]$Matches[1] }
        }
    }
    [long]([System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1KB)
}

function Assert-AllSent($Results, [int] $Expected) {
    $all = @($Results)
    $sent = @($all | Where-Object { "$($_.Status)" -eq 'Sent' }).Count
    if ($all.Count -ne $Expected -or $sent -ne $Expected) {
        $first = $all | Where-Object { "$($_.Status)" -ne 'Sent' } | Select-Object -First 1
        throw "Expected $Expected messages sent, got $($all.Count) results of which $sent were sent. First other: $($first | Out-String)"
    }
}

$script:CpuAtStart = [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
$script:JitAtStart = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
function Start-Clock {
    # The process's CPU time and JIT count are read with the clock: the work's CPU cost, less sensitive to a loaded
    # machine than its time, and how much of it went to compiling methods.
    $script:CpuAtStart = [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    $script:JitAtStart = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    [System.Diagnostics.Stopwatch]::StartNew()
}

function Stop-Clock([System.Diagnostics.Stopwatch] $Clock) {
    # Read when the clock stops, so that the checks made afterwards count in neither.
    $Clock.Stop()
    $script:CpuSpan = ([System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $script:CpuAtStart).TotalMilliseconds
    $script:JitTotal = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    $script:JitSpan = $script:JitTotal - $script:JitAtStart
}

function Write-Measurement([double] $Milliseconds, [int] $Messages, [int] $Transactions) {
    # jit = methods JIT-compiled by the whole process up to the clock's stop (start-up and import included);
    # jit_span = those compiled within the timed span.
    [Console]::Out.WriteLine(('elapsed_ms={0} messages={1} transactions={2} peak_kb={3} cpu_ms={4} jit={5} jit_span={6}' -f
            $Milliseconds.ToString('0.000', [cultureinfo]::InvariantCulture), $Messages, $Transactions, (Get-PeakKilobytes),
            $script:CpuSpan.ToString('0.000', [cultureinfo]::InvariantCulture), $script:JitTotal, $script:JitSpan))
}

switch ($Scenario) {
    'Import' {
        $clock = Start-Clock
        Import-Module $ModulePath
        Stop-Clock $clock
        Write-Measurement $clock.Elapsed.TotalMilliseconds 0 0
    }
    'ImportEmpty' {
        # PowerShell's own cost of a first Import-Module in a new process, for comparison: a script module of one function.
        $clock = Start-Clock
        Import-Module $ModulePath
        Stop-Clock $clock
        Write-Measurement $clock.Elapsed.TotalMilliseconds 0 0
    }
    'ImportAndSend' {
        $clock = Start-Clock
        Import-Module $ModulePath
        $result = Send-SmtpMessage -To 'first@example.test' -From $from -Subject 'First' -Body 'The first message after import.' -SmtpServer 127.0.0.1 -Port $Port
        Stop-Clock $clock
        Assert-AllSent $result 1
        Write-Measurement $clock.Elapsed.TotalMilliseconds 1 1
    }
    'Individual' {
        Import-Module $ModulePath
        $body = Get-Body $BodyBytes
        $recipients = [string[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) { $recipients[$i] = "user$($i + 1)@example.test" }
        $extra = @{}
        if ($ConnectionCount -gt 1) { $extra.ConnectionCount = $ConnectionCount }
        if ($StatePath) {
            Remove-Item -LiteralPath $StatePath -ErrorAction SilentlyContinue
            $extra.StatePath = $StatePath
        }
        $clock = Start-Clock
        $results = $recipients | Send-SmtpMessage -Individual -From $from -Subject 'Bench' -Body $body -SmtpServer 127.0.0.1 -Port $Port @extra
        Stop-Clock $clock
        Assert-AllSent $results $Count
        if ($StatePath) {
            # The header, then a Sending and an Accepted line per message.
            $lines = [System.IO.File]::ReadAllLines($StatePath).Count
            Remove-Item -LiteralPath $StatePath
            if ($lines -ne 2 * $Count + 1) { throw "Expected $(2 * $Count + 1) lines in the state file, got $lines" }
        }
        Write-Measurement $clock.Elapsed.TotalMilliseconds $Count $Count
    }
    'SendMailMessage' {
        $body = Get-Body $BodyBytes
        $clock = Start-Clock
        for ($i = 1; $i -le $Count; $i++) {
            Send-MailMessage -From $from -To "user$i@example.test" -Subject 'Bench' -Body $body -SmtpServer 127.0.0.1 -Port $Port -WarningAction SilentlyContinue
        }
        Stop-Clock $clock
        Write-Measurement $clock.Elapsed.TotalMilliseconds $Count $Count
    }
    'Batched' {
        # One message to $Count recipients given as -Bcc (a mass mail: nobody sees the others, the header stays
        # small like the other clients' messages), $PerTransaction per SMTP transaction, one connection.
        Import-Module $ModulePath
        $body = Get-Body $BodyBytes
        $recipients = [string[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) { $recipients[$i] = "user$($i + 1)@example.test" }
        $clock = Start-Clock
        $result = Send-SmtpMessage -Bcc $recipients -RecipientsPerMessage $PerTransaction -From $from -Subject 'Bench batched' -Body $body -SmtpServer 127.0.0.1 -Port $Port
        Stop-Clock $clock
        Assert-AllSent $result 1
        if ($result.Accepted.Count -ne $Count) { throw "Expected $Count recipients accepted, got $($result.Accepted.Count)" }
        Write-Measurement $clock.Elapsed.TotalMilliseconds 1 $result.Transactions
    }
    'Attachment' {
        Import-Module $ModulePath
        $clock = Start-Clock
        $result = Send-SmtpMessage -To 'user1@example.test' -From $from -Subject 'Bench attachment' -Body 'See the attachment.' -Attachments $AttachmentPath -SmtpServer 127.0.0.1 -Port $Port
        Stop-Clock $clock
        Assert-AllSent $result 1
        Write-Measurement $clock.Elapsed.TotalMilliseconds 1 1
    }
    'Tiny' {
        # The baseline of 'Attachment': the same process doing the same, without the attachment.
        Import-Module $ModulePath
        $clock = Start-Clock
        $result = Send-SmtpMessage -To 'user1@example.test' -From $from -Subject 'Bench attachment' -Body 'See the attachment.' -SmtpServer 127.0.0.1 -Port $Port
        Stop-Clock $clock
        Assert-AllSent $result 1
        Write-Measurement $clock.Elapsed.TotalMilliseconds 1 1
    }
}
