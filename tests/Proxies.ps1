# Real proxies for the proxy tests: Debian's microsocks (SOCKS 5) and tinyproxy (HTTP CONNECT), each started on
# 127.0.0.1 on a free port with its log in a temp folder of its own, and stopped (by its process id) by Stop-TestProxy.
# Dot-source after common.ps1 (Get-FreeTcpPort, Test-SmtpPortOpen) and DebianPackages.ps1.
Set-StrictMode -Version Latest

function Start-ProxyProcess {
    # Runs $Command in the foreground with its stdout and stderr appended to $LogPath; waits until $Port accepts.
    param([Parameter(Mandatory)] [string] $Command, [string[]] $Arguments = @(), [Parameter(Mandatory)] [string] $LogPath, [Parameter(Mandatory)] [int] $Port)
    $info = [System.Diagnostics.ProcessStartInfo]::new('bash')
    # exec: the process id is the proxy's own, so stopping it stops the proxy.
    foreach ($a in @('-c', 'exec "$0" "$@" >>"$LOGFILE" 2>&1', $Command) + $Arguments) { $info.ArgumentList.Add($a) }
    $info.Environment['LOGFILE'] = $LogPath
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-SmtpPortOpen $Port)) {
        if ($process.HasExited) { throw "$Command exited with code $($process.ExitCode): $(Get-Content -Raw -LiteralPath $LogPath -ErrorAction SilentlyContinue)" }
        if ($clock.Elapsed.TotalSeconds -gt 30) { $process.Kill(); throw "$Command did not listen on port $Port within 30 s." }
        Start-Sleep -Milliseconds 50
    }
    $process
}

function Start-Microsocks {
    <#
    .SYNOPSIS
        Starts microsocks (SOCKS 5) on 127.0.0.1; with -User and -Password it wants that login. Its log lines
        ("client[N] 127.0.0.1: connected to HOST:PORT") go to LogPath.
    #>
    param([string] $User, [string] $Password)
    $port = Get-FreeTcpPort
    $dir = Join-Path ([IO.Path]::GetTempPath()) "smtphandler-socks-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $dir
    $log = Join-Path $dir 'microsocks.log'
    $arguments = @('-i', '127.0.0.1', '-p', "$port")
    if ($User) { $arguments += @('-u', $User, '-P', $Password) }
    $process = Start-ProxyProcess -Command microsocks -Arguments $arguments -LogPath $log -Port $port
    [pscustomobject]@{ Process = $process; Port = $port; Url = "socks5://127.0.0.1:$port"; LogPath = $log; Directory = $dir }
}

function Start-Tinyproxy {
    <#
    .SYNOPSIS
        Starts tinyproxy (HTTP CONNECT) on 127.0.0.1 with a config file and log file of its own. CONNECT is allowed to
        -ConnectPort only; -User and -Password make it want that Basic login.
    #>
    param([Parameter(Mandatory)] [int[]] $ConnectPort, [string] $User, [string] $Password)
    $port = Get-FreeTcpPort
    $dir = Join-Path ([IO.Path]::GetTempPath()) "smtphandler-http-proxy-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $dir
    $log = Join-Path $dir 'tinyproxy.log'
    $config = Join-Path $dir 'tinyproxy.conf'
    $lines = @(
        "Port $port", 'Listen 127.0.0.1', 'Allow 127.0.0.1', "LogFile `"$log`"", "PidFile `"$(Join-Path $dir 'tinyproxy.pid')`"",
        'LogLevel Info', 'MaxClients 20', 'Timeout 60'
    ) + @($ConnectPort | ForEach-Object { "ConnectPort $_" })
    if ($User) { $lines += "BasicAuth $User $Password" }
    Set-Content -LiteralPath $config -Value $lines
    $process = Start-ProxyProcess -Command tinyproxy -Arguments @('-d', '-c', $config) -LogPath (Join-Path $dir 'tinyproxy.out') -Port $port
    [pscustomobject]@{ Process = $process; Port = $port; Url = "http://127.0.0.1:$port"; LogPath = $log; Directory = $dir }
}

function Get-ProxyLog {
    param([Parameter(Mandatory)] $Proxy)
    if (Test-Path -LiteralPath $Proxy.LogPath) { Get-Content -Raw -LiteralPath $Proxy.LogPath } else { '' }
}

function Stop-TestProxy {
    param($Proxy)
    if (-not $Proxy) { return }
    if (-not $Proxy.Process.HasExited) {
        $Proxy.Process.Kill()
        $null = $Proxy.Process.WaitForExit(10000)
    }
    $Proxy.Process.Dispose()
    Remove-Item -LiteralPath $Proxy.Directory -Recurse -Force -ErrorAction SilentlyContinue
}
