BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-SendTarget {
        # Where Send-SmtpMessage would send (its verbose "Sending through ..."), without connecting (-WhatIf).
        param([hashtable] $Parameters)
        $records = Send-SmtpMessage -To 'ann@example.test' -From 'ops@example.test' -Subject 's' -Body 'b' @Parameters -WhatIf -Verbose 4>&1
        $line = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Sending through *' })[0]
        $line.Message -replace '^Sending through ', ''
    }
}

# Parameters become a configuration in one place for all three cmdlets (ConfigParameters); these pin the rules
# that place applies: the default server, and how inline parameters lay over -Config. No server is needed.
Describe 'From parameters to a configuration' {
    It 'takes $PSEmailServer as the default server in all three cmdlets' {
        $PSEmailServer = '127.0.0.1'
        (New-SmtpHandlerConfig).SmtpServer | Should -Be '127.0.0.1'
        Get-SendTarget @{} | Should -Be 'smtp://127.0.0.1:25'
        $report = Test-SmtpConnection -Port (Get-FreeTcpPort) -Timeout 3
        $report.SmtpServer | Should -Be '127.0.0.1'
        $report.Connected | Should -BeFalse
    }

    It 'takes localhost when $PSEmailServer is empty' {
        $PSEmailServer = ''
        (New-SmtpHandlerConfig).SmtpServer | Should -Be 'localhost'
        Get-SendTarget @{} | Should -Be 'smtp://localhost:25'
    }

    It 'prefers -SmtpServer, then the server of -Config, to $PSEmailServer' {
        $PSEmailServer = 'ps.example.test'
        $config = New-SmtpHandlerConfig -SmtpServer 'config.example.test' -Port 2525
        Get-SendTarget @{ Config = $config } | Should -Be 'smtp://config.example.test:2525'
        Get-SendTarget @{ Config = $config; SmtpServer = 'inline.example.test' } | Should -Be 'smtp://inline.example.test:2525'
    }

    It 'lets the implicit TLS that port 465 gave a config follow a new -Port, and keeps a -UseTls config''s' {
        $by465 = New-SmtpHandlerConfig -SmtpServer 'mail.example.test' -Port 465
        Get-SendTarget @{ Config = $by465 } | Should -Be 'smtps://mail.example.test:465'
        Get-SendTarget @{ Config = $by465; Port = 25 } | Should -Be 'smtp://mail.example.test:25'
        Get-SendTarget @{ Config = $by465; Port = 0 } | Should -Be 'smtps://mail.example.test:465'

        $byUseTls = New-SmtpHandlerConfig -SmtpServer 'mail.example.test' -Port 2465 -UseTls
        Get-SendTarget @{ Config = $byUseTls; Port = 2466 } | Should -Be 'smtps://mail.example.test:2466'
    }

    It 'keeps a config''s STARTTLS over a new -Port, and adds it with -UseSsl' {
        $startTls = New-SmtpHandlerConfig -SmtpServer 'mail.example.test' -Port 587 -UseStartTls
        Get-SendTarget @{ Config = $startTls; Port = 2587 } | Should -Be 'smtp://mail.example.test:2587 (STARTTLS)'
        $plain = New-SmtpHandlerConfig -SmtpServer 'mail.example.test'
        Get-SendTarget @{ Config = $plain; UseSsl = $true } | Should -Be 'smtp://mail.example.test:25 (STARTTLS)'
    }

    It 'replaces the config''s login, OAuth included, with an inline -Credential' {
        $token = ConvertTo-SecureString 'token-value' -AsPlainText -Force
        $oauth = New-SmtpHandlerConfig -SmtpServer 'mail.example.test' -Port 465 -OAuthUserName 'mailbox@example.test' -AccessToken $token
        Get-SendTarget @{ Config = $oauth } | Should -Be 'smtps://mailbox@example.test@mail.example.test:465'
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        Get-SendTarget @{ Config = $oauth; Credential = $credential } | Should -Be 'smtps://alice@mail.example.test:465'
    }

    It 'still applies every rule but the plaintext-credential one when Test-SmtpConnection builds its configuration' {
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        $err = { Test-SmtpConnection -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Credential $credential -LocalDomain 'not a name' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration,*'
        $err.Exception.Message | Should -Match 'LocalDomain'
    }

    It 'refuses an -OAuthCertificatePath that matches several files, naming the parameter' {
        Set-Content -LiteralPath (Join-Path $TestDrive 'app1.pfx') -Value 'x'
        Set-Content -LiteralPath (Join-Path $TestDrive 'app2.pfx') -Value 'x'
        $err = { New-SmtpHandlerConfig -Port 465 -OAuthUserName 'mailbox@example.test' -TenantId 'contoso.test' -ClientId 'app' -OAuthCertificatePath (Join-Path $TestDrive 'app*.pfx') } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidCertificateFile,*'
        $err.Exception.Message | Should -Match '^OAuthCertificatePath: .* matches 2 files'
    }
}
