# A server that means harm, through the module: every wait ends within -Timeout (plus a small margin), Ctrl+C
# (StopProcessing) ends it within two seconds, and an endless reply is refused without being buffered. The
# engine-level half is tests/SmtpHandler.Engine.Tests/Protocol/HostileServerTests.cs.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-hostile-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
    $script:ServerCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
    $script:Margin = 1.5
    $script:Servers = [System.Collections.Generic.List[object]]::new()

    function New-HostileServer {
        # A test server that takes -Action at -Verb (TLS: before its handshake), in plaintext or with -Mode's TLS.
        param([Parameter(Mandatory)] [string] $Verb, [Parameter(Mandatory)] [SmtpHandler.Testing.ServerAction] $Action, [string] $Mode = 'None')
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        if ($Mode -ne 'None') { $options.Certificate = $ServerCert }
        $options.ImplicitTls = $Mode -eq 'ImplicitTls'
        $options.Script = [SmtpHandler.Testing.ServerScript]::At($Verb, $Action)
        $server = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        $Servers.Add($server)
        $server
    }

    function Get-TlsSwitch([string] $Mode) {
        switch ($Mode) { 'ImplicitTls' { @{ UseTls = $true; TrustedCertificatePath = $Certs.CaPem } } 'StartTls' { @{ UseStartTls = $true; TrustedCertificatePath = $Certs.CaPem } } default { @{} } }
    }

    function Measure-Send {
        # Sends one message through a config with -Timeout 3 and one connection (RetryCount 0: each retry would get its
        # own -Timeout), in a runspace of its own: a send still running after 15 s is abandoned and shows as 999 s.
        param([Parameter(Mandatory)] [int] $Port, [string] $Mode = 'None', [string] $Server = '127.0.0.1')
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($Module, $Server, $Port, $Tls)
            Import-Module $Module
            $config = New-SmtpHandlerConfig -SmtpServer $Server -Port $Port -Timeout 3 -RetryCount 0 @Tls
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $result = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Hostile' -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
            [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Result = $result; Errors = @($problems) }
        }).AddParameters(@{ Module = $ModulePath; Server = $Server; Port = $Port; Tls = (Get-TlsSwitch $Mode) })
        $async = $ps.BeginInvoke()
        if (-not $async.AsyncWaitHandle.WaitOne(15000)) {
            $null = $ps.BeginStop($null, $null)
            return [pscustomobject]@{ Seconds = 999; Result = $null; Errors = @() }
        }
        try { $ps.EndInvoke($async) | Select-Object -Last 1 } finally { $ps.Dispose() }
    }

    function Measure-Stop {
        # Starts Send-SmtpMessage (a config with -Timeout 60) in a runspace of its own, stops it (Ctrl+C) after a second, and times the stop.
        param([Parameter(Mandatory)] [int] $Port, [string] $Mode = 'None', [string] $Server = '127.0.0.1')
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Server, $Port, $Tls)
                Import-Module $Module
                $config = New-SmtpHandlerConfig -SmtpServer $Server -Port $Port -Timeout 60 @Tls
                Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Stop' -Body 'x'
            }).AddParameters(@{ Module = $ModulePath; Server = $Server; Port = $Port; Tls = (Get-TlsSwitch $Mode) })
            $async = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 1000
            $async.IsCompleted | Should -BeFalse -Because 'the send must still be waiting when it is stopped'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $stopping = $ps.BeginStop($null, $null)
            if (-not $stopping.AsyncWaitHandle.WaitOne(10000)) { return 999 }
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $clock.Elapsed.TotalSeconds
            $ps.Dispose()
        }
        catch { $ps.Dispose(); throw }
    }
}

