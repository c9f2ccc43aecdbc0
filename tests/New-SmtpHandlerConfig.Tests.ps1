BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
}

Describe 'New-SmtpHandlerConfig' {
    It 'defaults to localhost:25 without TLS' {
        $config = New-SmtpHandlerConfig
        $config.SmtpServer | Should -Be 'localhost'
        $config.Port | Should -Be 25
        $config.TlsMode | Should -Be 'None'
    }

    It 'takes $PSEmailServer as the default server, as Send-MailMessage does' {
        $PSEmailServer = 'mail.example.test'
        (New-SmtpHandlerConfig).SmtpServer | Should -Be 'mail.example.test'
        (New-SmtpHandlerConfig -SmtpServer 'other.example.test').SmtpServer | Should -Be 'other.example.test'
    }

    It 'turns on implicit TLS for port 465 by itself' {
        (New-SmtpHandlerConfig -Port 465).TlsMode | Should -Be 'ImplicitTls'
    }

    It 'lets -UseTls win over -UseStartTls' {
        (New-SmtpHandlerConfig -Port 587 -UseTls -UseStartTls).TlsMode | Should -Be 'ImplicitTls'
        (New-SmtpHandlerConfig -Port 587 -UseStartTls).TlsMode | Should -Be 'StartTls'
    }

    It 'refuses a credential over a plaintext connection and says what to use instead' {
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        $err = { New-SmtpHandlerConfig -SmtpServer mail.example.test -Credential $credential } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnencryptedAuthenticationRefused*'
        $err.Exception.Message | Should -Match '-UseTls'
        $err.Exception.Message | Should -Not -Match 'S3cret-Pa55'
    }

    It 'never shows the password in its string form or its properties' {
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        $config = New-SmtpHandlerConfig -SmtpServer mail.example.test -Port 465 -Credential $credential
        "$config" | Should -Be 'smtps://alice@mail.example.test:465'
        ($config | Format-List * | Out-String) | Should -Not -Match 'S3cret-Pa55'
    }

    It 'makes one config per piped server name, and per piped object with SmtpServer and Port' {
        $configs = @('a.example.test', 'b.example.test' | New-SmtpHandlerConfig -DefaultFrom 'ops@example.test')
        $configs.Count | Should -Be 2
        $configs.SmtpServer | Should -Be @('a.example.test', 'b.example.test')
        $configs.DefaultFrom | Should -Be @('ops@example.test', 'ops@example.test')

        $rows = @(
            [pscustomobject]@{ SmtpServer = 'c.example.test'; Port = 587 }
            [pscustomobject]@{ SmtpServer = 'd.example.test'; Port = 2525 }
        )
        $configs = @($rows | New-SmtpHandlerConfig -UseStartTls)
        $configs.Count | Should -Be 2
        $configs | ForEach-Object { "$($_.SmtpServer):$($_.Port):$($_.TlsMode)" } | Should -Be @('c.example.test:587:StartTls', 'd.example.test:2525:StartTls')
    }

    It 'rejects an invalid default sender naming the parameter' {
        $err = { New-SmtpHandlerConfig -DefaultFrom 'not an address' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress*'
        $err.Exception.Message | Should -Match 'DefaultFrom'
    }
}

Describe 'New-SmtpHandlerConfig -FromHashtable, -Path and -LiteralPath (the seed''s from_config)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
        $script:Certificates = New-TestCertificateSet -Directory (Join-Path $TestDrive 'certs')
        $script:Settings = [ordered]@{
            SmtpServer               = 'mail.example.test'
            Port                     = 587
            UseStartTls              = $true
            TrustedCertificatePath   = @($Certificates.CaPem)
            CheckCertificateRevocation = $true
            TlsProtocol              = 'Tls12'
            Timeout                  = 30
            LocalDomain              = 'client.example.test'
            DefaultFrom              = 'Reports <reports@example.test>'
            RecipientsPerMessage     = 50
            MaxMessagesPerConnection = 20
            RetryCount               = 5
            RetryDelay               = 0.5
        }

        function ConvertTo-Comparable($Config) {
            # Every property as text, secrets left out: two configs are the same when these lines are.
            $Config.PSObject.Properties | Where-Object Name -NotIn 'Password', 'ClientCertificatePassword' |
                ForEach-Object { "$($_.Name)=$(@($_.Value) -join '|')" }
        }

        function Write-Settings([string] $Name, [string] $Text) {
            $path = Join-Path $TestDrive $Name
            Set-Content -Path $path -Value $Text
            $path
        }
    }

    It 'builds the same config from a hashtable, a JSON file and a .psd1 file as from the same parameters' {
        $settings = $Settings
        $expected = ConvertTo-Comparable (New-SmtpHandlerConfig @settings)
        $json = Write-Settings 'same.json' ($Settings | ConvertTo-Json)
        $psd1 = Write-Settings 'same.psd1' ("@{`n" + (($Settings.Keys | ForEach-Object {
            $v = $Settings[$_]
            $literal = if ($v -is [bool]) { "`$$v" } elseif ($v -is [array]) { "@('" + ($v -join "','") + "')" } elseif ($v -is [string]) { "'$v'" } else { "$v" }
            "    $_ = $literal"
        }) -join "`n") + "`n}")

        ConvertTo-Comparable (New-SmtpHandlerConfig -FromHashtable $Settings) | Should -Be $expected
        ConvertTo-Comparable (New-SmtpHandlerConfig -Path $json) | Should -Be $expected
        ConvertTo-Comparable (New-SmtpHandlerConfig -LiteralPath $psd1) | Should -Be $expected
        (New-SmtpHandlerConfig -Path $json).TlsMode | Should -Be 'StartTls'
        (New-SmtpHandlerConfig -Path $json).RetryDelay | Should -Be ([timespan]::FromSeconds(0.5))
    }

    It 'matches keys whatever their case' {
        $config = New-SmtpHandlerConfig -FromHashtable @{ smtpserver = 'mx.example.test'; PORT = 2525; usetls = $true; recipientsPERmessage = 3 }

        $config.SmtpServer | Should -Be 'mx.example.test'
        $config.Port | Should -Be 2525
        $config.TlsMode | Should -Be 'ImplicitTls'
        $config.RecipientsPerMessage | Should -Be 3
    }

    It 'refuses an unknown key and lists the valid ones' {
        $err = { New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = 'mx.example.test'; Prot = 25 } } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownConfigurationKey*'
        $err.Exception.Message | Should -Match "'Prot'"
        foreach ($valid in 'SmtpServer', 'Port', 'UseTls', 'RecipientsPerMessage', 'PickupDirectory', 'TrustedCertificatePath') {
            $err.Exception.Message | Should -Match "\b$valid\b"
        }
        $err.Exception.Message | Should -Not -Match '\bFromHashtable\b'
    }

    It 'refuses a value of the wrong type with an error naming the key' -TestCases @(
        @{ Settings = @{ Port = 'twenty-five' }; Key = 'Port' }
        @{ Settings = @{ Port = 25.5 }; Key = 'Port' }
        @{ Settings = @{ UseTls = 'yes' }; Key = 'UseTls' }
        @{ Settings = @{ UseStartTls = 'false' }; Key = 'UseStartTls' }
        @{ Settings = @{ SmtpServer = @('a.example.test', 'b.example.test') }; Key = 'SmtpServer' }
        @{ Settings = @{ TlsProtocol = 'Tls9' }; Key = 'TlsProtocol' }
        @{ Settings = @{ RetryDelay = @{ Seconds = 1 } }; Key = 'RetryDelay' }
    ) {
        $err = { New-SmtpHandlerConfig -FromHashtable $Settings } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfigurationValue*'
        $err.Exception.Message | Should -Match "'$Key'"
    }

    It 'refuses an out-of-range value from a file naming the key' {
        $path = Write-Settings 'range.json' '{ "SmtpServer": "mx.example.test", "RecipientsPerMessage": -1 }'

        $err = { New-SmtpHandlerConfig -Path $path } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfigurationValue*'
        $err.Exception.Message | Should -Match 'RecipientsPerMessage'
    }

    It 'never reads a password from a hashtable or a file: a <Key> key is refused with advice' -TestCases @(
        @{ Key = 'Credential' }
        @{ Key = 'Password' }
        @{ Key = 'ClientCertificatePassword' }
    ) {
        $secret = 'Do-Not-Leak-9731'
        $value = if ($Key -eq 'Credential') { [pscredential]::new('alice', (ConvertTo-SecureString $secret -AsPlainText -Force)) } else { $secret }
        $path = Write-Settings "secret-$Key.json" (@{ SmtpServer = 'mx.example.test'; $Key = $(if ($Key -eq 'Credential') { @{ UserName = 'alice'; Password = $secret } } else { $secret }) } | ConvertTo-Json)

        foreach ($attempt in { New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = 'mx.example.test'; $Key = $value } }, { New-SmtpHandlerConfig -Path $path }) {
            $err = $attempt | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'SecretInConfiguration*'
            $err.Exception.Message | Should -Match '-Credential'
            $err.Exception.Message | Should -Not -Match $secret
            "$($err.TargetObject)" | Should -Not -Match $secret
        }
    }

    It 'takes -Credential together with -FromHashtable and -Path' {
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        $path = Write-Settings 'with-credential.json' '{ "SmtpServer": "mx.example.test", "Port": 465 }'

        $fromFile = New-SmtpHandlerConfig -Path $path -Credential $credential
        $fromTable = New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = 'mx.example.test'; Port = 587; UseStartTls = $true } -Credential $credential

        $fromFile.UserName | Should -Be 'alice'
        $fromFile.TlsMode | Should -Be 'ImplicitTls'
        $fromTable.UserName | Should -Be 'alice'
        $fromTable.TlsMode | Should -Be 'StartTls'
    }

    It 'lets a parameter given on the command line win over the same key' {
        $path = Write-Settings 'override.json' '{ "SmtpServer": "mx.example.test", "Port": 2525, "RecipientsPerMessage": 10 }'

        $config = New-SmtpHandlerConfig -Path $path -Port 2526

        $config.Port | Should -Be 2526
        $config.SmtpServer | Should -Be 'mx.example.test'
        $config.RecipientsPerMessage | Should -Be 10
    }

    It 'takes relative paths in a file relative to the file''s folder' {
        $folder = Join-Path $TestDrive 'site'
        $null = New-Item -ItemType Directory -Path (Join-Path $folder 'drop')
        Copy-Item $Certificates.CaPem (Join-Path $folder 'ca.pem')
        Set-Content -Path (Join-Path $folder 'smtp.json') -Value '{ "PickupDirectory": "drop", "TrustedCertificatePath": "ca.pem" }'

        Push-Location $TestDrive
        try { $config = New-SmtpHandlerConfig -Path (Join-Path $folder 'smtp.json') } finally { Pop-Location }

        $config.PickupDirectory | Should -Be (Join-Path $folder 'drop')
        $config.TrustedCertificatePaths | Should -Be @(Join-Path $folder 'ca.pem')
    }

    It 'reports a missing settings file' {
        $err = { New-SmtpHandlerConfig -Path (Join-Path $TestDrive 'nothing-here.json') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConfigFileNotFound*'

        $err = { New-SmtpHandlerConfig -LiteralPath (Join-Path $TestDrive 'nothing[1].json') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConfigFileNotFound*'
    }

    It 'reports a malformed settings file naming it' {
        $path = Write-Settings 'broken.json' '{ "SmtpServer": "mx.example.test", '

        $err = { New-SmtpHandlerConfig -Path $path } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfigurationFile*'
        $err.Exception.Message | Should -Match ([regex]::Escape($path))
    }

    It 'does not take -FromHashtable and -Path together' {
        $path = Write-Settings 'both.json' '{ "Port": 25 }'
        { New-SmtpHandlerConfig -FromHashtable @{ Port = 25 } -Path $path } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }
}

Describe 'The config''s default view' {
    BeforeAll {
        $script:Secret = 'View-Secret-4412'
        $credential = [pscredential]::new('alice', (ConvertTo-SecureString $Secret -AsPlainText -Force))
        $script:Config = New-SmtpHandlerConfig -SmtpServer mail.example.test -Port 465 -Credential $credential -DefaultFrom 'reports@example.test' -RecipientsPerMessage 25
    }

    It 'is a readable list: endpoint, server, port, TLS, credential user, sender, batching' {
        $text = $Config | Out-String

        $text | Should -Match 'Endpoint\s+: smtps://alice@mail.example.test:465'
        $text | Should -Match 'SmtpServer\s+: mail.example.test'
        $text | Should -Match 'TlsMode\s+: ImplicitTls'
        $text | Should -Match 'Credential\s+: alice \(password not shown\)'
        $text | Should -Match 'DefaultFrom\s+: reports@example.test'
        $text | Should -Match 'RecipientsPerMessage\s+: 25'
    }

    It 'never shows the password, in the default view, Format-List *, Format-Table or ConvertTo-Json' {
        foreach ($text in ($Config | Out-String), ($Config | Format-List * | Out-String), ($Config | Format-Table | Out-String), ($Config | ConvertTo-Json -Depth 3)) {
            $text | Should -Not -Match $Secret
        }
    }
}
