# A private Postfix instance for tests (dot-source this file): installed with apt-get when missing, on a
# free loopback port, with its own configuration, queue, data directory and log file, so several can run
# side by side (other test runs included) and the system's own mail set-up is never used.
# What the server saw is read from its log: connections, transactions (qmgr "nrcpt=" lines) and the
# recipients of each transaction; never the client's word.
Set-StrictMode -Version Latest

if (-not (Get-Command Get-FreeTcpPort -ErrorAction SilentlyContinue)) {
    . (Join-Path $PSScriptRoot 'TestServers.ps1')
}
if (-not (Get-Command Install-DebianPackage -ErrorAction SilentlyContinue)) {
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
}

$script:PostfixDirPrefix = 'smtphandler-postfix-'
$script:PostfixLockPath = Join-Path ([System.IO.Path]::GetTempPath()) 'smtphandler-postfix.lock'

function Test-PostfixInstalled {
    (Test-Path '/usr/sbin/postfix') -and (Test-DebianPackageInstalled postfix)
}

function Install-Postfix {
    # Postfix without a system configuration ("No configuration"), unattended, unless it is already installed.
    if (Test-PostfixInstalled) { return }
    Install-DebianPackage -Name postfix -DebconfSelection 'postfix postfix/main_mailer_type select No configuration'
}

function Use-PostfixLock {
    # Runs $Action while holding an exclusive lock shared by every test run on this machine that uses this file.
    param([Parameter(Mandatory)] [scriptblock] $Action)
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        try {
            $lock = [System.IO.File]::Open($script:PostfixLockPath, 'OpenOrCreate', 'ReadWrite', 'None')
            break
        }
        catch [System.IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for $($script:PostfixLockPath)" }
            Start-Sleep -Milliseconds 100
        }
    }
    try { & $Action } finally { $lock.Dispose() }
}

function Get-AlternateConfigDirectory {
    $value = (Invoke-AsRoot postconf @('-c', '/etc/postfix', '-h', 'alternate_config_directories') -AllowFailure).StdOut
    @($value -split '[,\s]+' | Where-Object { $_ })
}

function Set-AlternateConfigDirectory([string[]] $Directories) {
    Invoke-AsRoot postconf @('-c', '/etc/postfix', '-e', "alternate_config_directories = $($Directories -join ', ')") | Out-Null
}

function Register-PostfixConfigDirectory([string] $Directory) {
    # Postfix refuses "-c DIR" unless DIR is listed in the default main.cf. Add ours once (idempotent), and
    # drop entries of earlier runs of this harness whose directories are gone; other entries stay untouched.
    Use-PostfixLock {
        if (-not (Test-Path '/etc/postfix/main.cf')) { Invoke-AsRoot touch @('/etc/postfix/main.cf') | Out-Null }
        $current = Get-AlternateConfigDirectory
        $kept = @($current | Where-Object { $_ -notlike "*$($script:PostfixDirPrefix)*" -or (Test-Path $_) })
        if ($kept -notcontains $Directory) { $kept += $Directory }
        if (($kept -join ',') -ne ($current -join ',')) { Set-AlternateConfigDirectory $kept }
    }
}

function Unregister-PostfixConfigDirectory([string] $Directory) {
    Use-PostfixLock {
        $current = Get-AlternateConfigDirectory
        if ($current -contains $Directory) { Set-AlternateConfigDirectory @($current | Where-Object { $_ -ne $Directory }) }
    }
}

function New-PostfixMasterCf([string] $Port) {
    # The package's master.cf, with its smtp service moved to 127.0.0.1:PORT and every service unchrooted
    # (a private queue directory has none of the files a chroot needs).
    $source = @('/etc/postfix/master.cf', '/usr/share/postfix/master.cf.dist') | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $source) { throw 'Neither /etc/postfix/master.cf nor /usr/share/postfix/master.cf.dist exists.' }
    $lines = foreach ($line in Get-Content $source) {
        if ($line -match '^smtp\s+inet\s') {
            "127.0.0.1:$Port inet n - n - - smtpd"
        }
        elseif ($line -match '^[^#\s]') {
            $fields = $line -split '\s+'
            if ($fields.Count -ge 8) { $fields[4] = 'n'; $fields -join ' ' } else { $line }
        }
        else { $line }
    }
    $lines -join "`n"
}

