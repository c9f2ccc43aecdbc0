# Delivery through the built module against a real MTA: private Postfix instances (installed when missing),
# counted on the server side from Postfix's own log. And the pickup folder, which needs no server.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'Postfix.ps1')

    function Get-Recipient([int] $Count, [string] $Prefix = 'user') {
        1..$Count | ForEach-Object { "$Prefix$_@example.test" }
    }

    function Send-ThroughEngine {
        # Several messages in one send (one session), straight through the module's engine: Send-SmtpMessage
        # sends one message per call, and MaxMessagesPerConnection is about many messages in one send.
        param([Parameter(Mandatory)] $Config, [Parameter(Mandatory)] [string[]] $Subject, [Parameter(Mandatory)] [string[]] $To)
        $assembly = $Config.GetType().Assembly
        $mailer = ($assembly.GetType('SmtpHandler.SmtpMailer'))::new($Config, $null)
        $prepared = [Array]::CreateInstance($assembly.GetType('SmtpHandler.PreparedMessage'), $Subject.Count)
        for ($i = 0; $i -lt $Subject.Count; $i++) {
            $message = ($assembly.GetType('SmtpHandler.SmtpMessage'))::new()
            $message.From = 'reports@example.test'
            $message.To = [string[]]$To
            $message.Subject = $Subject[$i]
            $message.TextBody = "Body of $($Subject[$i])"
            $prepared[$i] = $mailer.Prepare($message, $false)
        }
        @($mailer.Send($prepared, [System.Threading.CancellationToken]::None))
    }

    function Read-EmlHeader([string] $Path) {
        # The header block of an .eml file as name/value pairs, folded lines joined, in order.
        $text = [System.IO.File]::ReadAllText($Path)
        $end = $text.IndexOf("`r`n`r`n")
        $end | Should -BeGreaterThan 0 -Because 'a message has a header block ended by an empty line'
        $unfolded = $text.Substring(0, $end) -replace "`r`n(?=[ `t])", ''
        foreach ($line in $unfolded -split "`r`n") {
            $colon = $line.IndexOf(':')
            $colon | Should -BeGreaterThan 0 -Because "'$line' must be a header field"
            [pscustomobject]@{ Name = $line.Substring(0, $colon); Value = $line.Substring($colon + 1).Trim() }
        }
    }
}

Describe 'Delivery against Postfix with smtpd_recipient_limit = 3' {
    BeforeAll {
        $script:Postfix = Start-Postfix -RecipientLimit 3
        $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Postfix.Port -RetryDelay 0.05 -Timeout 30
    }

    AfterAll {
        Stop-Postfix $Postfix
    }

    It 'reaches all 10 recipients of one message without -RecipientsPerMessage, splitting on "452 4.5.3 too many recipients", on one connection' {
        $mark = Get-PostfixLogMark $Postfix
        $to = Get-Recipient 10

        $result = Send-SmtpMessage -Config $Config -From 'Reports <reports@example.test>' -To $to -Subject 'Ten recipients' -Body 'Limit test'

        $result.Status | Should -Be 'Sent'
        $result.Accepted.Count | Should -Be 10
        $server = Get-PostfixActivity -Server $Postfix -Since $mark
        $server.Connections | Should -Be 1
        $server.Transactions.RecipientCount | Should -Be @(3, 3, 3, 1)
        $server.Recipients | Sort-Object | Should -Be ($to | Sort-Object)
        $server.Transactions.From | Sort-Object -Unique | Should -Be 'reports@example.test'
        # 10 RCPT in the first transaction (7 refused as too many), then those 7 again in batches that fit.
        $server.RcptSent | Should -Be 17
        $result.Transactions | Should -Be 4
        $result.Connections | Should -Be 1
    }

    It 'keeps -RecipientsPerMessage 5 within the server limit of 3 by itself, each recipient once' {
        $mark = Get-PostfixLogMark $Postfix
        $to = Get-Recipient 12 'batch'

        $result = Send-SmtpMessage -Config $Config -From 'reports@example.test' -To $to -Subject 'Twelve' -Body 'x' -RecipientsPerMessage 5

        $result.Status | Should -Be 'Sent'
        $server = Get-PostfixActivity -Server $Postfix -Since $mark
        $server.Connections | Should -Be 1
        $server.Transactions.RecipientCount | ForEach-Object { $_ | Should -BeLessOrEqual 3 }
        $server.Recipients.Count | Should -Be 12
        $server.Recipients | Sort-Object -Unique | Should -Be ($to | Sort-Object)
    }
}

