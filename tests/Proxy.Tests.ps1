# -Proxy and -ProxyCredential against real proxies the tests start (Debian's microsocks for SOCKS 5, tinyproxy for
# HTTP CONNECT; see Proxies.ps1), in front of the shared scriptable SMTP test server. The proxies' own logs show the
# hop; the server shows what arrived. TLS certificates are made at run time and trusted with -TrustedCertificatePath.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'Proxies.ps1')

    Install-DebianPackage -Name microsocks, tinyproxy

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([IO.Path]::GetTempPath()) "smtphandler-proxy-$([guid]::NewGuid().ToString('N'))")
    $script:ServerCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
    $script:ProxyUser = 'relay-user'
    $script:ProxyPassword = 'proxy-pw-' + [guid]::NewGuid().ToString('N').Substring(0, 12)

    function New-ProxyCredential([string] $Password = $ProxyPassword) {
        [pscredential]::new($ProxyUser, (ConvertTo-SecureString $Password -AsPlainText -Force))
    }

    function Send-Through {
        # One message to $Server through -Proxy, errors collected rather than thrown.
        param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Proxy, [pscredential] $ProxyCredential, [hashtable] $Extra = @{})
        $settings = @{ SmtpServer = '127.0.0.1'; Port = $Server.Port; Proxy = $Proxy; RetryCount = 0; Timeout = 10; TrustedCertificatePath = $Certs.CaPem } + $Extra
        if ($ProxyCredential) { $settings.ProxyCredential = $ProxyCredential }
        $config = New-SmtpHandlerConfig @settings
        $problems = $null
        $result = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Through the proxy' -Body 'proxied' -ErrorVariable problems -ErrorAction SilentlyContinue
        [pscustomobject]@{ Result = $result; Errors = @($problems) }
    }
}

