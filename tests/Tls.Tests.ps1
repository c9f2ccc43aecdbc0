# TLS, custom trust and login through the module, against real smtp4dev servers with certificates
# made at run time. What arrived (or did not) is read from smtp4dev's API, not taken from the client.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-tls-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
    $script:Secret = 'S3cret-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $script:Credential = [pscredential]::new('alice', (ConvertTo-SecureString $Secret -AsPlainText -Force))

    function Get-ServedCertificateThumbprint([int] $Port) {
        # The thumbprint of the certificate an implicit-TLS server on 127.0.0.1:$Port presents, trusted or not.
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.Connect([System.Net.IPAddress]::Loopback, $Port)
            $ssl = [System.Net.Security.SslStream]::new($client.GetStream(), $false, { $true })
            $ssl.AuthenticateAsClient('localhost')
            [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($ssl.RemoteCertificate).Thumbprint
        }
        catch { $null }
        finally { $client.Dispose() }
    }

    # Port 465 only when nothing holds it on 127.0.0.1 (and this user may bind it).
    $script:Port465Skip = $null
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 465)
    try { $probe.Start(); $probe.Stop() } catch { $script:Port465Skip = "port 465 on 127.0.0.1 is not free here ($($_.Exception.InnerException.Message ?? $_.Exception.Message))" }

    # Five servers start side by side (smtp4dev takes seconds to start), then each is waited for. The one
    # with the CA-signed certificate listens on 465 when it can; the others are on free ports.
    $tls = @{ TlsMode = 'ImplicitTls'; NoWait = $true }
    $implicit = @{ CertificatePath = $Certs.ServerPem; CertificateKeyPath = $Certs.ServerKey; User = "alice=$Secret"; CheckCredentials = $true }
    $script:Starting = [System.Collections.Generic.List[object]]::new()
    $starts = [ordered]@{
        Implicit   = { if ($Port465Skip) { Start-Smtp4dev @tls @implicit } else { Start-Smtp4dev @tls @implicit -SmtpPort 465 } }
        StartTls   = { Start-Smtp4dev -NoWait -TlsMode StartTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey -User "alice=$Secret" -AuthenticationRequired -CheckCredentials }
        SelfSigned = { Start-Smtp4dev @tls -CertificatePath $Certs.SelfSignedPem -CertificateKeyPath $Certs.SelfSignedKey }
        WrongName  = { Start-Smtp4dev @tls -CertificatePath $Certs.WrongNamePem -CertificateKeyPath $Certs.WrongNameKey }
        Expired    = { Start-Smtp4dev @tls -CertificatePath $Certs.ExpiredPem -CertificateKeyPath $Certs.ExpiredKey }
    }
    $pending = [ordered]@{}
    foreach ($name in $starts.Keys) { $pending[$name] = . $starts[$name]; $Starting.Add($pending[$name]) }
    $script:Servers = @{}
    foreach ($name in @($pending.Keys)) {
        try { $Servers[$name] = Wait-Smtp4dev $pending[$name] -StartTimeoutSeconds 240 }
        catch {
            if ($name -ne 'Implicit' -or $Port465Skip) { throw }
            # Something took port 465 since it was probed: carry on without it on a free port.
            $script:Port465Skip = "smtp4dev could not listen on port 465: $($_.Exception.Message)"
            $retry = Start-Smtp4dev @tls @implicit
            $Starting.Add($retry)
            $Servers[$name] = Wait-Smtp4dev $retry -StartTimeoutSeconds 240
        }
    }

    # On 465, the server answering must be ours: when another test run on the machine holds the port, our
    # smtp4dev can fail to bind it while the port still answers, with that run's certificate.
    if (-not $Port465Skip -and $Servers.Implicit.SmtpPort -eq 465 -and (Get-ServedCertificateThumbprint 465) -ne $Certs.Thumbprint) {
        $script:Port465Skip = 'port 465 on 127.0.0.1 answers with a certificate that is not this run''s (another process holds it)'
        $retry = Start-Smtp4dev @tls @implicit
        $Starting.Add($retry)
        $Servers.Implicit = Wait-Smtp4dev $retry -StartTimeoutSeconds 240
    }

    function New-TlsConfig {
        # A config for one of the servers above, by 127.0.0.1 (the test certificates name localhost and 127.0.0.1).
        param([Parameter(Mandatory)] [string] $Server, [hashtable] $With = @{})
        New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Servers[$Server].SmtpPort -Timeout 20 -RetryCount 0 @With
    }

    function Send-Probe {
        # Sends one message; returns the result, the error records and the verbose text.
        param([Parameter(Mandatory)] $Config, [string] $Subject = "probe $([guid]::NewGuid().ToString('N').Substring(0, 6))")
        $errors = $null
        $verbose = Send-SmtpMessage -Config $Config -From 'reports@example.test' -To 'ann@example.test' -Subject $Subject -Body 'TLS probe' -Verbose -ErrorAction SilentlyContinue -ErrorVariable errors 4>&1
        [pscustomobject]@{
            Result  = @($verbose | Where-Object { $_ -is [SmtpHandler.SmtpSendResult] }) | Select-Object -First 1
            Errors  = @($errors)
            Verbose = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            Subject = $Subject
        }
    }

    function Get-SessionLog {
        # The protocol log of every session the server recorded since it was last cleared, joined.
        param([Parameter(Mandatory)] $Server)
        (Get-Smtp4devSession -Server $Server | ForEach-Object { Invoke-RestMethod "$($Server.ApiUrl)/sessions/$($_.id)/log" }) -join "`n"
    }

    function Assert-Arrived {
        param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Subject)
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            if (@(Get-Smtp4devMessage -Server $Server | Where-Object subject -EQ $Subject).Count -eq 1) { return }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        throw "'$Subject' did not arrive at smtp4dev on port $($Server.SmtpPort)"
    }

    function Assert-NothingArrived {
        param([Parameter(Mandatory)] $Server)
        Start-Sleep -Milliseconds 300
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 0
        @(Get-Smtp4devSession -Server $Server | Where-Object numberOfMessages -GT 0).Count | Should -Be 0
        Get-SessionLog $Server | Should -Not -Match 'MAIL FROM'
    }
}

