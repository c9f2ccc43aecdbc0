BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    function Start-ScriptedServer {
        # The test SMTP server (tests/TestSmtpServer.ps1) with a full EHLO, refusing recipients that start with -RejectPrefix.
        param(
            [string] $Greeting,
            [switch] $Silent,
            [string] $CertificatePath,
            [string] $KeyPath,
            [switch] $ImplicitTls,
            [string] $RejectPrefix = 'nobody'
        )
        $certificate = $null
        if ($CertificatePath) {
            $pem = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($CertificatePath, $KeyPath)
            # A certificate whose key came from PEM is re-read from PKCS#12 so that every platform's TLS can use the key.
            $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($pem.Export('Pfx'), $null)
        }
        Start-TestSmtpServer -Greeting $Greeting -Silent:$Silent -Certificate $certificate -ImplicitTls:$ImplicitTls -RejectRecipient "^$([regex]::Escape($RejectPrefix))" `
            -Extension 'PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES', 'DSN', 'SMTPUTF8', 'CHUNKING'
    }

    function Get-FindingId($Report) { @($Report.Findings | ForEach-Object Id) }

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-diag-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
    $script:Password = 'Diag-Secret-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Credential = [pscredential]::new('alice', (ConvertTo-SecureString $Password -AsPlainText -Force))
    $script:WrongCredential = [pscredential]::new('alice', (ConvertTo-SecureString 'Not-The-Password-1' -AsPlainText -Force))
    $script:Plain = Start-Smtp4dev
    $script:StartTls = Start-Smtp4dev -TlsMode StartTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey -AuthenticationRequired -CheckCredentials -User "alice=$Password"
    $script:Implicit = Start-Smtp4dev -TlsMode ImplicitTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey
    $script:Scripted = @()
}

AfterAll {
    Stop-Smtp4dev $Plain
    Stop-Smtp4dev $StartTls
    Stop-Smtp4dev $Implicit
    $Scripted | ForEach-Object { $_.Dispose() }
    if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Test-SmtpConnection against smtp4dev without TLS' {
    It 'reports the resolved address, connect time, banner and the parsed EHLO capabilities' {
        $report = Test-SmtpConnection -SmtpServer localhost -Port $Plain.SmtpPort -Timeout 10
        $report.Success | Should -BeTrue
        $report.Addresses | Should -Contain '127.0.0.1'
        $report.RemoteAddress | Should -Be '127.0.0.1'
        $report.ConnectTime | Should -BeGreaterThan ([timespan]::Zero)
        $report.BannerCode | Should -Be 220
        $report.Banner | Should -Match 'smtp4dev'
        $report.BannerTime | Should -Not -BeNullOrEmpty
        $report.EhloTime | Should -BeGreaterThan ([timespan]::Zero)
        $report.Capabilities | Should -Contain '8BITMIME'
        $report.Capabilities | Should -Contain 'SMTPUTF8'
        $report.Capabilities | Should -Contain 'SIZE'
        $report.EightBitMime | Should -BeTrue
        $report.SmtpUtf8 | Should -BeTrue
        $report.MaxMessageSize | Should -Not -BeNullOrEmpty
        $report.AuthenticationMechanisms | Should -Contain 'PLAIN'
        $report.StartTlsOffered | Should -BeFalse
        $report.Encrypted | Should -BeFalse
        $report.TlsProtocol | Should -BeNullOrEmpty
        $report.Transcript | Should -Contain 'C: QUIT'
    }

    It 'warns that mail would go in plaintext and that AUTH is offered only in plaintext' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
        $ids = Get-FindingId $report
        $ids | Should -Contain 'NotEncrypted'
        $ids | Should -Contain 'AuthOfferedOnlyInPlaintext'
        ($report.Findings | Where-Object Id -EQ 'AuthOfferedOnlyInPlaintext').Severity | Should -Be 'Warning'
        $report.Success | Should -BeTrue
    }

    It 'tests each config from the pipeline and writes one report for each' {
        $reports = @(
            New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
            New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Timeout 10
        ) | Test-SmtpConnection
        $reports.Count | Should -Be 2
        $reports[0].Success | Should -BeTrue
        $reports[1].Success | Should -BeFalse
        $reports[1].ErrorId | Should -Be 'ConnectionRefused'
    }

    It 'refuses connection parameters given with -Config, naming them, before testing anything' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
        $err = { Test-SmtpConnection -Config $config -Port 2 -UseStartTls } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConfigWithConnectionParameters*'
        $err.Exception.Message | Should -Match '-Port, -UseStartTls'
        $err = { $config | Test-SmtpConnection -Credential ([pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConfigWithConnectionParameters*'
        # A piped config's own SmtpServer and Port are not the caller's: they bind, and it is tested.
        ($config | Test-SmtpConnection -Quiet) | Should -BeTrue
    }

    It 'takes for -Config only a configuration, never a hashtable PowerShell would turn into one unchecked' {
        { Test-SmtpConnection -Config @{ SmtpServer = '127.0.0.1'; Port = $Plain.SmtpPort } } |
            Should -Throw '*-Config takes a configuration made by New-SmtpHandlerConfig, not a Hashtable*-FromHashtable*'
        { Send-SmtpMessage -Config ([pscustomobject]@{ SmtpServer = '127.0.0.1' }) -From a@example.test -To b@example.test -Subject s -Body b } |
            Should -Throw '*-Config takes a configuration made by New-SmtpHandlerConfig, not a PSCustomObject*'
    }

    It 'refuses a piped hashtable or a configuration that went through serialization, rather than test another server' {
        { @{ SmtpServer = '127.0.0.1'; Port = $Plain.SmtpPort } | Test-SmtpConnection -Timeout 10 } |
            Should -Throw '*not a hashtable: use New-SmtpHandlerConfig -FromHashtable*'
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
        $deserialized = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($config))
        { $deserialized | Test-SmtpConnection } | Should -Throw '*went through serialization*'
        # A one-element array, as a function returning through @() gives, is the configuration it holds.
        (Test-SmtpConnection -Config @($config) -Quiet) | Should -BeTrue
    }

    It 'does not count $PSDefaultParameterValues as connection parameters given with -Config' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
        $PSDefaultParameterValues = @{ '*:Credential' = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force)); 'Test-Smtp*:Port' = 2 }
        (Test-SmtpConnection -Config $config -Quiet) | Should -BeTrue
        ($config | Test-SmtpConnection -Quiet) | Should -BeTrue
        { Test-SmtpConnection -Config $config -Timeout 5 } | Should -Throw '*-Timeout would be ignored*'
    }

    It 'tests each server of piped objects with SmtpServer and Port properties' {
        $reports = @(
            [pscustomobject]@{ SmtpServer = '127.0.0.1'; Port = $Plain.SmtpPort }
            [pscustomobject]@{ SmtpServer = 'localhost'; Port = $Plain.SmtpPort }
        ) | Test-SmtpConnection -Timeout 10
        $reports.Count | Should -Be 2
        $reports.SmtpServer | Should -Be @('127.0.0.1', 'localhost')
        $reports.Success | Should -Be @($true, $true)
    }

    It 'tests each server name piped in' {
        $reports = '127.0.0.1', 'localhost' | Test-SmtpConnection -Port $Plain.SmtpPort -Timeout 10
        $reports.Count | Should -Be 2
        $reports.SmtpServer | Should -Be @('127.0.0.1', 'localhost')
        $reports.Success | Should -Be @($true, $true)
    }

    It 'refuses to send a credential in plaintext as a finding, and still reports the server' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Credential $Credential -Timeout 10
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'UnencryptedAuthenticationRefused'
        ($report.Findings | Where-Object Id -EQ 'UnencryptedAuthenticationRefused').Advice | Should -Match '-UseStartTls'
        $report.Authenticated | Should -BeNullOrEmpty
        $report.UserName | Should -Be 'alice'
        $report.Capabilities | Should -Contain '8BITMIME'
        $report.Transcript -match '^C: AUTH' | Should -BeNullOrEmpty
    }

    It 'gives implicit TLS against a plaintext port the advice to use -UseStartTls, within the timeout' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -UseTls -Timeout 5
        $report.Elapsed.TotalSeconds | Should -BeLessThan 5
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'ImplicitTlsOnStartTlsPort'
        $finding = $report.Findings | Where-Object Id -EQ 'ImplicitTlsOnStartTlsPort'
        $finding.Message | Should -Match '220'
        $finding.Advice | Should -Match '-UseStartTls'
    }

    It 'says whether the sender and recipients would be accepted, and sends nothing' {
        Clear-Smtp4dev $Plain
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -From 'reports@example.test' -To 'ann@example.test', 'bob@example.test' -Timeout 10
        $report.Success | Should -BeTrue
        $report.Sender.Address | Should -Be 'reports@example.test'
        $report.Sender.Accepted | Should -BeTrue
        $report.Recipients.Address | Should -Be @('ann@example.test', 'bob@example.test')
        $report.Recipients.Accepted | Should -Be @($true, $true)
        $report.Transcript | Should -Contain 'C: RSET'
        $report.Transcript | Should -Not -Contain 'C: DATA'
        @(Get-Smtp4devMessage -Server $Plain).Count | Should -Be 0
    }

    It 'returns only $true with -Quiet when the server is fine' {
        $result = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Quiet -Timeout 10
        $result | Should -BeOfType [bool]
        $result | Should -BeTrue
    }

    It 'has a readable default view, and Format-List * shows every property' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Plain.SmtpPort -Timeout 10
        $view = $report | Out-String -Width 200
        $view | Should -Match 'Server\s+: 127\.0\.0\.1:\d+ \(None\)'
        $view | Should -Match 'Banner\s+: 220 localhost smtp4dev ready'
        $view | Should -Match '\[Warning\] NotEncrypted'
        $all = $report | Format-List * | Out-String -Width 200
        foreach ($name in 'Addresses', 'ConnectTime', 'EhloLines', 'CipherSuite', 'CertificateChain', 'Findings', 'Transcript') {
            $all | Should -Match "$name\s+:"
        }
    }
}

Describe 'Test-SmtpConnection against smtp4dev with STARTTLS' {
    It 'reports the capabilities before and after STARTTLS, the TLS version, cipher and certificate' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $StartTls.SmtpPort -UseStartTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeTrue
        $report.StartTlsOffered | Should -BeTrue
        $report.CapabilitiesBeforeTls | Should -Contain 'STARTTLS'
        $report.Capabilities | Should -Not -Contain 'STARTTLS'
        $report.AuthenticationMechanismsBeforeTls | Should -Contain 'PLAIN'
        $report.AuthenticationMechanisms | Should -Contain 'PLAIN'
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -BeIn @('Tls12', 'Tls13')
        $report.CipherSuite | Should -Match '^TLS_'
        $report.TlsTime | Should -BeGreaterThan ([timespan]::Zero)
        $report.Certificate.Thumbprint | Should -Be $Certs.Thumbprint
        $report.Certificate.Subject | Should -Be 'CN=localhost'
        $report.Certificate.Issuer | Should -Match 'CN=SmtpHandler Test CA'
        $report.Certificate.SubjectAlternativeNames | Should -Be @('DNS:localhost', 'IP:127.0.0.1')
        $report.Certificate.NotAfter | Should -BeGreaterThan (Get-Date).AddDays(360)
        $report.Certificate.NotBefore | Should -BeLessThan (Get-Date)
        $report.Certificate.DaysUntilExpiry | Should -BeIn (363..366)
        $report.CertificateChain[0].Thumbprint | Should -Be $Certs.Thumbprint
        $report.Trusted | Should -BeTrue
        $report.TrustedBy | Should -Be 'TrustedCertificatePath'
    }

    It 'calls the certificate untrusted without -TrustedCertificatePath, and says to give it' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $StartTls.SmtpPort -UseStartTls -Timeout 10
        $report.Success | Should -BeFalse
        $report.Trusted | Should -BeFalse
        $report.TrustFailure | Should -Not -BeNullOrEmpty
        $report.ErrorId | Should -Be 'CertificateUntrusted'
        ($report.Findings | Where-Object Id -EQ 'CertificateUntrusted').Advice | Should -Match '-TrustedCertificatePath'
        $report.Certificate.Thumbprint | Should -Be $Certs.Thumbprint
        $report.Encrypted | Should -BeFalse
    }

    It 'reports a trusted-certificate file spoiled since the config was made, naming it, as the reason the certificate is untrusted' {
        $file = Join-Path $TestDrive 'ca-then-spoiled.pem'
        Copy-Item $Certs.CaPem $file
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $StartTls.SmtpPort -UseStartTls -TrustedCertificatePath $file -Timeout 10
        Set-Content -LiteralPath $file -Value 'not a certificate'
        $report = Test-SmtpConnection -Config $config
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'CertificateUntrusted'
        $finding = $report.Findings | Where-Object Id -EQ 'CertificateUntrusted'
        $finding.Message | Should -Match ([regex]::Escape($file))
        $finding.Message | Should -Match 'is not a certificate'
    }

    It 'logs in after STARTTLS and names the mechanism, never the password' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $StartTls.SmtpPort -UseStartTls -TrustedCertificatePath $Certs.CaPem -Credential $Credential -Timeout 10
        $report.Success | Should -BeTrue
        $report.Authenticated | Should -BeTrue
        $report.AuthenticationMechanism | Should -Be 'CRAM-MD5'
        $report.AuthenticationReply | Should -Match '^235'
        ($report | Format-List * | Out-String) + ($report.Transcript -join "`n") | Should -Not -Match ([regex]::Escape($Password))
    }

    It 'reports a refused login with the server''s reply' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $StartTls.SmtpPort -UseStartTls -TrustedCertificatePath $Certs.CaPem -Credential $WrongCredential -Timeout 10
        $report.Success | Should -BeFalse
        $report.Authenticated | Should -BeFalse
        $report.ErrorId | Should -Be 'AuthenticationFailed'
        $report.AuthenticationReply | Should -Match '^535'
        ($report.Findings | Where-Object Id -EQ 'AuthenticationFailed').Advice | Should -Match 'password'
    }

    It 'gives STARTTLS against an implicit-TLS port the advice to use -UseTls, within the timeout' {
        $elapsed = Measure-Command { $script:report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Implicit.SmtpPort -UseStartTls -Timeout 4 }
        # The engine's own clock, then the wall clock with room for a loaded machine.
        $report.Elapsed.TotalSeconds | Should -BeLessThan 4.5
        $elapsed.TotalSeconds | Should -BeLessThan 7
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'StartTlsOnImplicitTlsPort'
        ($report.Findings | Where-Object Id -EQ 'StartTlsOnImplicitTlsPort').Advice | Should -Match '-UseTls'
    }
}