AfterAll {
    foreach ($server in $Servers) { $server.Dispose() }
    if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'A TLS handshake that never completes (issue 15, item 1)' {
    It 'gives up within -Timeout with <Mode>, and stops at once on Ctrl+C' -ForEach @(@{ Mode = 'ImplicitTls' }, @{ Mode = 'StartTls' }) {
        $server = New-HostileServer -Verb TLS -Action ([SmtpHandler.Testing.ServerAction]::Silence) -Mode $Mode
        $send = Measure-Send -Port $server.Port -Mode $Mode
        $send.Seconds | Should -BeLessThan (3 + $Margin)
        $send.Result.Status | Should -Be 'Failed'
        $send.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionTimedOut,*'
        $stop = Measure-Stop -Port $server.Port -Mode $Mode
        Write-Host "    gave up after $($send.Seconds.ToString('0.00')) s at -Timeout 3; stopped $($stop.ToString('0.00')) s after Ctrl+C"
        $stop | Should -BeLessThan 2
        $server.Delivered.Count | Should -Be 0
    }
}

Describe 'A reply dripped a byte at a time, without end (issue 15, item 2)' {
    It 'gives up within -Timeout at <Verb> (<Mode>), and stops at once on Ctrl+C' -ForEach @(
        @{ Verb = 'CONNECT'; Mode = 'None' }, @{ Verb = 'EHLO'; Mode = 'None' }, @{ Verb = 'STARTTLS'; Mode = 'StartTls' }, @{ Verb = '.'; Mode = 'None' }
    ) {
        # A byte every 200 ms: the line is never idle for a second, and the reply never ends.
        $server = New-HostileServer -Verb $Verb -Action ([SmtpHandler.Testing.ServerAction]::Drip("250-still going`r`n", [TimeSpan]::FromMilliseconds(200))) -Mode $Mode
        $send = Measure-Send -Port $server.Port -Mode $Mode
        $send.Seconds | Should -BeLessThan (3 + $Margin)
        if ($Verb -eq '.') {
            $send.Result.Recipients[0].Status | Should -Be 'Unknown'
        }
        else {
            $send.Result.Status | Should -Be 'Failed'
            $send.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionTimedOut,*'
        }
        $stop = Measure-Stop -Port $server.Port -Mode $Mode
        Write-Host "    gave up after $($send.Seconds.ToString('0.00')) s at -Timeout 3; stopped $($stop.ToString('0.00')) s after Ctrl+C"
        $stop | Should -BeLessThan 2
    }
}

Describe 'A name server that never answers (issue 15, item 3)' {
    BeforeAll {
        # A private mount namespace whose resolv.conf names 127.0.0.1, where a UDP socket takes queries and never
        # answers: the system resolver itself hangs (about 10 s a lookup), and nothing outside the child is touched.
        $script:ResolverSkip = $null
        if (-not $IsLinux) { $ResolverSkip = 'Linux only' }
        elseif (-not (Get-Command unshare -ErrorAction SilentlyContinue)) { $ResolverSkip = 'unshare is missing' }
        elseif ((& id -u) -ne '0') { $ResolverSkip = 'needs root for a private mount namespace' }
    }

    It 'gives up within -Timeout, and stops at once on Ctrl+C' {
        if ($ResolverSkip) { Set-ItResult -Skipped -Because $ResolverSkip; return }
        $resolv = Join-Path $Certs.Directory 'resolv.conf'
        Set-Content -Path $resolv -Value 'nameserver 127.0.0.1'
        $child = Join-Path $Certs.Directory 'resolver-child.ps1'
        Set-Content -Path $child -Value @'
$ErrorActionPreference = 'Stop'
$udp = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 53))
Import-Module $env:SMTPHANDLER_MODULE_PATH
$probe = Measure-Command { try { $null = [System.Net.Dns]::GetHostAddresses('probe.example.test') } catch { } }
$config = New-SmtpHandlerConfig -SmtpServer mail.example.test -Timeout 3 -RetryCount 0
$send = Measure-Command { $result = Send-SmtpMessage -Config $config -From ops@example.test -To ann@example.test -Subject x -Body x -ErrorAction SilentlyContinue -ErrorVariable problems }
$ps = [powershell]::Create()
$null = $ps.AddScript({ param($Module) Import-Module $Module; Send-SmtpMessage -Config (New-SmtpHandlerConfig -SmtpServer mail2.example.test -Timeout 60) -From ops@example.test -To ann@example.test -Subject x -Body x }).AddArgument($env:SMTPHANDLER_MODULE_PATH)
$async = $ps.BeginInvoke()
Start-Sleep -Milliseconds 1000
$running = -not $async.IsCompleted
$stop = Measure-Command { $ps.Stop() }
[pscustomobject]@{ Probe = $probe.TotalSeconds; Send = $send.TotalSeconds; ErrorId = "$($problems[0].FullyQualifiedErrorId)"; Running = $running; Stop = $stop.TotalSeconds } | ConvertTo-Json -Compress
$udp.Dispose()
'@
        $info = [System.Diagnostics.ProcessStartInfo]::new('unshare')
        $command = "mount --bind '$resolv' /etc/resolv.conf && exec dotnet '$(Join-Path $PSHOME 'pwsh.dll')' -NoProfile -NonInteractive -File '$child'"
        foreach ($a in '-m', 'sh', '-c', $command) { $info.ArgumentList.Add($a) }
        $info.Environment['SMTPHANDLER_MODULE_PATH'] = $ModulePath
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        if (-not $process.WaitForExit(120000)) { $process.Kill($true) }
        $line = ($stdout.Result -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1)
        if (-not $line) {
            if ($stderr.Result -match 'mount|unshare|Operation not permitted') { Set-ItResult -Skipped -Because "no private mount namespace here: $($stderr.Result.Trim())"; return }
            throw "the child said nothing: $($stdout.Result) $($stderr.Result)"
        }
        $measured = $line | ConvertFrom-Json
        Write-Host "    resolver probe $($measured.Probe.ToString('0.0')) s; send $($measured.Send.ToString('0.0')) s at -Timeout 3 ($($measured.ErrorId)); stop $($measured.Stop.ToString('0.00')) s"
        $measured.Probe | Should -BeGreaterThan 5 -Because 'the resolver must really hang for the test to prove anything'
        $measured.Send | Should -BeLessThan (3 + $Margin)
        $measured.ErrorId | Should -BeLike 'ConnectionTimedOut,*'
        $measured.Running | Should -BeTrue
        $measured.Stop | Should -BeLessThan 2
    }
}

