BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    $script:Certs = New-TestCertificateSet -Directory (Join-Path $TestDrive 'certs')
    $script:Password = 'Secrets-Pa55 ' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    # Login is required and checked: a config that lost its password could not send.
    $script:Server = Start-Smtp4dev -TlsMode StartTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey `
        -AuthenticationRequired -CheckCredentials -User "mailer=$Password" -AuthTypes PLAIN

    function script:New-SecretConfig {
        param([string] $Secret = $Password)
        $credential = [pscredential]::new('mailer', (ConvertTo-SecureString $Secret -AsPlainText -Force))
        New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.SmtpPort -UseStartTls -TrustedCertificatePath $Certs.CaPem -Credential $credential `
            -ClientCertificatePath $Certs.ClientPfx -ClientCertificatePassword (ConvertTo-SecureString $Certs.ClientPassword -AsPlainText -Force) -RetryCount 0
    }

    function script:Get-Spelling {
        # Every way a serializer could write a secret: as is, UTF-16 hex (both byte orders, either case), base64 of
        # its UTF-8 and UTF-16 bytes, and hex of its UTF-8 bytes.
        param([Parameter(Mandatory)] [string] $Secret)
        $Secret
        foreach ($encoding in [System.Text.Encoding]::Unicode, [System.Text.Encoding]::BigEndianUnicode, [System.Text.Encoding]::UTF8) {
            $bytes = $encoding.GetBytes($Secret)
            [System.Convert]::ToHexString($bytes)
            [System.Convert]::ToBase64String($bytes)
        }
    }

    function script:Should-HoldNoSecret {
        param([Parameter(Mandatory)] [string] $Text, [Parameter(Mandatory)] [string] $Because)
        foreach ($secret in $Password, $Certs.ClientPassword) {
            foreach ($spelling in Get-Spelling $secret) {
                $Text.Contains($spelling, [System.StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "$Because must not hold '$spelling' (a spelling of '$secret')"
            }
        }
    }
}

AfterAll {
    Stop-Smtp4dev $Server
}

Describe 'A configuration keeps its secrets out of serialization' {
    BeforeEach { Clear-Smtp4dev $Server }

    It 'writes no password in any spelling to Export-Clixml, ConvertTo-Json or the remoting serializer, and still logs in with it' {
        $config = New-SecretConfig
        $xml = Join-Path $TestDrive 'config.xml'
        $config | Export-Clixml -Path $xml -Depth 5
        Should-HoldNoSecret -Text (Get-Content -Raw $xml) -Because 'Export-Clixml'
        Should-HoldNoSecret -Text ($config | ConvertTo-Json -Depth 5) -Because 'ConvertTo-Json -Depth 5'
        # What remoting and jobs send.
        Should-HoldNoSecret -Text ([System.Management.Automation.PSSerializer]::Serialize($config, 5)) -Because 'PSSerializer'
        Should-HoldNoSecret -Text ($config | Format-List * -Force | Out-String) -Because 'Format-List *'
        $config.PSObject.Properties.Name | Should -Not -Contain 'Password'
        $config.PSObject.Properties.Name | Should -Not -Contain 'ClientCertificatePassword'

        $result = Send-SmtpMessage -Config $config -From 'reports@example.test' -To 'ann@example.test' -Subject 'Still logs in' -Body 'x'
        $result.Status | Should -Be 'Sent' -Because "$($result.ErrorId) $($result.Error)"
        (Get-Smtp4devMessage -Server $Server).subject | Should -Be 'Still logs in'
        (Test-SmtpConnection -Config $config).Authenticated | Should -BeTrue
    }

    It 'logs in only with the right password, so the login above proves the password was used' {
        $result = Send-SmtpMessage -Config (New-SecretConfig -Secret 'Wrong-Pa55') -From 'reports@example.test' -To 'ann@example.test' -Subject 'x' -Body 'x' -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'AuthenticationFailed'
    }

    It 'keeps the secrets through -Config with inline overrides, which copy the configuration' {
        $result = Send-SmtpMessage -Config (New-SecretConfig) -RecipientsPerMessage 1 -From 'reports@example.test' -To 'ann@example.test', 'bob@example.test' -Subject 'Copied' -Body 'x'
        $result.Status | Should -Be 'Sent' -Because "$($result.ErrorId) $($result.Error)"
        $result.Transactions | Should -Be 2
    }

    It 'refuses aloud a configuration that came back from Import-Clixml, since it has no secrets' {
        $xml = Join-Path $TestDrive 'roundtrip.xml'
        New-SecretConfig | Export-Clixml -Path $xml
        $back = Import-Clixml -Path $xml
        $err = { Send-SmtpMessage -Config $back -From 'reports@example.test' -To 'ann@example.test' -Subject 'x' -Body 'x' } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'serialization'
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 0
    }
}
