# S/MIME on Send-SmtpMessage, judged by OpenSSL on the bytes the server received: signatures verify, the body
# decrypts with the recipient's key only, and a certificate that is expired, not for e-mail or without its key
# is refused before any connection.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    . (Join-Path $PSScriptRoot 'SecureMessage.ps1')
    Install-DebianPackage -Name openssl

    function New-SmimeCertificate {
        # A certificate signed by the test CA for S/MIME, with the key usage and purposes asked for.
        param(
            [Parameter(Mandatory)] [string] $Name,
            [string] $Email,
            [string] $KeyUsage = 'DigitalSignature, KeyEncipherment',
            [string] $Purpose = '1.3.6.1.5.5.7.3.4',
            [DateTimeOffset] $NotBefore = [DateTimeOffset]::UtcNow.AddDays(-1),
            [DateTimeOffset] $NotAfter = [DateTimeOffset]::UtcNow.AddDays(30)
        )
        $key = [System.Security.Cryptography.RSA]::Create(2048)
        $request = New-CertificateRequest -Subject "CN=$Name" -Key $key
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new($KeyUsage, $true))
        $oids = [System.Security.Cryptography.OidCollection]::new()
        $null = $oids.Add([System.Security.Cryptography.Oid]::new($Purpose))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
        if ($Email) {
            $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            $san.AddEmailAddress($Email)
            $request.CertificateExtensions.Add($san.Build())
        }
        $serial = [byte[]]::new(12)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
        $serial[0] = $serial[0] -band 0x7F
        $signed = $request.Create($script:Ca, $NotBefore, $NotAfter, $serial)
        $certificate = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($signed, $key)
        $paths = @{ Pem = Join-Path $script:Dir "$Name.pem"; Key = Join-Path $script:Dir "$Name.key"; Pfx = Join-Path $script:Dir "$Name.pfx" }
        Export-PemPair $certificate $paths.Pem $paths.Key
        [System.IO.File]::WriteAllBytes($paths.Pfx, $certificate.Export('Pfx', 'pfx-Pa55'))
        [pscustomobject]$paths
    }

    function Invoke-OpenSsl {
        # OpenSSL's exit code and output (stdout and stderr together) for a verdict in the test's message.
        $output = & openssl @args 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
    }

    function Get-LastReceived([string] $Name) {
        Save-ReceivedMessage -Transaction $script:Server.Delivered[-1] -Path (Join-Path $script:Dir "$Name.eml")
    }

    $script:Dir = Join-Path $TestDrive 'smime'
    $null = New-Item -ItemType Directory -Path $Dir
    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = New-CertificateRequest -Subject 'CN=SmtpHandler S/MIME Test CA' -Key $caKey
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
    $script:Ca = $caRequest.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-90), [DateTimeOffset]::UtcNow.AddDays(90))
    $script:CaPem = Join-Path $Dir 'ca.pem'
    Set-Content -Path $CaPem -Value (ConvertTo-PemCertificate $Ca) -NoNewline

    $script:Signer = New-SmimeCertificate -Name signer -Email 'ops@example.test'
    $script:Alice = New-SmimeCertificate -Name alice -Email 'alice@example.test'
    $script:Bob = New-SmimeCertificate -Name bob -Email 'bob@example.test'
    $script:Expired = New-SmimeCertificate -Name expired -Email 'ops@example.test' -NotBefore ([DateTimeOffset]::UtcNow.AddDays(-30)) -NotAfter ([DateTimeOffset]::UtcNow.AddDays(-1))
    $script:ServerOnly = New-SmimeCertificate -Name serveronly -Email 'ops@example.test' -Purpose '1.3.6.1.5.5.7.3.1'
    $script:NoSigning = New-SmimeCertificate -Name nosigning -Email 'ops@example.test' -KeyUsage 'KeyEncipherment'
    $script:Password = ConvertTo-SecureString 'pfx-Pa55' -AsPlainText -Force
    $script:Server = Start-TestSmtpServer
    $script:Send = @{ SmtpServer = '127.0.0.1'; Port = $Server.Port; From = 'ops@example.test'; Subject = 'Maintenance window' }
}