AfterAll {
    if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'SOCKS 5 through microsocks' {
    BeforeAll {
        $script:Socks = Start-Microsocks
        $script:SocksLogin = Start-Microsocks -User $ProxyUser -Password $ProxyPassword
    }

    AfterAll {
        Stop-TestProxy $Socks
        Stop-TestProxy $SocksLogin
    }

    It 'delivers a message through socks5:// without a login, and microsocks logs the hop to the server' {
        $server = Start-TestSmtpServer
        try {
            $sent = Send-Through -Server $server -Proxy $Socks.Url
            $sent.Errors | Should -BeNullOrEmpty
            $sent.Result.Status | Should -Be 'Sent'
            $server.Delivered.Count | Should -Be 1
            $server.Delivered[0].Data | Should -Match 'proxied'
            Get-ProxyLog $Socks | Should -Match "connected to 127\.0\.0\.1:$($server.Port)"
        }
        finally { $server.Dispose() }
    }

    It 'logs in to microsocks with -ProxyCredential and does STARTTLS through the tunnel, checking the mail server''s certificate' {
        $server = Start-TestSmtpServer -Certificate $ServerCert
        try {
            $sent = Send-Through -Server $server -Proxy $SocksLogin.Url -ProxyCredential (New-ProxyCredential) -Extra @{ UseStartTls = $true }
            $sent.Errors | Should -BeNullOrEmpty
            $sent.Result.Status | Should -Be 'Sent'
            $server.CountCommands('STARTTLS') | Should -Be 1
            $server.Delivered.Count | Should -Be 1
            Get-ProxyLog $SocksLogin | Should -Match "connected to 127\.0\.0\.1:$($server.Port)"
        }
        finally { $server.Dispose() }
    }

    It 'refuses the mail server''s untrusted certificate through the tunnel as it would directly (CertificateUntrusted, the server named)' {
        $server = Start-TestSmtpServer -Certificate $ServerCert
        try {
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $Socks.Url -UseStartTls -RetryCount 0 -Timeout 10
            $problems = $null
            $null = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted*'
            $server.Delivered.Count | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'reports a wrong proxy password as ProxyAuthenticationFailed naming the proxy, never showing the password' {
        $server = Start-TestSmtpServer
        try {
            $wrong = 'wrong-' + [guid]::NewGuid().ToString('N')
            $sent = Send-Through -Server $server -Proxy $SocksLogin.Url -ProxyCredential (New-ProxyCredential -Password $wrong)
            $sent.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationFailed*'
            $sent.Errors[0].Exception.Message | Should -BeLike "The proxy $($SocksLogin.Url) refused the login*"
            $sent.Errors[0].Exception.Kind | Should -Be 'ProxyFailed'
            $sent.Errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            ($sent.Errors | Out-String) + ($sent.Result | Format-List * | Out-String) | Should -Not -Match $wrong
            $server.Connections | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'says a proxy that wants a login needs -ProxyCredential' {
        $server = Start-TestSmtpServer
        try {
            $sent = Send-Through -Server $server -Proxy $SocksLogin.Url
            $sent.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationFailed*'
            $sent.Errors[0].Exception.Message | Should -Match '-ProxyCredential'
        }
        finally { $server.Dispose() }
    }

    It 'Send-SmtpMessage -Proxy replaces the config''s proxy, and -ProxyCredential alone logs in to the config''s proxy' {
        $server = Start-TestSmtpServer
        try {
            $closed = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Proxy "socks5://127.0.0.1:$(Get-FreeTcpPort)" -RetryCount 0 -Timeout 10
            (Send-SmtpMessage -Config $closed -Proxy $Socks.Url -From 'ops@example.test' -To 'ann@example.test' -Subject 'Replaced' -Body 'x').Status | Should -Be 'Sent'
            $noLogin = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $SocksLogin.Url -RetryCount 0 -Timeout 10
            (Send-SmtpMessage -Config $noLogin -ProxyCredential (New-ProxyCredential) -From 'ops@example.test' -To 'ann@example.test' -Subject 'Logged in' -Body 'x').Status | Should -Be 'Sent'
            $server.Delivered.Count | Should -Be 2
        }
        finally { $server.Dispose() }
    }

    It 'never shows the proxy password in verbose output, the result or the config' {
        $server = Start-TestSmtpServer
        try {
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $SocksLogin.Url -ProxyCredential (New-ProxyCredential) -RetryCount 0 -Timeout 10
            $output = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Quiet' -Body 'x' -Verbose 4>&1 | Out-String
            $output | Should -Match 'through the proxy'
            $output | Should -Match 'opened a tunnel'
            $all = $output + ($config | Format-List * | Out-String) + ($config | ConvertTo-Json -Depth 5) + [System.Management.Automation.PSSerializer]::Serialize($config, 5)
            $all | Should -Not -Match $ProxyPassword
            $all | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($ProxyPassword))))
        }
        finally { $server.Dispose() }
    }

    It 'fetches the OAuth token through the same SOCKS 5 proxy with its login (PowerShell 7): microsocks logs the token endpoint' {
        $endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert)
        $user = 'reports@contoso.test'
        $smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $user
        $endpoint.TokenSink = $smtp.Options.AcceptedTokens
        try {
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $smtp.Port -UseTls -TrustedCertificatePath $Certs.CaPem -Proxy $SocksLogin.Url -ProxyCredential (New-ProxyCredential) `
                -Timeout 10 -RetryCount 0 -OAuthUserName $user -TenantId contoso.test -ClientId app-id -ClientSecret (ConvertTo-SecureString 'client-secret-y' -AsPlainText -Force) -TokenEndpoint $endpoint.Url
            (Send-SmtpMessage -Config $config -From $user -To 'ann@example.test' -Subject 'OAuth via SOCKS' -Body 'x').Status | Should -Be 'Sent'
            $endpoint.Requests.Count | Should -Be 1
            $log = Get-ProxyLog $SocksLogin
            $log | Should -Match "connected to 127\.0\.0\.1:$($endpoint.Port)"
            $log | Should -Match "connected to 127\.0\.0\.1:$($smtp.Port)"
        }
        finally { $smtp.Dispose(); $endpoint.Dispose() }
    }

    It 'Test-SmtpConnection reports the hop: the proxy, the address reached, its reply, then the server' {
        $server = Start-TestSmtpServer
        try {
            $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $SocksLogin.Url -ProxyCredential (New-ProxyCredential) -Timeout 10
            $report.Success | Should -BeTrue
            $report.Proxy | Should -Be $SocksLogin.Url
            $report.ProxyAddress | Should -Be '127.0.0.1'
            $report.ProxyReply | Should -Be 'SOCKS 5 reply 0 (succeeded)'
            $report.BannerCode | Should -Be 220
            @($report.Findings.Id) | Should -Contain 'ProxyTunnelOpened'
            ($report | Out-String) | Should -Match ([regex]::Escape($SocksLogin.Url))
            ($report | Format-List * | Out-String) | Should -Not -Match $ProxyPassword
            Get-ProxyLog $SocksLogin | Should -Match "connected to 127\.0\.0\.1:$($server.Port)"
        }
        finally { $server.Dispose() }
    }
}

Describe 'HTTP CONNECT through tinyproxy' {
    It 'delivers through http:// with ConnectPort allowing the server''s port, and tinyproxy logs the CONNECT' {
        $server = Start-TestSmtpServer
        $proxy = Start-Tinyproxy -ConnectPort $server.Port
        try {
            $sent = Send-Through -Server $server -Proxy $proxy.Url
            $sent.Errors | Should -BeNullOrEmpty
            $sent.Result.Status | Should -Be 'Sent'
            $server.Delivered.Count | Should -Be 1
            Get-ProxyLog $proxy | Should -Match "CONNECT 127\.0\.0\.1:$($server.Port) HTTP/1\.1"
        }
        finally { $server.Dispose(); Stop-TestProxy $proxy }
    }

    It 'does implicit TLS through the tunnel with a Basic proxy login' {
        $server = Start-TestSmtpServer -Certificate $ServerCert -ImplicitTls
        $proxy = Start-Tinyproxy -ConnectPort $server.Port -User $ProxyUser -Password $ProxyPassword
        try {
            $sent = Send-Through -Server $server -Proxy $proxy.Url -ProxyCredential (New-ProxyCredential) -Extra @{ UseTls = $true }
            $sent.Errors | Should -BeNullOrEmpty
            $sent.Result.Status | Should -Be 'Sent'
            $server.Delivered.Count | Should -Be 1
            Get-ProxyLog $proxy | Should -Match "CONNECT 127\.0\.0\.1:$($server.Port)"
        }
        finally { $server.Dispose(); Stop-TestProxy $proxy }
    }

    It 'reports tinyproxy refusing the CONNECT port as ProxyRefused with its 403, and the server sees no connection' {
        $server = Start-TestSmtpServer
        $proxy = Start-Tinyproxy -ConnectPort 443
        try {
            $sent = Send-Through -Server $server -Proxy $proxy.Url
            $sent.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ProxyRefused*'
            $sent.Errors[0].Exception.Message | Should -BeLike "The proxy $($proxy.Url) refused to open a tunnel to 127.0.0.1:$($server.Port): HTTP/1.? 403*"
            $sent.Result.Status | Should -Be 'Failed'
            $server.Connections | Should -Be 0
            Get-ProxyLog $proxy | Should -Match 'CONNECT'
        }
        finally { $server.Dispose(); Stop-TestProxy $proxy }
    }

    It 'reports a refused Basic login (407) as ProxyAuthenticationFailed' {
        $server = Start-TestSmtpServer
        $proxy = Start-Tinyproxy -ConnectPort $server.Port -User $ProxyUser -Password $ProxyPassword
        try {
            $sent = Send-Through -Server $server -Proxy $proxy.Url -ProxyCredential (New-ProxyCredential -Password 'not-it')
            $sent.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationFailed*'
            $sent.Errors[0].Exception.Message | Should -Match 'HTTP/1\.\d 40[17]'
            $sent.Errors[0].Exception.Message | Should -Not -Match 'not-it'
        }
        finally { $server.Dispose(); Stop-TestProxy $proxy }
    }

    It 'Test-SmtpConnection reports a proxy that was reached but refused the tunnel' {
        $server = Start-TestSmtpServer
        $proxy = Start-Tinyproxy -ConnectPort 443
        try {
            $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $proxy.Url -Timeout 10
            $report.Success | Should -BeFalse
            $report.ErrorId | Should -Be 'ProxyRefused'
            $report.ProxyAddress | Should -Be '127.0.0.1'
            @($report.Findings.Id) | Should -Contain 'ProxyReached'
            ($report.Findings | Where-Object Id -EQ 'ProxyRefused').Advice | Should -Not -BeNullOrEmpty
            $server.Connections | Should -Be 0
        }
        finally { $server.Dispose(); Stop-TestProxy $proxy }
    }

    It 'fetches the OAuth token through the same proxy: tinyproxy logs the CONNECT to the token endpoint' {
        $endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert)
        $user = 'reports@contoso.test'
        $smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $user
        $endpoint.TokenSink = $smtp.Options.AcceptedTokens
        $proxy = Start-Tinyproxy -ConnectPort $smtp.Port, $endpoint.Port
        try {
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $smtp.Port -UseTls -TrustedCertificatePath $Certs.CaPem -Proxy $proxy.Url -Timeout 10 -RetryCount 0 `
                -OAuthUserName $user -TenantId contoso.test -ClientId app-id -ClientSecret (ConvertTo-SecureString 'client-secret-x' -AsPlainText -Force) -TokenEndpoint $endpoint.Url
            $result = Send-SmtpMessage -Config $config -From $user -To 'ann@example.test' -Subject 'OAuth via proxy' -Body 'x'
            $result.Status | Should -Be 'Sent'
            $endpoint.Requests.Count | Should -Be 1
            $log = Get-ProxyLog $proxy
            $log | Should -Match "CONNECT 127\.0\.0\.1:$($endpoint.Port)"
            $log | Should -Match "CONNECT 127\.0\.0\.1:$($smtp.Port)"
        }
        finally { $smtp.Dispose(); $endpoint.Dispose(); Stop-TestProxy $proxy }
    }
}

Describe 'A proxy that is not there, or never answers' {
    It 'names the proxy when nothing listens on its port (ProxyConnectionFailed), in sending and in Test-SmtpConnection' {
        $server = Start-TestSmtpServer
        try {
            $closed = "socks5://127.0.0.1:$(Get-FreeTcpPort)"
            $sent = Send-Through -Server $server -Proxy $closed
            $sent.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ProxyConnectionFailed*'
            $sent.Errors[0].Exception.Message | Should -BeLike "Could not connect to the proxy $closed*"
            $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Proxy $closed -Timeout 10
            $report.ErrorId | Should -Be 'ProxyConnectionFailed'
            $report.Connected | Should -BeFalse
            $server.Connections | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'gives up on a proxy that accepts and stays silent at -Timeout (ProxyTimedOut), <Scheme>' -ForEach @(@{ Scheme = 'socks5' }, @{ Scheme = 'http' }, @{ Scheme = 'socks4a' }) {
        $silent = Start-TestSmtpServer -Silent
        $server = Start-TestSmtpServer
        try {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -Proxy "${Scheme}://127.0.0.1:$($silent.Port)" -RetryCount 0 -Timeout 2
            $problems = $null
            $null = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
            $clock.Elapsed.TotalSeconds | Should -BeGreaterThan 1.5
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'ProxyTimedOut*'
            $problems[0].Exception.Message | Should -BeLike "The proxy ${Scheme}://127.0.0.1:$($silent.Port) accepted the connection but did not finish*within 2 s*"
            $server.Connections | Should -Be 0
        }
        finally { $silent.Dispose(); $server.Dispose() }
    }

    It 'stops at Ctrl+C while a silent proxy holds the handshake (-Timeout 60)' {
        $silent = Start-TestSmtpServer -Silent
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Port)
                Import-Module $Module
                $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port 25 -Proxy "socks5://127.0.0.1:$Port" -Timeout 60
                Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Stop' -Body 'x'
            }).AddParameters(@{ Module = $ModulePath; Port = $silent.Port })
            $async = $ps.BeginInvoke()
            # The new runspace imports the module before it reaches the proxy: wait for that (a busy machine is slow), then stop.
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ($silent.Connections -lt 1 -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $silent.Connections | Should -Be 1 -Because 'the send must reach the proxy before it is stopped'
            $async.IsCompleted | Should -BeFalse -Because 'the send must still be waiting for the proxy when it is stopped'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $stopping = $ps.BeginStop($null, $null)
            $stopping.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'Ctrl+C must end the wait long before the 60 s timeout'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $silent.Connections | Should -Be 1
        }
        finally { $ps.Dispose(); $silent.Dispose() }
    }
}