Describe 'Delivery against Postfix with smtpd_recipient_limit = 4' {
    BeforeAll {
        $script:Postfix = Start-Postfix -RecipientLimit 4
        $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Postfix.Port -RetryDelay 0.05 -Timeout 30
    }

    AfterAll {
        Stop-Postfix $Postfix
    }

    It 'sends 10 recipients with -RecipientsPerMessage 4 as transactions of 4, 4 and 2 on one connection' {
        $mark = Get-PostfixLogMark $Postfix
        $to = Get-Recipient 10

        $result = Send-SmtpMessage -Config $Config -From 'reports@example.test' -To $to -Subject 'Batched' -Body 'x' -RecipientsPerMessage 4

        $result.Status | Should -Be 'Sent'
        $result.Transactions | Should -Be 3
        $server = Get-PostfixActivity -Server $Postfix -Since $mark
        $server.Connections | Should -Be 1
        $server.Transactions.RecipientCount | Should -Be @(4, 4, 2)
        # Postfix logs the deliveries of one transaction in no fixed order.
        $server.Transactions[0].Recipients | Sort-Object | Should -Be ($to[0..3] | Sort-Object)
        $server.Transactions[2].Recipients | Sort-Object | Should -Be ($to[8..9] | Sort-Object)
    }

    It 'reconnects after -MaxMessagesPerConnection 2: 5 messages arrive over 3 connections' {
        $mark = Get-PostfixLogMark $Postfix
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Postfix.Port -MaxMessagesPerConnection 2 -RetryDelay 0.05

        $results = Send-ThroughEngine -Config $config -Subject (1..5 | ForEach-Object { "Report $_" }) -To 'ops@example.test'

        $results.Count | Should -Be 5
        $results.Status | Sort-Object -Unique | Should -Be 'Sent'
        $server = Get-PostfixActivity -Server $Postfix -Since $mark
        $server.Connections | Should -Be 3
        $server.Transactions.Count | Should -Be 5
        $server.Recipients | Should -Be (@('ops@example.test') * 5)
    }

    It 'sends 5 messages over one connection without -MaxMessagesPerConnection' {
        $mark = Get-PostfixLogMark $Postfix

        $results = Send-ThroughEngine -Config $Config -Subject (1..5 | ForEach-Object { "Digest $_" }) -To 'ops@example.test'

        $results.Status | Sort-Object -Unique | Should -Be 'Sent'
        $server = Get-PostfixActivity -Server $Postfix -Since $mark
        $server.Connections | Should -Be 1
        $server.Transactions.Count | Should -Be 5
    }
}