AfterAll { if (Get-Variable -Name Server -Scope Script -ErrorAction Ignore) { $Server.Dispose() } }

Describe 'Send-SmtpMessage -SigningCertificatePath' {
    It 'sends a multipart/signed message whose signature openssl smime -verify accepts as the server received it (PFX)' {
        $result = Send-SmtpMessage @Send -To 'alice@example.test' -Body 'Signed body line' -SigningCertificatePath $Signer.Pfx -SigningCertificatePassword $Password
        $result.Status | Should -Be 'Sent'
        $file = Get-LastReceived 'signed-pfx'
        (Get-Content -Raw $file) | Should -Match 'Content-Type: multipart/signed;[^\r]*\r\n?\s*(protocol="application/pkcs7-signature"|micalg)'
        $verify = Invoke-OpenSsl smime -verify -in $file -CAfile $CaPem -purpose smimesign
        $verify.ExitCode | Should -Be 0 -Because $verify.Output
        $verify.Output | Should -Match 'Verification successful'
        $verify.Output | Should -Match 'Signed body line'
    }

    It 'signs with a PEM certificate and a separate key file, and a changed body fails verification' {
        $null = Send-SmtpMessage @Send -To 'alice@example.test' -Body 'PEM signed' -SigningCertificatePath $Signer.Pem -SigningCertificateKeyPath $Signer.Key
        $file = Get-LastReceived 'signed-pem'
        (Invoke-OpenSsl smime -verify -in $file -CAfile $CaPem -purpose smimesign).ExitCode | Should -Be 0
        $tampered = Join-Path $Dir 'signed-pem-tampered.eml'
        Set-Content -Path $tampered -Value ((Get-Content -Raw $file).Replace('PEM signed', 'PEM siGned')) -NoNewline
        $verify = Invoke-OpenSsl smime -verify -in $tampered -CAfile $CaPem -purpose smimesign
        $verify.ExitCode | Should -Not -Be 0
        $verify.Output | Should -Match 'digest failure|verification failure'
    }
}