function Start-Postfix {
    <#
    .SYNOPSIS
        Starts a private Postfix on a free 127.0.0.1 port that accepts mail for example.test, discards it,
        enforces -RecipientLimit (smtpd_recipient_limit) and logs to its own file. Installs Postfix first if needed.
    .OUTPUTS
        An object with Port, Directory, ConfigDirectory, LogPath and RecipientLimit; give it to Stop-Postfix.
    #>
    param(
        [int] $RecipientLimit = 1000,
        [int] $StartTimeoutSeconds = 30,
        # Where the instance's directory goes: the temporary folder by default; a tmpfs such as /dev/shm makes
        # Postfix's fsync of every queue file cheap, for runs of thousands of messages.
        [string] $BaseDirectory = [System.IO.Path]::GetTempPath()
    )
    Install-Postfix
    $lastError = $null
    foreach ($attempt in 1..3) {
        $server = New-PostfixInstance -RecipientLimit $RecipientLimit -BaseDirectory $BaseDirectory
        try {
            Start-PostfixInstance -Server $server -TimeoutSeconds $StartTimeoutSeconds
            return $server
        }
        catch {
            # Most likely the port was taken between choosing and binding it: try another one.
            $lastError = $_.Exception.Message
            Stop-Postfix $server
        }
    }
    throw "Postfix did not start: $lastError"
}

function New-PostfixInstance([int] $RecipientLimit, [string] $BaseDirectory = [System.IO.Path]::GetTempPath()) {
    $port = Get-FreeTcpPort
    $dir = Join-Path $BaseDirectory ($script:PostfixDirPrefix + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $conf = Join-Path $dir 'conf'
    $data = Join-Path $dir 'data'
    $null = New-Item -ItemType Directory -Path $conf, $data, (Join-Path $dir 'log'), (Join-Path $dir 'queue')
    Invoke-AsRoot chmod @('0755', $dir) | Out-Null
    Invoke-AsRoot chown @('postfix', $data) | Out-Null
    $log = Join-Path $dir 'log/maillog'
    @"
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $data
mail_owner = postfix
myhostname = pf.example.test
mydomain = example.test
myorigin = pf.example.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = example.test
default_transport = discard:
relay_transport = discard:
smtpd_recipient_limit = $RecipientLimit
smtpd_peername_lookup = no
smtpd_tls_security_level = none
maillog_file = $log
maillog_file_prefixes = $dir
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
"@ | Set-Content -Path (Join-Path $conf 'main.cf')
    New-PostfixMasterCf -Port $port | Set-Content -Path (Join-Path $conf 'master.cf')
    [pscustomobject]@{
        Port            = $port
        Directory       = $dir
        ConfigDirectory = $conf
        LogPath         = $log
        RecipientLimit  = $RecipientLimit
        Started         = $false
        LogMark         = 0L
    }
}

function Start-PostfixInstance($Server, [int] $TimeoutSeconds) {
    Register-PostfixConfigDirectory $Server.ConfigDirectory
    $start = Invoke-AsRoot postfix @('-c', $Server.ConfigDirectory, 'start') -AllowFailure
    $Server.Started = $true
    if ($start.ExitCode -ne 0) {
        throw "postfix -c $($Server.ConfigDirectory) start exited $($start.ExitCode): $($start.Output) $(Get-PostfixLogText $Server)"
    }
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-PostfixAnswers $Server.Port) {
            # The probe is a session of its own: wait for it to be logged, then count only what comes after.
            $null = Wait-PostfixIdle -Server $Server -Since 0 -TimeoutSeconds 10
            $Server.LogMark = Get-PostfixLogMark $Server
            return
        }
        Start-Sleep -Milliseconds 200
    }
    throw "Postfix on port $($Server.Port) did not answer within $TimeoutSeconds s. $(Get-PostfixLogText $Server)"
}

function Test-PostfixAnswers([int] $Port) {
    # True when a 220 greeting comes from the port; says QUIT politely.
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.ReceiveTimeout = 3000
        $client.Connect([System.Net.IPAddress]::Loopback, $Port)
        $stream = $client.GetStream()
        $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::ASCII)
        $banner = $reader.ReadLine()
        if ($banner -notmatch '^220 ') { return $false }
        $bytes = [System.Text.Encoding]::ASCII.GetBytes("QUIT`r`n")
        $stream.Write($bytes, 0, $bytes.Length)
        $null = $reader.ReadLine()
        $true
    }
    catch { $false }
    finally { $client.Dispose() }
}

function Get-PostfixLogText($Server, [long] $Since = 0) {
    if (-not (Test-Path $Server.LogPath)) { return '' }
    $stream = [System.IO.File]::Open($Server.LogPath, 'Open', 'Read', 'ReadWrite')
    try {
        $null = $stream.Seek([Math]::Min($Since, $stream.Length), 'Begin')
        [System.IO.StreamReader]::new($stream).ReadToEnd()
    }
    finally { $stream.Dispose() }
}

function Get-PostfixLogMark($Server) {
    # A position in the log; Get-PostfixActivity -Since it counts only what happened afterwards.
    if (Test-Path $Server.LogPath) { (Get-Item $Server.LogPath).Length } else { 0L }
}