Describe 'Proxy input is checked before connecting' {
    It 'refuses a login inside -Proxy without echoing it' {
        $err = { New-SmtpHandlerConfig -SmtpServer mail.example.test -Proxy 'socks5://alice:Sup3rSecret@proxy.example.test:1080' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration*'
        $err.Exception.Message | Should -Match '-ProxyCredential'
        $err.Exception.Message | Should -Match '^Proxy:'
        ($err | Out-String) + $err.TargetObject | Should -Not -Match 'Sup3rSecret'
        ($err | Out-String) | Should -Not -Match 'alice'
    }

    It 'refuses <Address>: <Why>' -ForEach @(
        @{ Address = 'proxy.example.test:1080'; Why = 'socks5://' }
        @{ Address = 'ftp://proxy.example.test:21'; Why = 'not a proxy kind' }
        @{ Address = 'http://proxy.example.test'; Why = 'port is missing' }
        @{ Address = 'http://proxy.example.test:99999'; Why = 'between 1 and 65535' }
        @{ Address = 'https://proxy.example.test:443'; Why = 'not supported' }
        @{ Address = 'http://proxy.example.test:3128/path'; Why = 'only the proxy''s host and port' }
    ) {
        $err = { Send-SmtpMessage -SmtpServer mail.example.test -Proxy $Address -From a@example.test -To b@example.test -Subject x -Body x } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration*'
        $err.Exception.Message | Should -Match ([regex]::Escape($Why))
    }

    It 'refuses -ProxyCredential without a proxy, naming -ProxyCredential' {
        $err = { Test-SmtpConnection -SmtpServer mail.example.test -ProxyCredential (New-ProxyCredential) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration*'
        $err.Exception.Message | Should -BeLike 'ProxyCredential:*-Proxy*'
    }

    It 'takes Proxy from -FromHashtable but refuses ProxyCredential there as a secret' {
        (New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = 'mail.example.test'; Proxy = 'http://proxy.example.test:3128' }).Proxy.Address | Should -Be 'http://proxy.example.test:3128'
        $err = { New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = 'mail.example.test'; ProxyCredential = 'x' } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretInConfiguration*'
    }

    It 'keeps the proxy in the config, shows it without the password, and lets Send-SmtpMessage -Proxy replace it' {
        $config = New-SmtpHandlerConfig -SmtpServer mail.example.test -Proxy 'SOCKS5://[::1]:1080' -ProxyCredential (New-ProxyCredential)
        $config.Proxy.Kind | Should -Be 'Socks5'
        $config.Proxy.Address | Should -Be 'socks5://[::1]:1080'
        $config.Proxy.UserName | Should -Be $ProxyUser
        $config.ToString() | Should -BeLike '* via socks5://`[::1`]:1080'
        $shown = ($config | Format-List | Out-String) + ($config | Format-List * | Out-String) + ($config | ConvertTo-Json -Depth 4) + ($config.Proxy | Format-List * | Out-String)
        $shown | Should -Match 'relay-user'
        $shown | Should -Not -Match $ProxyPassword
    }
}