Describe 'Send-SmtpMessage -EncryptionCertificatePath' {
    It 'sends application/pkcs7-mime that each recipient decrypts with their own key' {
        $result = Send-SmtpMessage @Send -To 'alice@example.test', 'bob@example.test' -Body 'Only for Alice and Bob' -EncryptionCertificatePath $Alice.Pem, $Bob.Pem
        $result.Status | Should -Be 'Sent'
        $file = Get-LastReceived 'encrypted'
        $raw = Get-Content -Raw $file
        $raw | Should -Match 'Content-Type: application/pkcs7-mime;[^\r]*\r\n?\s*[^\r]*enveloped-data|smime-type=enveloped-data'
        $raw | Should -Not -Match 'Only for Alice and Bob'
        foreach ($who in $Alice, $Bob) {
            $decrypt = Invoke-OpenSsl smime -decrypt -in $file -recip $who.Pem -inkey $who.Key
            $decrypt.ExitCode | Should -Be 0 -Because $decrypt.Output
            $decrypt.Output | Should -Match 'Only for Alice and Bob'
        }
    }

    It 'signs then encrypts: the decrypted content is a signature openssl verifies' {
        $null = Send-SmtpMessage @Send -To 'alice@example.test' -Body 'Signed and sealed' -SigningCertificatePath $Signer.Pfx -SigningCertificatePassword $Password -EncryptionCertificatePath $Alice.Pem
        $file = Get-LastReceived 'signed-encrypted'
        $inner = Join-Path $Dir 'signed-encrypted-inner.eml'
        (Invoke-OpenSsl smime -decrypt -in $file -recip $Alice.Pem -inkey $Alice.Key -out $inner).ExitCode | Should -Be 0
        (Get-Content -Raw $inner) | Should -Match 'multipart/signed'
        $verify = Invoke-OpenSsl smime -verify -in $inner -CAfile $CaPem -purpose smimesign
        $verify.ExitCode | Should -Be 0 -Because $verify.Output
        $verify.Output | Should -Match 'Signed and sealed'
    }

    It 'takes a recipient certificate exported with its CA chain (PEM bundle): encrypts to the leaf, which decrypts it' {
        $bundle = Join-Path $Dir 'alice-with-chain.pem'
        Set-Content -Path $bundle -Value ((Get-Content -Raw $Alice.Pem).TrimEnd() + "`n" + (Get-Content -Raw $CaPem).TrimEnd() + "`n") -NoNewline
        $result = Send-SmtpMessage @Send -To 'alice@example.test' -Body 'Through the chain' -EncryptionCertificatePath $bundle
        $result.Status | Should -Be 'Sent'
        $file = Get-LastReceived 'encrypted-chain'
        $decrypt = Invoke-OpenSsl smime -decrypt -in $file -recip $Alice.Pem -inkey $Alice.Key
        $decrypt.ExitCode | Should -Be 0 -Because $decrypt.Output
        $decrypt.Output | Should -Match 'Through the chain'
        # Only the leaf is a recipient: the CA's certificate is not one.
        $printed = Invoke-OpenSsl cms -cmsout -print -inform SMIME -in $file
        [regex]::Matches($printed.Output, 'd\.ktri:').Count | Should -Be 1 -Because $printed.Output
    }

    It 'refuses a file that holds only CA certificates before connecting' {
        $before = $Server.Connections
        $thrown = { Send-SmtpMessage @Send -To 'alice@example.test' -Body 'x' -EncryptionCertificatePath $CaPem } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike 'InvalidEncryptionCertificate,*'
        $thrown.Exception.Message | Should -Match 'only CA certificates'
        $Server.Connections | Should -Be $before
    }

    It 'with -AllOrNothing sends nothing when a recipient has no certificate, after naming that recipient' {
        $before = $Server.Delivered.Count
        $sessions = $Server.Sessions.Count
        $stopped = $null
        try { Send-SmtpMessage @Send -To 'alice@example.test', 'carol@example.test' -Body 'All or nothing' -EncryptionCertificatePath $Alice.Pem -AllOrNothing -ErrorVariable problems -ErrorAction SilentlyContinue }
        catch { $stopped = $_ }
        $stopped.FullyQualifiedErrorId | Should -Be 'InvalidInputNothingSent,SmtpHandler.Commands.SendSmtpMessageCommand'
        @($problems | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'NoEncryptionCertificate,*' -and "$($_.TargetObject)" -eq 'carol@example.test' }).Count | Should -Be 1
        $Server.Delivered.Count | Should -Be $before
        $Server.Sessions.Count | Should -Be $sessions -Because 'nothing is sent, so no connection is made'
    }

    It 'with -Individual encrypts each message to its own recipient, and a recipient without a certificate is NotAttempted' {
        $people = 'alice@example.test', 'bob@example.test', 'carol@example.test' | ForEach-Object { [pscustomobject]@{ Email = $_ } }
        $before = $Server.Delivered.Count
        $results = $people | Send-SmtpMessage @Send -Individual -Body 'Your own copy' -EncryptionCertificatePath $Alice.Pem, $Bob.Pem -ErrorVariable problems -ErrorAction SilentlyContinue
        $results.Count | Should -Be 3
        $carol = @($results | ForEach-Object NotAttempted | Where-Object Address -EQ 'carol@example.test')
        $carol.Count | Should -Be 1
        $carol[0].ErrorId | Should -Be 'NoEncryptionCertificate'
        $carol[0].Reason | Should -Match 'EncryptionCertificatePath'
        @($problems | Where-Object { $_.FullyQualifiedErrorId -like 'NoEncryptionCertificate,*' }).Count | Should -Be 1
        @($results | Where-Object Status -EQ 'Sent').Count | Should -Be 2
        $delivered = @($Server.Delivered | Select-Object -Skip $before)
        $delivered.Count | Should -Be 2
        $delivered.To | Should -Not -Contain 'carol@example.test'
        $toAlice = Save-ReceivedMessage -Transaction ($delivered | Where-Object { $_.To -contains 'alice@example.test' }) -Path (Join-Path $Dir 'individual-alice.eml')
        (Invoke-OpenSsl smime -decrypt -in $toAlice -recip $Alice.Pem -inkey $Alice.Key).Output | Should -Match 'Your own copy'
        (Invoke-OpenSsl smime -decrypt -in $toAlice -recip $Bob.Pem -inkey $Bob.Key).ExitCode | Should -Not -Be 0
    }
}