Describe 'Test-SmtpConnection against smtp4dev with implicit TLS' {
    It 'reports the TLS version, cipher and certificate, and the capabilities after TLS' {
        $report = Test-SmtpConnection -SmtpServer localhost -Port $Implicit.SmtpPort -UseTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeTrue
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -BeIn @('Tls12', 'Tls13')
        $report.CipherSuite | Should -Not -BeNullOrEmpty
        $report.Certificate.Thumbprint | Should -Be $Certs.Thumbprint
        $report.BannerCode | Should -Be 220
        $report.Capabilities | Should -Contain '8BITMIME'
        $report.CapabilitiesBeforeTls | Should -BeNullOrEmpty
        $report.StartTlsOffered | Should -BeNullOrEmpty
        $report.Trusted | Should -BeTrue
    }

    It 'says that -UseStartTls gave way to implicit TLS' {
        $report = Test-SmtpConnection -SmtpServer localhost -Port $Implicit.SmtpPort -UseTls -UseStartTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeTrue
        ($report.Findings | Where-Object Id -EQ 'StartTlsOverridden').Severity | Should -Be 'Information'
    }
}

Describe 'Test-SmtpConnection certificate verdicts' {
    It 'finds a certificate issued to another name' {
        $server = Start-ScriptedServer -CertificatePath $Certs.WrongNamePem -KeyPath $Certs.WrongNameKey -ImplicitTls
        $script:Scripted += $server
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -UseTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeFalse
        $report.Trusted | Should -BeFalse
        $report.ErrorId | Should -Be 'CertificateNameMismatch'
        $finding = $report.Findings | Where-Object Id -EQ 'CertificateNameMismatch'
        $finding.Message | Should -Match 'wrong\.example\.test'
        $finding.Advice | Should -Match '-SmtpServer'
        Get-FindingId $report | Should -Not -Contain 'CertificateUntrusted'
    }

    It 'finds an expired certificate' {
        $server = Start-ScriptedServer -CertificatePath $Certs.ExpiredPem -KeyPath $Certs.ExpiredKey -ImplicitTls
        $script:Scripted += $server
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -UseTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'CertificateExpired'
        $report.Certificate.DaysUntilExpiry | Should -BeLessThan 0
        Get-FindingId $report | Should -Not -Contain 'CertificateUntrusted'
    }

    It 'warns about a certificate that expires within 30 days, and still succeeds' {
        $server = Start-ScriptedServer -CertificatePath $Certs.ExpiringPem -KeyPath $Certs.ExpiringKey -ImplicitTls
        $script:Scripted += $server
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -UseTls -TrustedCertificatePath $Certs.CaPem -Timeout 10
        $report.Success | Should -BeTrue
        $report.Trusted | Should -BeTrue
        $finding = $report.Findings | Where-Object Id -EQ 'CertificateExpiringSoon'
        $finding.Severity | Should -Be 'Warning'
        $report.Certificate.DaysUntilExpiry | Should -BeIn (8..10)
    }
}