Describe 'An endless reply (issue 15, item 4)' {
    It 'is refused with ReplyTooLong at <Verb> (<Mode>) while the peak working set stays small' -Skip:(-not $IsLinux) -ForEach @(
        @{ Verb = 'EHLO'; Mode = 'None' }, @{ Verb = 'EHLO'; Mode = 'StartTls' }, @{ Verb = 'RCPT'; Mode = 'ImplicitTls' }
    ) {
        # In a child pwsh, so that its peak working set (VmHWM) is this send's alone. The server in it writes 200 MB
        # from one small buffer.
        $script = @'
. $env:TEST_SMTP_SERVER
$Mode = $env:HOSTILE_MODE
$options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
if ($Mode -ne 'None') { $options.Certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($env:SERVER_PFX) }
$options.ImplicitTls = $Mode -eq 'ImplicitTls'
$flood = if ($env:HOSTILE_VERB -eq 'EHLO') { [SmtpHandler.Testing.ServerAction]::Flood("250-smtp.test`r`n", "250-XFILLER`r`n", 200MB, "250 OK`r`n") } else { [SmtpHandler.Testing.ServerAction]::Flood('550 5.1.1 ', 'z', 200MB, "`r`n") }
$options.Script = [SmtpHandler.Testing.ServerScript]::At($env:HOSTILE_VERB, $flood)
$server = [SmtpHandler.Testing.SmtpTestServer]::new($options)
Import-Module $env:SMTPHANDLER_MODULE_PATH
$tls = switch ($Mode) { 'ImplicitTls' { @{ UseTls = $true; TrustedCertificatePath = $env:CA_PEM } } 'StartTls' { @{ UseStartTls = $true; TrustedCertificatePath = $env:CA_PEM } } default { @{} } }
function Peak { [long](((Get-Content /proc/self/status) -match '^VmHWM:' -split '\s+')[1]) * 1KB }
$before = Peak
$config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Timeout 30 -RetryCount 0 @tls
$result = Send-SmtpMessage -Config $config -From ops@example.test -To ann@example.test -Subject x -Body x -ErrorAction SilentlyContinue -ErrorVariable problems
[pscustomobject]@{ Before = $before; After = (Peak); Status = "$($result.Status)"; ErrorId = "$($problems[0].FullyQualifiedErrorId)"; Message = "$($problems[0].Exception.Message)" } | ConvertTo-Json -Compress
$server.Dispose()
'@
        $run = Invoke-NewPwsh -Script $script -Environment @{
            SMTPHANDLER_MODULE_PATH = $ModulePath; TEST_SMTP_SERVER = (Join-Path $PSScriptRoot 'TestSmtpServer.ps1'); HOSTILE_MODE = $Mode; HOSTILE_VERB = $Verb
            SERVER_PFX = $Certs.ServerPfx; CA_PEM = $Certs.CaPem
        }
        $line = ($run.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1)
        $line | Should -Not -BeNullOrEmpty -Because "the child wrote: $($run.Output) $($run.Error)"
        $measured = $line | ConvertFrom-Json
        $grown = ($measured.After - $measured.Before) / 1MB
        Write-Host "    $Verb ($Mode): peak working set $([math]::Round($measured.Before / 1MB)) MB before, $([math]::Round($measured.After / 1MB)) MB after"
        $measured.Status | Should -Be 'Failed'
        $measured.ErrorId | Should -BeLike 'ReplyTooLong,*'
        $measured.Message | Should -Match 'longer than'
        $grown | Should -BeLessThan 64
    }
}