function ConvertFrom-PostfixLog([string] $Text) {
    $connections = [regex]::Matches($Text, 'postfix/smtpd\[\d+\]: connect from ').Count
    $disconnections = [regex]::Matches($Text, 'postfix/smtpd\[\d+\]: disconnect from ').Count
    $queued = @([regex]::Matches($Text, 'postfix/cleanup\[\d+\]: (\w+): message-id=') | ForEach-Object { $_.Groups[1].Value })
    $removed = @([regex]::Matches($Text, 'postfix/qmgr\[\d+\]: (\w+): removed') | ForEach-Object { $_.Groups[1].Value })
    $transactions = foreach ($m in [regex]::Matches($Text, 'postfix/qmgr\[\d+\]: (\w+): from=<([^>]*)>, size=\d+, nrcpt=(\d+)')) {
        $id = $m.Groups[1].Value
        $to = @([regex]::Matches($Text, "postfix/discard\[\d+\]: ${id}: to=<([^>]*)>.*status=sent") | ForEach-Object { $_.Groups[1].Value })
        [pscustomobject]@{ QueueId = $id; From = $m.Groups[2].Value; RecipientCount = [int]$m.Groups[3].Value; Recipients = $to }
    }
    # In the order the transactions were received (cleanup's lines): the queue manager picks queued messages
    # up in no fixed order, so its own lines may put a later transaction first.
    $transactions = @($transactions | Sort-Object { [array]::IndexOf($queued, $_.QueueId) })
    # smtpd's "disconnect from" line counts RCPT commands as ok/sent ("rcpt=10/12"), or just "rcpt=10" when all
    # were ok; a "452 too many recipients" reply counts as ok there.
    $rcptAccepted = 0
    $rcptSent = 0
    foreach ($m in [regex]::Matches($Text, 'postfix/smtpd\[\d+\]: disconnect from .* rcpt=(\d+)(?:/(\d+))?')) {
        $rcptAccepted += [int]$m.Groups[1].Value
        $rcptSent += if ($m.Groups[2].Success) { [int]$m.Groups[2].Value } else { [int]$m.Groups[1].Value }
    }
    [pscustomobject]@{
        Connections    = $connections
        Disconnections = $disconnections
        RcptAccepted   = $rcptAccepted
        RcptSent       = $rcptSent
        Transactions   = @($transactions)
        Recipients     = @($transactions | ForEach-Object { $_.Recipients })
        Queued         = $queued
        Removed        = $removed
    }
}

function Wait-PostfixIdle($Server, [long] $Since, [int] $TimeoutSeconds = 20) {
    # Waits until every session since -Since has ended and every queued message has been delivered
    # (discarded) and removed, and the log has stopped growing; returns the parsed activity.
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    $lastLength = -1L
    while ($true) {
        $text = Get-PostfixLogText $Server $Since
        $activity = ConvertFrom-PostfixLog $text
        $settled = $activity.Connections -eq $activity.Disconnections -and
            @($activity.Queued | Where-Object { $activity.Removed -notcontains $_ }).Count -eq 0 -and
            $activity.Transactions.Count -eq $activity.Queued.Count
        if ($settled -and $text.Length -eq $lastLength) { return $activity }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "Postfix's log did not settle within $TimeoutSeconds s:`n$text"
        }
        $lastLength = $text.Length
        Start-Sleep -Milliseconds 250
    }
}

function Get-PostfixActivity {
    <#
    .SYNOPSIS
        What Postfix saw since -Since (a Get-PostfixLogMark; by default since it started): Connections,
        Transactions each with RecipientCount (qmgr nrcpt=) and the Recipients it delivered, and the RCPT
        commands it accepted (RcptAccepted) out of those sent (RcptSent).
    #>
    param([Parameter(Mandatory)] $Server, [long] $Since = -1, [int] $TimeoutSeconds = 20)
    if ($Since -lt 0) { $Since = $Server.LogMark }
    Wait-PostfixIdle -Server $Server -Since $Since -TimeoutSeconds $TimeoutSeconds
}

function Stop-Postfix {
    # Stops the instance, waits for its master process to end, unregisters and removes its directory.
    param($Server, [switch] $KeepFiles)
    if (-not $Server) { return }
    $pidFile = Join-Path $Server.Directory 'queue/pid/master.pid'
    if ($Server.Started) {
        $null = Invoke-AsRoot postfix @('-c', $Server.ConfigDirectory, 'stop') -AllowFailure
        $masterPid = if (Test-Path $pidFile) { [int]((Get-Content $pidFile -Raw).Trim()) } else { 0 }
        if ($masterPid -gt 0) {
            $process = Get-Process -Id $masterPid -ErrorAction SilentlyContinue
            if ($process -and -not $process.WaitForExit(15000)) {
                $null = Invoke-AsRoot postfix @('-c', $Server.ConfigDirectory, 'abort') -AllowFailure
                if (-not $process.WaitForExit(5000)) { $process.Kill($true) }
            }
        }
        $Server.Started = $false
    }
    Unregister-PostfixConfigDirectory $Server.ConfigDirectory
    if (-not $KeepFiles -and (Test-Path $Server.Directory)) {
        $null = Invoke-AsRoot rm @('-rf', '--', $Server.Directory) -AllowFailure
    }
}
