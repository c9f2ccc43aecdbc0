BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:Server = Start-Smtp4dev
}

AfterAll {
    Stop-Smtp4dev $Server
}

Describe 'Test-SmtpConnection' {
    It 'reports the banner and the EHLO capabilities of a plain server' {
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Server.SmtpPort
        $report.Success | Should -BeTrue
        $report.BannerCode | Should -Be 220
        $report.Banner | Should -Match 'smtp4dev'
        $report.Capabilities | Should -Contain '8BITMIME'
        $report.Encrypted | Should -BeFalse
    }

    It 'takes a config from the pipeline' {
        $report = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.SmtpPort | Test-SmtpConnection
        $report.Success | Should -BeTrue
    }

    It 'reports a closed port as a failure with a finding' {
        $port = Get-FreeTcpPort
        $report = Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $port -Timeout 5
        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'ConnectionFailed'
        $report.Findings | Should -Not -BeNullOrEmpty
    }
}
