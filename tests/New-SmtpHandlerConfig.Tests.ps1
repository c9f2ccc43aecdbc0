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

    It 'rejects an invalid default sender naming the parameter' {
        $err = { New-SmtpHandlerConfig -DefaultFrom 'not an address' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress*'
        $err.Exception.Message | Should -Match 'DefaultFrom'
    }
}