Describe 'Pickup folder (-PickupDirectory)' {
    BeforeEach {
        $script:Pickup = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $Pickup
    }

    It 'writes one parseable .eml per transaction with the envelope in X-Sender/X-Receiver and no Bcc header' {
        $config = New-SmtpHandlerConfig -PickupDirectory $Pickup -RecipientsPerMessage 2
        $to = 'ann@example.test', 'bob@example.test'

        $result = Send-SmtpMessage -Config $config -From 'Reports <reports@example.test>' -To $to -Cc 'cat@example.test' -Bcc 'dan@example.test', 'eve@example.test' -Subject 'Pickup report' -Body 'All good.'

        $result.Status | Should -Be 'WrittenToPickup'
        $result.Success | Should -BeTrue
        $result.Connections | Should -Be 0
        $result.Accepted.Count | Should -Be 5
        $result.PickupFiles.Count | Should -Be 3
        $files = @(Get-ChildItem $Pickup)
        $files.Name | ForEach-Object { $_ | Should -Match '\.eml$' }
        ($files.FullName | Sort-Object) | Should -Be ($result.PickupFiles | Sort-Object)

        $receivers = foreach ($file in $result.PickupFiles) {
            $headers = @(Read-EmlHeader $file)
            $headers[0].Name | Should -Be 'X-Sender' -Because 'the envelope comes first, as IIS and Exchange pickup folders read it'
            ($headers | Where-Object Name -EQ 'X-Sender').Value | Should -Be 'reports@example.test'
            ($headers | Where-Object Name -EQ 'From').Value | Should -Be 'Reports <reports@example.test>'
            ($headers | Where-Object Name -EQ 'To').Value | Should -Be 'ann@example.test, bob@example.test'
            ($headers | Where-Object Name -EQ 'Cc').Value | Should -Be 'cat@example.test'
            ($headers | Where-Object Name -EQ 'Subject').Value | Should -Be 'Pickup report'
            ($headers | Where-Object Name -EQ 'Message-Id').Value | Should -Be "<$($result.MessageId)>"
            ($headers | Where-Object Name -EQ 'MIME-Version').Value | Should -Be '1.0'
            ($headers | Where-Object Name -EQ 'Date') | Should -Not -BeNullOrEmpty
            $headers.Name | Should -Not -Contain 'Bcc'
            $text = Get-Content $file -Raw
            $text | Should -Match 'All good\.'
            foreach ($hidden in 'dan@example.test', 'eve@example.test') {
                # A Bcc recipient appears only in its X-Receiver line, never in the message itself.
                ([regex]::Matches($text, [regex]::Escape($hidden)).Count) | Should -BeLessOrEqual 1
                if ($text -match [regex]::Escape($hidden)) { $text | Should -Match "(?m)^X-Receiver: $([regex]::Escape($hidden))\r$" }
            }
            $fileReceivers = @(($headers | Where-Object Name -EQ 'X-Receiver').Value)
            $fileReceivers.Count | Should -BeLessOrEqual 2
            $fileReceivers
        }
        $receivers | Sort-Object | Should -Be @('ann@example.test', 'bob@example.test', 'cat@example.test', 'dan@example.test', 'eve@example.test')
    }

    It 'writes one file for every recipient when -RecipientsPerMessage is not set' {
        $config = New-SmtpHandlerConfig -PickupDirectory $Pickup
        $to = Get-Recipient 7

        $result = Send-SmtpMessage -Config $config -From 'reports@example.test' -To $to -Subject 'One file' -Body 'x'

        $result.PickupFiles.Count | Should -Be 1
        $result.Transactions | Should -Be 1
        @((Read-EmlHeader $result.PickupFiles[0]) | Where-Object Name -EQ 'X-Receiver').Value | Should -Be $to
    }

    It 'resolves a relative pickup directory against the current location' {
        Push-Location $Pickup
        try {
            $null = New-Item -ItemType Directory -Name 'out'
            $config = New-SmtpHandlerConfig -PickupDirectory 'out'
        }
        finally { Pop-Location }

        $config.PickupDirectory | Should -Be (Join-Path $Pickup 'out')
    }

    It 'refuses a pickup directory that does not exist when the config is made, naming the parameter' {
        $missing = Join-Path $Pickup 'missing'

        $err = { New-SmtpHandlerConfig -PickupDirectory $missing } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'PickupDirectory'
        $err.Exception.Message | Should -Match ([regex]::Escape($missing))
        $err.TargetObject | Should -Be $missing
    }
}
