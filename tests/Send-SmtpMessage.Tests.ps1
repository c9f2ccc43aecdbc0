BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:Server = Start-Smtp4dev
    $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.SmtpPort
}

AfterAll {
    Stop-Smtp4dev $Server
}

Describe 'Send-SmtpMessage against smtp4dev' {
    BeforeEach { Clear-Smtp4dev $Server }

    It 'delivers a message with the right From, To, Subject and body' {
        $result = Send-SmtpMessage -Config $Config -From 'Reports <reports@example.test>' -To 'ann@example.test' -Subject 'Disk report' -Body "All disks healthy.`nNothing to do."
        $result.Status | Should -Be 'Sent'
        $result.Accepted.Address | Should -Be 'ann@example.test'

        $messages = Get-Smtp4devMessage -Server $Server
        $messages.Count | Should -Be 1
        $messages[0].from | Should -Be 'reports@example.test'
        $messages[0].to | Should -Be 'ann@example.test'
        $messages[0].subject | Should -Be 'Disk report'
        $raw = Get-Smtp4devRawMessage -Server $Server -Id $messages[0].id
        $raw | Should -Match 'From: Reports <reports@example.test>'
        $raw | Should -Match 'All disks healthy\.\r\nNothing to do\.'
        $raw | Should -Match ([regex]::Escape("Message-Id: <$($result.MessageId)>"))
    }

    It 'sends piped recipients in batches of -RecipientsPerMessage over one connection' {
        $result = 'a@example.test', 'b@example.test', 'c@example.test', 'd@example.test', 'e@example.test' |
            Send-SmtpMessage -Config $Config -From 'reports@example.test' -Subject 'Batched' -Body 'x' -RecipientsPerMessage 2
        $result.Accepted.Count | Should -Be 5
        $result.Transactions | Should -Be 3
        $result.Connections | Should -Be 1

        $messages = Get-Smtp4devMessage -Server $Server
        $messages.Count | Should -Be 3
        ($messages | ForEach-Object { @($_.to).Count }) | Sort-Object | Should -Be @(1, 2, 2)
        @(Get-Smtp4devSession -Server $Server).Count | Should -Be 1
    }

    It 'fails before connecting when there is no sender' {
        $err = { Send-SmtpMessage -Config $Config -To 'ann@example.test' -Subject 'x' -Body 'y' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NoSender*'
        @(Get-Smtp4devSession -Server $Server).Count | Should -Be 0
    }
}