AfterAll {
    foreach ($server in @($Starting)) {
        try { Stop-Smtp4dev $server } catch { Write-Verbose "already stopped: $_" }
    }
    Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Implicit TLS with a private CA given by -TrustedCertificatePath' {
    BeforeEach { Clear-Smtp4dev $Servers.Implicit }

    It 'sends when the CA is given as <Form>' -ForEach @(
        @{ Form = 'PEM (ca.pem)'; File = 'CaPem' }
        @{ Form = 'DER (ca.cer)'; File = 'CaCer' }
        @{ Form = 'PFX (ca.pfx)'; File = 'CaPfx' }
    ) {
        $probe = Send-Probe (New-TlsConfig Implicit @{ UseTls = $true; TrustedCertificatePath = $Certs.$File })
        $probe.Errors | Should -BeNullOrEmpty
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.Implicit $probe.Subject
    }

    It 'refuses the server without the CA, with ErrorId CertificateUntrusted, the reason and the fix, and sends nothing' {
        $probe = Send-Probe (New-TlsConfig Implicit @{ UseTls = $true })
        $probe.Result.Status | Should -Be 'Failed'
        $probe.Result.ErrorId | Should -Be 'CertificateUntrusted'
        $probe.Result.Error | Should -Match 'untrusted root'
        $probe.Result.Error | Should -Match 'SmtpHandler Test CA'
        $probe.Result.Error | Should -Match '-TrustedCertificatePath'
        $probe.Errors[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
        $probe.Errors[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $probe.Result.FailureKind | Should -Be 'CertificateUntrusted'
        Assert-NothingArrived $Servers.Implicit
    }

    It 'logs in over TLS with a credential, and the password appears nowhere in the output' {
        $probe = Send-Probe (New-TlsConfig Implicit @{ UseTls = $true; TrustedCertificatePath = $Certs.CaPem; Credential = $Credential })
        $probe.Result.Status | Should -Be 'Sent'
        $probe.Verbose | Should -Match 'Authenticating as alice'
        $probe.Verbose | Should -Not -Match $Secret
        Assert-Arrived $Servers.Implicit $probe.Subject
        Get-SessionLog $Servers.Implicit | Should -Match '(?m)^235 '
    }

    It 'refuses it when revocation is to be checked and the CA publishes no revocation list' {
        $probe = Send-Probe (New-TlsConfig Implicit @{ UseTls = $true; TrustedCertificatePath = $Certs.CaPem; CheckCertificateRevocation = $true })
        $probe.Result.ErrorId | Should -Be 'CertificateUntrusted'
        $probe.Result.Error | Should -Match 'revocation status'
        Assert-NothingArrived $Servers.Implicit
    }
}

Describe 'Implicit TLS by -UseTls on another port, with a pinned self-signed certificate' {
    BeforeEach { Clear-Smtp4dev $Servers.SelfSigned }

    It 'trusts a self-signed server certificate pinned with -TrustedCertificatePath' {
        $probe = Send-Probe (New-TlsConfig SelfSigned @{ UseTls = $true; TrustedCertificatePath = $Certs.SelfSignedPem })
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.SelfSigned $probe.Subject
    }

    It 'uses implicit TLS with -UseTls on a port other than 465' {
        $Servers.SelfSigned.SmtpPort | Should -Not -Be 465
        $config = New-TlsConfig SelfSigned @{ UseTls = $true; TrustedCertificatePath = $Certs.SelfSignedPem }
        $config.TlsMode | Should -Be 'ImplicitTls'
        $probe = Send-Probe $config
        $probe.Result.Status | Should -Be 'Sent'
        $probe.Verbose | Should -Match 'Connected to 127\.0\.0\.1:\d+ with Tls1[23]'
        Assert-Arrived $Servers.SelfSigned $probe.Subject
        Get-SessionLog $Servers.SelfSigned | Should -Not -Match '(?m)^STARTTLS'
    }

    It 'uses implicit TLS when both -UseTls and -UseStartTls are given' {
        $config = New-TlsConfig SelfSigned @{ UseTls = $true; UseStartTls = $true; TrustedCertificatePath = $Certs.SelfSignedPem }
        $config.TlsMode | Should -Be 'ImplicitTls'
        $probe = Send-Probe $config
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.SelfSigned $probe.Subject
        Get-SessionLog $Servers.SelfSigned | Should -Not -Match '(?m)^STARTTLS'
    }

    It 'refuses the self-signed certificate when only the CA is trusted: the files replace the system store' {
        $probe = Send-Probe (New-TlsConfig SelfSigned @{ UseTls = $true; TrustedCertificatePath = $Certs.CaPem })
        $probe.Result.ErrorId | Should -Be 'CertificateUntrusted'
        $probe.Result.Error | Should -Match 'none of the certificates given with -TrustedCertificatePath'
        Assert-NothingArrived $Servers.SelfSigned
    }
}

Describe 'Wrong-name and expired server certificates' {
    BeforeEach { foreach ($name in 'WrongName', 'Expired') { Clear-Smtp4dev $Servers[$name] } }

    It 'refuses a certificate <Because>, even from the trusted CA, and says <Said>' -ForEach @(
        @{ Because = 'issued to another name'; Server = 'WrongName'; Said = 'to connect by its name'
            Patterns = 'name mismatch', 'wrong\.example\.test', 'Connect with a name the certificate was issued to' }
        @{ Because = 'that expired'; Server = 'Expired'; Said = 'it expired'; Patterns = @('expired on \d{4}-\d\d-\d\d') }
    ) {
        $probe = Send-Probe (New-TlsConfig $Server @{ UseTls = $true; TrustedCertificatePath = $Certs.CaPem })
        $probe.Result.ErrorId | Should -Be 'CertificateUntrusted'
        foreach ($pattern in $Patterns) { $probe.Result.Error | Should -Match $pattern }
        Assert-NothingArrived $Servers[$Server]
    }
}

Describe 'STARTTLS and login' {
    BeforeEach { Clear-Smtp4dev $Servers.StartTls }

    It 'sends with -UseStartTls, upgrading before it logs in' {
        $probe = Send-Probe (New-TlsConfig StartTls @{ UseStartTls = $true; TrustedCertificatePath = $Certs.CaPem; Credential = $Credential })
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.StartTls $probe.Subject
        $log = Get-SessionLog $Servers.StartTls
        $log | Should -Match '(?s)\nSTARTTLS\r?\n.*\nAUTH .*\n235 .*\nMAIL FROM'
    }

    It 'refuses an untrusted certificate after STARTTLS before any login or MAIL FROM' {
        $probe = Send-Probe (New-TlsConfig StartTls @{ UseStartTls = $true; Credential = $Credential })
        $probe.Result.ErrorId | Should -Be 'CertificateUntrusted'
        Assert-NothingArrived $Servers.StartTls
        Get-SessionLog $Servers.StartTls | Should -Not -Match '(?m)^AUTH '
    }

    It 'refuses a credential over plaintext before connecting at all' {
        $err = { New-TlsConfig StartTls @{ Credential = $Credential } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnencryptedAuthenticationRefused,*'
        $err.Exception.Message | Should -Match '-UseStartTls'
        $err.Exception.Message | Should -Not -Match $Secret

        $inline = { Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Servers.StartTls.SmtpPort -Credential $Credential -From 'reports@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' } |
            Should -Throw -PassThru
        $inline.FullyQualifiedErrorId | Should -BeLike 'UnencryptedAuthenticationRefused,*'
        Start-Sleep -Milliseconds 300
        @(Get-Smtp4devSession -Server $Servers.StartTls).Count | Should -Be 0
    }

    It 'logs in over plaintext with -AllowUnencryptedAuthentication' {
        $probe = Send-Probe (New-TlsConfig StartTls @{ Credential = $Credential; AllowUnencryptedAuthentication = $true })
        $probe.Result.Status | Should -Be 'Sent'
        $probe.Verbose | Should -Match 'without encryption'
        $probe.Verbose | Should -Not -Match $Secret
        Assert-Arrived $Servers.StartTls $probe.Subject
        $log = Get-SessionLog $Servers.StartTls
        $log | Should -Not -Match '(?m)^STARTTLS'
        $log | Should -Match '(?m)^AUTH '
        $log | Should -Match '(?m)^235 '
    }
}

Describe 'Port 465' {
    BeforeEach { Clear-Smtp4dev $Servers.Implicit }

    It 'uses implicit TLS on port 465 by itself' {
        if ($Port465Skip) { Set-ItResult -Skipped -Because $Port465Skip; return }
        $Servers.Implicit.SmtpPort | Should -Be 465
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port 465 -TrustedCertificatePath $Certs.CaPem -Timeout 20 -RetryCount 0
        $config.TlsMode | Should -Be 'ImplicitTls'
        $probe = Send-Probe $config
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.Implicit $probe.Subject
    }

    It 'uses implicit TLS on port 465 with -UseTls too' {
        if ($Port465Skip) { Set-ItResult -Skipped -Because $Port465Skip; return }
        $probe = Send-Probe (New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port 465 -UseTls -TrustedCertificatePath $Certs.CaPem -Timeout 20 -RetryCount 0)
        $probe.Result.Status | Should -Be 'Sent'
        Assert-Arrived $Servers.Implicit $probe.Subject
    }
}

Describe 'Certificate files are checked when the config is made' {
    It 'refuses a file that is not a certificate with InvalidCertificateFile naming -TrustedCertificatePath' {
        $garbage = Join-Path $Certs.Directory 'garbage.pem'
        Set-Content -Path $garbage -Value 'not a certificate'
        $err = { New-SmtpHandlerConfig -UseTls -TrustedCertificatePath $garbage } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidCertificateFile,*'
        $err.Exception.Message | Should -Match '^TrustedCertificatePath: '
        $err.TargetObject | Should -Be $garbage
    }

    It 'refuses a missing file naming the parameter' {
        $err = { New-SmtpHandlerConfig -UseTls -TrustedCertificatePath (Join-Path $Certs.Directory 'missing.pem') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        $err.Exception.Message | Should -Match '^TrustedCertificatePath: '
    }

    It 'takes a client PFX with its password, and refuses a wrong password without showing it' {
        $password = ConvertTo-SecureString $Certs.ClientPassword -AsPlainText -Force
        $config = New-SmtpHandlerConfig -UseTls -ClientCertificatePath $Certs.ClientPfx -ClientCertificatePassword $password
        $config.ClientCertificatePath | Should -Be $Certs.ClientPfx
        ($config | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($Certs.ClientPassword))

        $wrong = ConvertTo-SecureString 'Wr0ng-Pfx-Pa55' -AsPlainText -Force
        $err = { New-SmtpHandlerConfig -UseTls -ClientCertificatePath $Certs.ClientPfx -ClientCertificatePassword $wrong } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidCertificateFile,*'
        $err.Exception.Message | Should -Match 'ClientCertificatePassword'
        $err.Exception.Message | Should -Not -Match 'Wr0ng-Pfx-Pa55'
    }

    It 'takes a PEM client certificate with its PEM key' {
        $config = New-SmtpHandlerConfig -UseTls -ClientCertificatePath $Certs.ClientPem -ClientCertificateKeyPath $Certs.ClientKey
        $config.ClientCertificateKeyPath | Should -Be $Certs.ClientKey
    }
}