Describe 'Test-SmtpConnection with -From and -To against a server that refuses one recipient' {
    It 'reports the accepted and the refused recipient, and the server received no DATA' {
        $server = Start-ScriptedServer -RejectPrefix 'nobody'
        $script:Scripted += $server
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -From 'reports@example.test' -To 'ann@example.test', 'nobody@example.test' -Timeout 10
        $report.Success | Should -BeFalse
        $report.Sender.Accepted | Should -BeTrue
        $report.Recipients[0].Accepted | Should -BeTrue
        $report.Recipients[0].ReplyCode | Should -Be 250
        $report.Recipients[1].Accepted | Should -BeFalse
        $report.Recipients[1].ReplyCode | Should -Be 550
        $report.Recipients[1].Reply | Should -Match 'User unknown'
        $report.ErrorId | Should -Be 'RecipientRejected'
        ($report.Findings | Where-Object Id -EQ 'RecipientRejected').Message | Should -Match 'nobody@example.test'
        $report.Capabilities | Should -Contain 'PIPELINING'
        $report.Capabilities | Should -Contain 'CHUNKING'
        $report.Dsn | Should -BeTrue
        $report.EnhancedStatusCodes | Should -BeTrue
        $report.MaxMessageSize | Should -Be 10240000
        $server.CountCommands('DATA') | Should -Be 0
        @($server.Commands.Line) | Should -Contain 'RSET'
    }

    It 'refuses an invalid address before connecting, naming the parameter' {
        $err = { Test-SmtpConnection -SmtpServer 127.0.0.1 -Port 25 -To 'not an address' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress*'
        $err.Exception.Message | Should -Match '^To:'
    }
}

Describe 'Test-SmtpConnection failures end within -Timeout' {
    It 'reports a closed port, and -Quiet gives $false' {
        $port = Get-FreeTcpPort
        $elapsed = Measure-Command { $script:report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $port -Timeout 3 }
        $report.Elapsed.TotalSeconds | Should -BeLessThan 3
        $elapsed.TotalSeconds | Should -BeLessThan 6
        $report.Success | Should -BeFalse
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'ConnectionRefused'
        ($report.Findings | Where-Object Id -EQ 'ConnectionRefused').Advice | Should -Match 'port'
        Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $port -Timeout 3 -Quiet | Should -BeFalse
    }

    It 'reports a server that accepts TCP but never speaks, and -Quiet gives $false' {
        $server = Start-ScriptedServer -Silent
        $script:Scripted += $server
        $elapsed = Measure-Command { $script:report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Timeout 2 }
        $report.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        $elapsed.TotalSeconds | Should -BeLessThan 5
        $report.Connected | Should -BeTrue
        $report.ErrorId | Should -Be 'NoGreeting'
        ($report.Findings | Where-Object Id -EQ 'NoGreeting').Message | Should -Match 'no greeting within 2 s'
        Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Timeout 1 -Quiet | Should -BeFalse
    }

    It 'reports a 4xx greeting as a temporary refusal' {
        $server = Start-ScriptedServer -Greeting '421 4.3.2 Too busy, try later'
        $script:Scripted += $server
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $server.Port -Timeout 5
        $report.Success | Should -BeFalse
        $report.BannerCode | Should -Be 421
        $report.ErrorId | Should -Be 'GreetingRefused'
        ($report.Findings | Where-Object Id -EQ 'GreetingRefused').Advice | Should -Match 'temporary'
    }

    It 'stops at once when the pipeline is stopped (Ctrl+C)' {
        $server = Start-ScriptedServer -Silent
        $script:Scripted += $server
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddArgument($ModulePath).AddStatement().AddCommand('Test-SmtpConnection').AddParameters(@{ SmtpServer = '127.0.0.1'; Port = $server.Port; Timeout = 60 })
            $async = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 1500
            $elapsed = Measure-Command { $ps.Stop() }
            $elapsed.TotalSeconds | Should -BeLessThan 3
            # Stop() returns once the pipeline stopped; the async result is marked complete a moment later on its thread.
            $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(1)) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
        }
    }
}