Describe 'Send-SmtpMessage S/MIME into a pickup folder' {
    It 'writes the signed message to the .eml file, where openssl verifies it once the envelope lines are taken off' {
        $pickup = Join-Path $Dir 'pickup'
        $null = New-Item -ItemType Directory -Path $pickup
        $config = New-SmtpHandlerConfig -PickupDirectory $pickup
        $result = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'alice@example.test' -Subject 'Picked up' -Body 'Signed into a folder' -SigningCertificatePath $Signer.Pfx -SigningCertificatePassword $Password
        $result.Status | Should -Be 'WrittenToPickup'
        $eml = @(Get-ChildItem -Path $pickup -Filter *.eml)
        $eml.Count | Should -Be 1
        $text = [System.IO.File]::ReadAllText($eml[0].FullName)
        $message = Join-Path $Dir 'pickup-message.eml'
        [System.IO.File]::WriteAllText($message, ($text -replace '^(X-(Sender|Receiver): [^\r\n]*\r\n)+', ''))
        $verify = Invoke-OpenSsl smime -verify -in $message -CAfile $CaPem -purpose smimesign
        $verify.ExitCode | Should -Be 0 -Because $verify.Output
        $verify.Output | Should -Match 'Signed into a folder'
    }
}

Describe 'Send-SmtpMessage refuses an unusable S/MIME certificate before connecting' {
    It 'refuses <Case> with ErrorId <ErrorId>, naming -<Parameter>, and opens no connection' -ForEach @(
        @{ Case = 'an expired signing certificate'; ErrorId = 'SmimeCertificateExpired'; Parameter = 'SigningCertificatePath'; Extra = { @{ SigningCertificatePath = $Expired.Pfx; SigningCertificatePassword = $Password } } }
        @{ Case = 'a signing certificate for servers only (EKU serverAuth)'; ErrorId = 'SmimeCertificateNotForEmail'; Parameter = 'SigningCertificatePath'; Extra = { @{ SigningCertificatePath = $ServerOnly.Pfx; SigningCertificatePassword = $Password } } }
        @{ Case = 'a signing certificate whose key usage can''t sign'; ErrorId = 'SmimeCertificateNotForEmail'; Parameter = 'SigningCertificatePath'; Extra = { @{ SigningCertificatePath = $NoSigning.Pfx; SigningCertificatePassword = $Password } } }
        @{ Case = 'a signing certificate without its private key'; ErrorId = 'SmimeCertificateNoPrivateKey'; Parameter = 'SigningCertificateKeyPath'; Extra = { @{ SigningCertificatePath = $Signer.Pem } } }
        @{ Case = 'a signing PFX with the wrong password'; ErrorId = 'InvalidCertificateFile'; Parameter = 'SigningCertificatePassword'; Extra = { @{ SigningCertificatePath = $Signer.Pfx; SigningCertificatePassword = (ConvertTo-SecureString 'Wr0ng-Pw' -AsPlainText -Force) } } }
        @{ Case = 'an expired recipient certificate'; ErrorId = 'SmimeCertificateExpired'; Parameter = 'EncryptionCertificatePath'; Extra = { @{ EncryptionCertificatePath = $Expired.Pem } } }
        @{ Case = 'a recipient certificate for servers only'; ErrorId = 'SmimeCertificateNotForEmail'; Parameter = 'EncryptionCertificatePath'; Extra = { @{ EncryptionCertificatePath = $ServerOnly.Pem } } }
        @{ Case = 'a private key given as a recipient certificate'; ErrorId = 'InvalidEncryptionCertificate'; Parameter = 'EncryptionCertificatePath'; Extra = { @{ EncryptionCertificatePath = $Alice.Key } } }
    ) {
        $extra = & $Extra
        $before = $Server.Connections
        $thrown = { Send-SmtpMessage @Send -To 'alice@example.test' -Body 'x' @extra } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $thrown.Exception.Message | Should -Match "^$Parameter\b"
        $thrown.Exception.Message | Should -Not -Match 'pfx-Pa55|Wr0ng-Pw'
        $Server.Connections | Should -Be $before
    }
}
