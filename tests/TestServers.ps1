# Real SMTP servers for tests and the demo: each binds to 127.0.0.1 on a free port and is stopped by its caller.
Set-StrictMode -Version Latest

$script:RepoRoot = Split-Path $PSScriptRoot -Parent

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-Smtp4dev {
    <#
    .SYNOPSIS
        Starts smtp4dev (the pinned local dotnet tool) on free loopback ports with an in-memory store,
        and waits until its REST API answers.
    #>
    param(
        [ValidateSet('None', 'StartTls', 'ImplicitTls')] [string] $TlsMode = 'None',
        [string] $CertificatePath,
        [string] $CertificateKeyPath,
        [string[]] $User,
        [switch] $AuthenticationRequired,
        # Check passwords against -User (smtp4dev accepts any credentials unless told otherwise).
        [switch] $CheckCredentials,
        [int] $MessagesToKeep = 1000,
        [int] $StartTimeoutSeconds = 60,
        # A fixed SMTP port (e.g. 465) instead of a free one.
        [int] $SmtpPort,
        # The SASL mechanisms offered (PLAIN, LOGIN, CRAM-MD5, ANONYMOUS), on secure and plain connections alike;
        # smtp4dev's default list otherwise.
        [string[]] $AuthTypes,
        # Return at once; Wait-Smtp4dev waits for it. Lets several servers start side by side.
        [switch] $NoWait
    )
    $smtpPort = if ($SmtpPort) { $SmtpPort } else { Get-FreeTcpPort }
    $webPort = Get-FreeTcpPort
    $arguments = @(
        'tool', 'run', 'smtp4dev', '--',
        "--smtpport=$smtpPort", "--urls=http://127.0.0.1:$webPort", '--db=', '--nousersettings',
        '--hostname=localhost', '--bindaddress=127.0.0.1', '--imapport=', '--pop3port=',
        "--messagestokeep=$MessagesToKeep", "--sessionstokeep=$MessagesToKeep", "--tlsmode=$TlsMode"
    )
    if ($CertificatePath) { $arguments += "--tlscertificate=$CertificatePath" }
    if ($CertificateKeyPath) { $arguments += "--tlscertificateprivatekey=$CertificateKeyPath" }
    if ($AuthenticationRequired) { $arguments += '--authenticationrequired' }
    if ($CheckCredentials) { $arguments += '--smtpallowanycredentials-' }
    foreach ($u in $User) { $arguments += "--user=$u" }
    if ($AuthTypes) { $arguments += "--SmtpAuthTypesSecure=$($AuthTypes -join ',')"; $arguments += "--SmtpAuthTypesNotSecure=$($AuthTypes -join ',')" }

    $log = Join-Path ([System.IO.Path]::GetTempPath()) "smtp4dev-$smtpPort.log"
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in $arguments) { $info.ArgumentList.Add($a) }
    $info.WorkingDirectory = $script:RepoRoot
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::new()
    $process.StartInfo = $info
    $writer = [System.IO.StreamWriter]::new($log)
    $writer.AutoFlush = $true
    $handler = { param($s, $e) if ($null -ne $e.Data) { $Event.MessageData.WriteLine($e.Data) } }
    $outEvent = Register-ObjectEvent -InputObject $process -EventName OutputDataReceived -Action $handler -MessageData $writer
    $errEvent = Register-ObjectEvent -InputObject $process -EventName ErrorDataReceived -Action $handler -MessageData $writer
    [void]$process.Start()
    $process.BeginOutputReadLine()
    $process.BeginErrorReadLine()

    $server = [pscustomobject]@{
        Process  = $process
        SmtpPort = $smtpPort
        WebPort  = $webPort
        WebUrl   = "http://127.0.0.1:$webPort"
        ApiUrl   = "http://127.0.0.1:$webPort/api"
        LogPath  = $log
        Events   = @($outEvent, $errEvent)
        Writer   = $writer
    }
    if ($NoWait) { return $server }
    Wait-Smtp4dev $server -StartTimeoutSeconds $StartTimeoutSeconds
}

function Wait-Smtp4dev {
    # Waits until a server from Start-Smtp4dev answers on its API and SMTP port, and returns it; stops it and throws if it does not.
    param([Parameter(Mandatory)] $Server, [int] $StartTimeoutSeconds = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($StartTimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Server.Process.HasExited) { break }
        try {
            $null = Invoke-RestMethod "$($Server.ApiUrl)/messages" -TimeoutSec 2
            if (Test-SmtpPortOpen $Server.SmtpPort) { return $Server }
        }
        catch { Start-Sleep -Milliseconds 250 }
    }
    Stop-Smtp4dev $Server
    throw "smtp4dev did not start within $StartTimeoutSeconds s; its log: $(Get-Content $Server.LogPath -Raw -ErrorAction SilentlyContinue)"
}

function Test-SmtpPortOpen([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.Connect('127.0.0.1', $Port); $true } catch { $false } finally { $client.Dispose() }
}

function Stop-Smtp4dev {
    param($Server)
    if (-not $Server) { return }
    if (-not $Server.Process.HasExited) {
        $Server.Process.Kill($true)
        [void]$Server.Process.WaitForExit(10000)
    }
    foreach ($e in $Server.Events) { Unregister-Event -SourceIdentifier $e.Name -ErrorAction SilentlyContinue }
    $Server.Writer.Dispose()
    $Server.Process.Dispose()
}

function Get-Smtp4devMessage {
    # Every message smtp4dev holds, newest last, as its API summarises them.
    param([Parameter(Mandatory)] $Server)
    $all = @()
    $page = 1
    do {
        $response = Invoke-RestMethod "$($Server.ApiUrl)/messages?page=$page&pageSize=500"
        $all += @($response.results)
        $page++
    } while ($page -le $response.pageCount)
    @($all | Sort-Object receivedDate)
}

function Get-Smtp4devRawMessage {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Id)
    (Invoke-WebRequest "$($Server.ApiUrl)/messages/$Id/raw").Content
}

function Get-Smtp4devSession {
    param([Parameter(Mandatory)] $Server)
    @((Invoke-RestMethod "$($Server.ApiUrl)/sessions?page=1&pageSize=1000").results)
}

function Clear-Smtp4dev {
    param([Parameter(Mandatory)] $Server)
    $null = Invoke-RestMethod -Method Delete "$($Server.ApiUrl)/messages/*"
    $null = Invoke-RestMethod -Method Delete "$($Server.ApiUrl)/sessions/*" -ErrorAction SilentlyContinue
}
