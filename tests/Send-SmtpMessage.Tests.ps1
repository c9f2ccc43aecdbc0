BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    # One server for everything: STARTTLS and login are offered, neither is required.
    $script:Certificates = New-TestCertificateSet -Directory (Join-Path $TestDrive 'certs')
    $script:Server = Start-Smtp4dev -TlsMode StartTls -CertificatePath $Certificates.ServerPem -CertificateKeyPath $Certificates.ServerKey -User 'mailer=S3cret-Pa55'
    $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.SmtpPort

    function script:Get-SessionCount { @(Get-Smtp4devSession -Server $Server).Count }

    function script:Get-SessionLog {
        # The SMTP conversation of every session smtp4dev holds, as one text.
        (Get-Smtp4devSession -Server $Server | ForEach-Object { Invoke-RestMethod "$($Server.ApiUrl)/sessions/$($_.id)/log" }) -join "`n"
    }

    function script:Get-MessagePart {
        # Every MIME part of a received message as smtp4dev's API describes it, flattened.
        param([Parameter(Mandatory)] [string] $Id)
        $detail = Invoke-RestMethod "$($Server.ApiUrl)/messages/$Id"
        $queue = [System.Collections.Generic.Queue[object]]::new()
        foreach ($p in $detail.parts) { $queue.Enqueue($p) }
        while ($queue.Count -gt 0) {
            $part = $queue.Dequeue()
            $part
            foreach ($child in @($part.childParts)) { if ($child) { $queue.Enqueue($child) } }
        }
    }

    function script:Get-PartBytes {
        # A part's decoded content, as smtp4dev's API serves it.
        param([Parameter(Mandatory)] [string] $Id, [Parameter(Mandatory)] [string] $PartId)
        $file = Join-Path $TestDrive "part-$([guid]::NewGuid().ToString('N'))"
        Invoke-WebRequest "$($Server.ApiUrl)/messages/$Id/part/$PartId/content" -OutFile $file
        [System.IO.File]::ReadAllBytes($file)
    }
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
        $raw | Should -Match '(?m)^Date: '
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
        Get-SessionCount | Should -Be 1
    }

    It 'fails before connecting when there is no sender' {
        $err = { Send-SmtpMessage -Config $Config -To 'ann@example.test' -Subject 'x' -Body 'y' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NoSender*'
        Get-SessionCount | Should -Be 0
    }
}

Describe 'Recipients from the pipeline' {
    BeforeAll {
        $script:Csv = Join-Path $TestDrive 'people.csv'
        1..250 | ForEach-Object { [pscustomobject]@{ Name = "Person $_"; Email = "person$_@example.test"; Team = "Team $($_ % 7)" } } |
            Export-Csv -Path $Csv -NoTypeInformation
    }

    BeforeEach { Clear-Smtp4dev $Server }

    It 'sends 250 Import-Csv rows as one message in 3 transactions of at most 100 over one connection' {
        $result = Import-Csv $Csv | Send-SmtpMessage -Config $Config -From 'hr@example.test' -Subject 'All hands' -Body 'Friday 10:00' -RecipientsPerMessage 100
        @($result).Count | Should -Be 1
        $result.Status | Should -Be 'Sent'
        $result.Accepted.Count | Should -Be 250
        $result.Transactions | Should -Be 3
        $result.Connections | Should -Be 1

        $messages = Get-Smtp4devMessage -Server $Server
        $messages.Count | Should -Be 3
        ($messages | ForEach-Object { @($_.to).Count } | Sort-Object) | Should -Be @(50, 100, 100)
        ($messages.to | Sort-Object -Unique).Count | Should -Be 250
        @($messages.subject | Sort-Object -Unique) | Should -Be @('All hands')
        Get-SessionCount | Should -Be 1
        # Piped recipients land in To by default, with the row's Name as display name.
        Get-Smtp4devRawMessage -Server $Server -Id $messages[0].id | Should -Match 'To: Person 1 <person1@example.test>'
    }

    It 'sends 250 personalised messages with -Individual over one connection, each with its own subject' {
        $results = Import-Csv $Csv | Send-SmtpMessage -Config $Config -From 'hr@example.test' -Individual -Subject 'Hello {Name} ({Team})' -Body "Dear {Name},`nyour address is {Email}."
        $results.Count | Should -Be 250
        ($results.Status | Sort-Object -Unique) | Should -Be 'Sent'
        ($results.Subject | Sort-Object -Unique).Count | Should -Be 250

        $messages = Get-Smtp4devMessage -Server $Server
        $messages.Count | Should -Be 250
        ($messages.subject | Sort-Object -Unique).Count | Should -Be 250
        $m17 = $messages | Where-Object { $_.to -eq 'person17@example.test' }
        $m17.subject | Should -Be 'Hello Person 17 (Team 3)'
        Get-Smtp4devRawMessage -Server $Server -Id $m17.id | Should -Match 'Dear Person 17,\r\nyour address is person17@example.test\.'
        Get-SessionCount | Should -Be 1
    }

    It 'takes strings, "Name" strings, MailAddress, hashtables and objects with any of the address properties' {
        $items = @(
            'ann@example.test'
            'Bob Smith <bob@example.test>'
            'cat@example.test, "Doe, Dan" <dan@example.test>'
            [System.Net.Mail.MailAddress]::new('eve@example.test', 'Eve')
            [pscustomobject]@{ EmailAddress = 'fay@example.test'; UserPrincipalName = 'fay.upn@example.test'; DisplayName = 'Fay' }
            [pscustomobject]@{ Mail = 'gus@example.test' }
            [pscustomobject]@{ PrimarySmtpAddress = 'hal@example.test' }
            [pscustomobject]@{ EmailAddress = ''; UserPrincipalName = 'ivy@example.test' }
            @{ Email = 'jon@example.test' }
        )
        $result = $items | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Subject 'Kinds' -Body 'x'
        $result.Status | Should -Be 'Sent'
        ($result.Accepted.Address | Sort-Object) | Should -Be @('ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon' | ForEach-Object { "$_@example.test" })

        $raw = Get-Smtp4devRawMessage -Server $Server -Id (Get-Smtp4devMessage -Server $Server)[0].id
        $raw | Should -Match 'Bob Smith <bob@example.test>'
        $raw | Should -Match '"Doe, Dan" <dan@example.test>'
        $raw | Should -Match 'Eve <eve@example.test>'
        $raw | Should -Match 'Fay <fay@example.test>'
        $raw | Should -Not -Match 'fay\.upn'
    }

    It 'reports an object without an address as a non-terminating error naming it, and sends to the rest' {
        $rows = [pscustomobject]@{ Name = 'Ann'; Email = 'ann@example.test' }, [pscustomobject]@{ Name = 'Nobody'; Phone = '555' }, 'bob@example.test'
        $result = $rows | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Subject 'Rest' -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Accepted.Count | Should -Be 2
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NoRecipientAddress,*'
        $problems[0].TargetObject.Name | Should -Be 'Nobody'
        $problems[0].Exception.Message | Should -Match 'Name=Nobody'
    }

    It 'puts piped recipients in Bcc with -PipelineAs Bcc: no header shows them' {
        $result = 'ann@example.test', 'bob@example.test' | Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'list@example.test' -PipelineAs Bcc -Subject 'Quiet' -Body 'x'
        $result.Accepted.Count | Should -Be 3
        $message = (Get-Smtp4devMessage -Server $Server)[0]
        ($message.to | Sort-Object) | Should -Be @('ann@example.test', 'bob@example.test', 'list@example.test')
        $raw = Get-Smtp4devRawMessage -Server $Server -Id $message.id
        $raw | Should -Match 'To: list@example.test'
        $raw | Should -Not -Match 'ann@example.test'
    }

    It 'evaluates script blocks per item with -Individual and takes an item''s Subject property as it is' {
        Set-Content -Path (Join-Path $TestDrive 'ann.txt') -Value 'for ann'
        Set-Content -Path (Join-Path $TestDrive 'bob.txt') -Value 'for bob'
        $rows = [pscustomobject]@{ Login = 'ann'; Subject = 'Budget {draft}' }, [pscustomobject]@{ Login = 'bob'; Subject = 'Plan' }
        Push-Location $TestDrive
        try {
            $results = $rows | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -To { "$($_.Login)@example.test" } -Body { "Hi $($_.Login)" } -Attachments { "$($_.Login).txt" }
        }
        finally { Pop-Location }
        $results.Count | Should -Be 2
        $messages = Get-Smtp4devMessage -Server $Server
        $ann = $messages | Where-Object { $_.to -eq 'ann@example.test' }
        $ann.subject | Should -Be 'Budget {draft}'
        ($messages | Where-Object { $_.to -eq 'bob@example.test' }).subject | Should -Be 'Plan'
        (Get-MessagePart -Id $ann.id | Where-Object isAttachment).name | Should -BeLike 'ann.txt*'
        Get-Smtp4devRawMessage -Server $Server -Id $ann.id | Should -Match 'Hi ann'
    }

    It 'stops before sending when the piped items disagree on a value that one message can hold only once' {
        $rows = [pscustomobject]@{ Email = 'ann@example.test'; Subject = 'A' }, [pscustomobject]@{ Email = 'bob@example.test'; Subject = 'B' }
        $err = { $rows | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Body 'x' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'PerItemValueNeedsIndividual,*'
        Get-SessionCount | Should -Be 0
    }
}

Describe 'Validation before the first byte' {
    BeforeEach { Clear-Smtp4dev $Server }

    It 'reports an invalid address with its ErrorId and the address as target, and sends nothing when it was the only one' {
        $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'not an address' -Subject 'x' -Body 'y' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress,*'
        $problems[0].TargetObject | Should -Be 'not an address'
        $result.Status | Should -Be 'Failed'
        $result.NotAttempted.Address | Should -Be 'not an address'
        Get-SessionCount | Should -Be 0
    }

    It 'sends to the valid rest by default, and nothing with -AllOrNothing' {
        $list = 'ann@example.test', 'bad@@example.test', 'bob@example.test'
        $result = $list | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Subject 'Rest' -Body 'y' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'PartiallySent'
        $result.Accepted.Count | Should -Be 2
        $problems.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress,*'
        Clear-Smtp4dev $Server

        $stopped = $null
        try { $list | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Subject 'All' -Body 'y' -AllOrNothing -ErrorVariable all -ErrorAction SilentlyContinue }
        catch { $stopped = $_ }
        $stopped.FullyQualifiedErrorId | Should -BeLike 'InvalidInputNothingSent,*'
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -Contain 'InvalidMailAddress,SmtpHandler.Commands.SendSmtpMessageCommand'
        Get-SessionCount | Should -Be 0
    }

    It 'stops on a missing attachment before connecting' {
        $err = { Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Attachments (Join-Path $TestDrive 'missing.pdf') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AttachmentNotFound,*'
        $err.TargetObject | Should -BeLike '*missing.pdf'
        Get-SessionCount | Should -Be 0
    }

    It 'stops on an unknown placeholder before sending anything' {
        $rows = [pscustomobject]@{ Name = 'Ann'; Email = 'ann@example.test' }, [pscustomobject]@{ Name = 'Bob'; Email = 'bob@example.test' }
        $err = { $rows | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -Subject 'Hi {Nmae}' -Body 'x' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnknownPlaceholder,*'
        $err.TargetObject | Should -Be '{Nmae}'
        $err.Exception.Message | Should -Match 'It has: Name, Email'
        Get-SessionCount | Should -Be 0
    }

    It 'keeps braces that are no placeholder, and {{ }} as literal braces' {
        $row = [pscustomobject]@{ Name = 'Ann'; Email = 'ann@example.test' }
        $null = $row | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -Subject '{{Name}} is {Name}' -HtmlBody '<style>p{color:red} a { x: 1 }</style><p>{Name}</p>'
        $message = (Get-Smtp4devMessage -Server $Server)[0]
        $message.subject | Should -Be '{Name} is Ann'
        Get-Smtp4devRawMessage -Server $Server -Id $message.id | Should -Match ([regex]::Escape('<style>p{color:red} a { x: 1 }</style><p>Ann</p>'))
    }

    It 'refuses a line break in the subject: <name>' -ForEach @(
        @{ Name = 'CRLF'; Subject = "Hello`r`nBcc: victim@example.test" }
        @{ Name = 'bare LF'; Subject = "Hello`nBcc: victim@example.test" }
    ) {
        $err = { Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject $Subject -Body 'x' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'HeaderInjection,*'
        Get-SessionCount | Should -Be 0
    }

    It 'refuses a line break in a custom header value' {
        $err = { Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -Header @{ 'X-Ticket' = "42`r`nBcc: victim@example.test" } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'HeaderInjection,*'
        Get-SessionCount | Should -Be 0
    }

    It 'reports a bad item in -Individual mode and sends the others' {
        $rows = [pscustomobject]@{ Email = 'ann@example.test'; Subject = "Bad`r`nX-Evil: 1" }, [pscustomobject]@{ Email = 'bob@example.test'; Subject = 'Fine' }
        $results = $rows | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 1
        $results.Accepted.Address | Should -Be 'bob@example.test'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'HeaderInjection,*'
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 1
    }
}

Describe 'Content' {
    BeforeAll {
        $script:Files = Join-Path $TestDrive 'content'
        $null = New-Item -ItemType Directory -Path $Files
        $script:Report = Join-Path $Files 'report.csv'
        $script:Archive = Join-Path $Files 'data [2024].bin'
        $script:Logo = Join-Path $Files 'logo.png'
        Set-Content -Path $Report -Value "host,status`nweb1,ok" -NoNewline
        $bytes = [byte[]]::new(70000); [System.Random]::new(7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes($Archive, $bytes)
        [System.IO.File]::WriteAllBytes($Logo, [byte[]](0x89, 0x50, 0x4E, 0x47) + [byte[]](1..250))
    }

    BeforeEach { Clear-Smtp4dev $Server }

    It 'delivers HTML and text bodies, two attachments and an inline image intact' {
        Push-Location $Files
        try {
            $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Rich' `
                -Body 'Plain version' -HtmlBody '<p>HTML version <img src="cid:logo"></p>' `
                -Attachments 'report.csv', $Archive -InlineImage @{ logo = 'logo.png' }
        }
        finally { Pop-Location }
        $result.Status | Should -Be 'Sent'

        $message = (Get-Smtp4devMessage -Server $Server)[0]
        $parts = Get-MessagePart -Id $message.id
        $text = $parts | Where-Object { $_.name -like '*text/plain' -and -not $_.isAttachment }
        [System.Text.Encoding]::UTF8.GetString((Get-PartBytes -Id $message.id -PartId $text.id)) | Should -Be 'Plain version'
        $html = $parts | Where-Object { $_.name -like '*text/html' }
        [System.Text.Encoding]::UTF8.GetString((Get-PartBytes -Id $message.id -PartId $html.id)) | Should -Match 'cid:logo'

        $csv = $parts | Where-Object { $_.name -like 'report.csv*' }
        (Get-PartBytes -Id $message.id -PartId $csv.id) | Should -Be ([System.IO.File]::ReadAllBytes($Report))
        $bin = $parts | Where-Object { $_.name -like 'data `[2024`].bin*' }
        $bin.isAttachment | Should -BeTrue
        [Convert]::ToBase64String((Get-PartBytes -Id $message.id -PartId $bin.id)) | Should -Be ([Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Archive)))
        $image = $parts | Where-Object { $_.contentId -eq 'logo' }
        $image.name | Should -BeLike '*image/png'
        (Get-PartBytes -Id $message.id -PartId $image.id) | Should -Be ([System.IO.File]::ReadAllBytes($Logo))
    }

    It 'expands attachment wildcards relative to the current location' {
        Push-Location $Files
        try { $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Wild' -Body 'x' -Attachments '*.csv', '*.png' }
        finally { Pop-Location }
        $result.Status | Should -Be 'Sent'
        $names = (Get-MessagePart -Id (Get-Smtp4devMessage -Server $Server)[0].id | Where-Object isAttachment).name
        $names | Should -HaveCount 2
        $names -join ',' | Should -Match 'report\.csv.*logo\.png|logo\.png.*report\.csv'
    }

    It 'gives an HTML-only body a generated text part' {
        $null = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Html only' -Body '<h1>Title</h1><p>Para</p>' -BodyAsHtml
        $parts = Get-MessagePart -Id (Get-Smtp4devMessage -Server $Server)[0].id
        $parts.name | Should -Contain '1 - text/plain'
        $parts.name | Should -Contain '2 - text/html'
    }

    It 'encodes non-ASCII subjects and display names (RFC 2047) and sets priority, Reply-To, Sender, Message-Id and headers' {
        $result = Send-SmtpMessage -Config $Config -From 'Jürgen Groß <jg@example.test>' -Sender 'robot@example.test' -To 'Zoë <zoe@example.test>' -ReplyTo 'help@example.test' `
            -Subject 'Grüße aus Köln ✓' -Body 'Schöne Grüße' -Priority High -MessageId 'report-42@example.test' -Header @{ 'X-Ticket' = 'T-42'; 'X-Note' = 'naïve' }
        $result.MessageId | Should -Be 'report-42@example.test'
        $message = (Get-Smtp4devMessage -Server $Server)[0]
        $message.subject | Should -Be 'Grüße aus Köln ✓'
        $message.from | Should -Be 'robot@example.test'
        $raw = Get-Smtp4devRawMessage -Server $Server -Id $message.id
        $raw | Should -Match '(?m)^Subject: =\?utf-8\?'
        $raw | Should -Match '(?m)^From: =\?utf-8\?.*<jg@example.test>'
        $raw | Should -Match '(?m)^Sender: robot@example.test'
        $raw | Should -Match '(?m)^Reply-To: help@example.test'
        $raw | Should -Match '(?m)^X-Priority: 1'
        $raw | Should -Match '(?m)^Message-Id: <report-42@example.test>'
        $raw | Should -Match '(?m)^X-Ticket: T-42'
        $raw | Should -Match '(?m)^X-Note: =\?'
        ($raw -split "\r\n\r\n", 2)[0] | Should -Not -Match '[^\x00-\x7F]' -Because 'headers are ASCII (RFC 2047)'
    }

    It 'uses the -Encoding given, as a name or an Encoding' {
        $null = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Latin' -Body 'café' -Encoding 'iso-8859-1'
        $null = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Unicode' -Body 'café' -Encoding ([System.Text.Encoding]::Unicode)
        $messages = Get-Smtp4devMessage -Server $Server
        foreach ($case in @{ Subject = 'Latin'; Charset = 'iso-8859-1' }, @{ Subject = 'Unicode'; Charset = 'utf-16' }) {
            $part = Get-MessagePart -Id ($messages | Where-Object subject -eq $case.Subject).id | Where-Object name -like '*text/plain'
            ($part.headers | Where-Object name -eq 'Content-Type').value | Should -Match "charset=$($case.Charset)"
        }
    }

    It 'sends to an IDN domain and uses SMTPUTF8 for a non-ASCII local part when the server offers it' {
        $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'anna@bücher.example', 'jörg@example.test' -Subject 'Intl' -Body 'x'
        $result.Status | Should -Be 'Sent'
        Get-SessionLog | Should -Match 'MAIL FROM:<ops@example.test>[^\r\n]*SMTPUTF8'
        Get-SessionLog | Should -Match 'RCPT TO:<jörg@example.test>'
    }
}

Describe 'Servers without SMTPUTF8, and a 200 MB attachment' {
    # Like the old sink: refuses recipients starting with "reject", keeps no message bytes (the 200 MB one below).
    BeforeAll { $script:Scripted = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING' -RejectRecipient '^reject' -DiscardData }
    AfterAll { $Scripted.Dispose() }

    It 'reports an internationalised address the server can''t take as an error, and sends to the rest' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Scripted.Port -From 'ops@example.test' -To 'jörg@example.test', 'ann@example.test', 'bob@bücher.example' -Subject 'x' -Body 'y' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'PartiallySent'
        ($result.Accepted.Address | Sort-Object) | Should -Be @('ann@example.test', 'bob@bücher.example')
        $result.NotAttempted.Address | Should -Be 'jörg@example.test'
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SmtpUtf8NotOffered,*'
        $problems[0].TargetObject | Should -Be 'jörg@example.test'
        $problems[0].Exception.Message | Should -Match 'SMTPUTF8'
        # Without SMTPUTF8 the IDN domain travels as punycode.
        $Scripted.Commands.Line | Should -Contain 'RCPT TO:<bob@xn--bcher-kva.example>'
    }

    It 'reports a rejected recipient as a non-terminating RecipientRejected error with the address as target' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Scripted.Port -From 'ops@example.test' -To 'ann@example.test', 'reject.me@example.test' -Subject 'x' -Body 'y' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'PartiallySent'
        $result.Rejected.Address | Should -Be 'reject.me@example.test'
        $result.Rejected.ReplyCode | Should -Be 550
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'RecipientRejected,*'
        $problems[0].TargetObject | Should -Be 'reject.me@example.test'
    }

    It 'asks for delivery status notifications with -DeliveryNotificationOption when the server offers DSN' {
        $dsn = Start-TestSmtpServer -Extension 'DSN', '8BITMIME'
        try {
            $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $dsn.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -DeliveryNotificationOption OnFailure, Delay
            $result.Status | Should -Be 'Sent'
            $rcpt = @($dsn.Commands.Line | Where-Object { $_ -like 'RCPT TO:<ann@example.test>*' })
            $rcpt[0] | Should -Match 'NOTIFY=(FAILURE,DELAY|DELAY,FAILURE)'
        }
        finally { $dsn.Dispose() }
    }

    It 'sends a 200 MB attachment with a peak working set far below its size' {
        $big = Join-Path $TestDrive 'big.bin'
        $stream = [System.IO.File]::Create($big)
        try { $stream.SetLength(200MB) } finally { $stream.Dispose() }
        $child = @"
Import-Module '$ModulePath'
`$warm = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Scripted.Port) -From ops@example.test -To ann@example.test -Subject warm -Body x
[GC]::Collect()
`$process = Get-Process -Id `$PID
`$before = `$process.WorkingSet64
`$result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Scripted.Port) -From ops@example.test -To ann@example.test -Subject big -Body x -Attachments '$big'
`$process.Refresh()
'{0} {1} {2}' -f `$result.Status, `$before, `$process.PeakWorkingSet64
"@
        $run = Invoke-NewPwsh -Script $child
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $status, $before, $peak = ($run.Output.Trim() -split "`n")[-1].Trim() -split ' '
        $status | Should -Be 'Sent'
        ($Scripted.Delivered | Measure-Object Size -Sum).Sum | Should -BeGreaterThan (200MB * 4 / 3)
        Write-Host ("    200 MB attachment: working set {0:N0} MB before, peak {1:N0} MB" -f ([long]$before / 1MB), ([long]$peak / 1MB))
        ([long]$peak - [long]$before) | Should -BeLessThan 100MB
        [long]$peak | Should -BeLessThan 400MB
    }
}

Describe 'Send-MailMessage compatibility' {
    BeforeAll {
        $script:Theirs = Get-Command Send-MailMessage
        $script:Ours = Get-Command Send-SmtpMessage
        $script:CommonNames = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    BeforeEach { Clear-Smtp4dev $Server }

    It 'has every Send-MailMessage parameter with the same type, position and aliases, in its default parameter set' {
        # The default set (Message) is Send-MailMessage's one set; the other (Replay) is named only by -MessagePath.
        $default = $Ours.ParameterSets | Where-Object IsDefault
        $default.Name | Should -Be 'Message'
        $Ours.ParameterSets.Name | Should -Be @('Message', 'Replay')
        $sendMailMessageParameters = @($Theirs.Parameters.Values | Where-Object Name -NotIn $CommonNames)
        $sendMailMessageParameters.Count | Should -Be 16
        foreach ($them in $sendMailMessageParameters) {
            $us = $Ours.Parameters[$them.Name]
            $us | Should -Not -BeNullOrEmpty -Because "Send-MailMessage has -$($them.Name)"
            $us.ParameterType | Should -Be $them.ParameterType -Because "-$($them.Name)'s type"
            foreach ($alias in $them.Aliases) { $us.Aliases | Should -Contain $alias -Because "-$($them.Name)'s alias $alias" }
            $inDefault = $default.Parameters | Where-Object Name -EQ $them.Name
            $inDefault | Should -Not -BeNullOrEmpty -Because "-$($them.Name) is in the default parameter set"
            $inDefault.Position | Should -Be $them.ParameterSets['__AllParameterSets'].Position -Because "-$($them.Name)'s position"
            # By property name as Send-MailMessage declares it (issue 19), except -Credential: a secret never comes from a row of data.
            $byName = $them.ParameterSets['__AllParameterSets'].ValueFromPipelineByPropertyName -and $them.Name -ne 'Credential'
            $inDefault.ValueFromPipelineByPropertyName | Should -Be $byName -Because "-$($them.Name) takes pipeline input by property name as Send-MailMessage declares it, but for -Credential"
        }
    }

    It 'is never stricter: no mandatory parameter in the default set, and no positional parameter that Send-MailMessage lacks' {
        $default = $Ours.ParameterSets | Where-Object IsDefault
        foreach ($p in @($default.Parameters | Where-Object Name -NotIn $CommonNames)) {
            $p.IsMandatory | Should -BeFalse -Because "-$($p.Name)"
            if ($p.Position -ge 0) { $Theirs.Parameters[$p.Name].ParameterSets['__AllParameterSets'].Position | Should -Be $p.Position }
        }
        # The Replay set asks only for what names it.
        @(($Ours.ParameterSets | Where-Object Name -EQ 'Replay').Parameters | Where-Object IsMandatory).Name | Should -Be @('MessagePath')
    }

    It 'documents the address properties as the aliases of -To' {
        $Ours.Parameters['To'].Aliases | Should -Be @('EmailAddress', 'Email', 'Mail', 'PrimarySmtpAddress', 'WindowsEmailAddress', 'UserPrincipalName', 'Address')
    }

    It 'runs Send-MailMessage script <Name> unchanged after renaming the cmdlet' -ForEach @(
        @{ Name = 'with every message parameter'; Expect = 4; Attached = $true; Script = {
                param($Port, $File)
                Send-MailMessage -From 'Ops <ops@example.test>' -To 'ann@example.test', 'bob@example.test' -Cc 'cat@example.test' -Bcc 'dan@example.test' `
                    -Subject 'Weekly' -Body 'See attached.' -Attachments $File -Priority High -DeliveryNotificationOption OnFailure, Delay `
                    -Encoding UTF8 -ReplyTo 'help@example.test' -SmtpServer 127.0.0.1 -Port $Port
            }
        }
        @{ Name = 'with positional parameters'; Expect = 1; Attached = $false; Script = {
                param($Port, $File)
                Send-MailMessage 'ann@example.test' 'Positional' 'Body text' '127.0.0.1' -From 'ops@example.test' -Port $Port
            }
        }
        @{ Name = 'with $PSEmailServer and an HTML body'; Expect = 1; Attached = $false; Script = {
                param($Port, $File)
                $PSEmailServer = '127.0.0.1'
                Send-MailMessage -To 'ann@example.test' -From 'ops@example.test' -Subject 'Via PSEmailServer' -Body '<b>hi</b>' -BodyAsHtml -Port $Port
            }
        }
        @{ Name = 'splatting aliases'; Expect = 1; Attached = $true; Script = {
                param($Port, $File)
                $mail = @{ To = 'ann@example.test'; From = 'ops@example.test'; sub = 'Aliases'; BAH = $true; Body = '<i>x</i>'; ComputerName = '127.0.0.1'; Port = $Port; DNO = 'Never'; BE = 'ascii'; PsPath = $File }
                Send-MailMessage @mail
            }
        }
        @{ Name = 'piping files to attach'; Expect = 1; Attached = $true; Script = {
                param($Port, $File)
                Get-Item $File | Send-MailMessage -To 'ann@example.test' -From 'ops@example.test' -Subject 'Piped file' -SmtpServer 127.0.0.1 -Port $Port
            }
        }
    ) {
        $file = Join-Path $TestDrive 'compat.txt'
        Set-Content -Path $file -Value 'attached'
        $renamed = [scriptblock]::Create($Script.ToString().Replace('Send-MailMessage', 'Send-SmtpMessage'))
        $result = & $renamed $Server.SmtpPort $file
        $result.Status | Should -Be 'Sent'
        $result.Accepted.Count | Should -Be $Expect
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 1
        if ($Attached) {
            $parts = Get-MessagePart -Id (Get-Smtp4devMessage -Server $Server)[0].id
            @($parts | Where-Object isAttachment).Count | Should -Be 1
            ($parts | Where-Object isAttachment).name | Should -BeLike 'compat.txt*'
        }
    }

    It 'lets inline connection parameters override the config''s, and keeps the rest of the config' {
        $closed = Get-FreeTcpPort
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $closed -DefaultFrom 'Config Sender <config@example.test>' -RecipientsPerMessage 1
        $result = Send-SmtpMessage -Config $config -Port $Server.SmtpPort -To 'ann@example.test', 'bob@example.test' -Subject 'Override' -Body 'x'
        $result.Status | Should -Be 'Sent'
        $result.Transactions | Should -Be 2
        $result.EnvelopeSender | Should -Be 'config@example.test'
        $result.Server | Should -Be "127.0.0.1:$($Server.SmtpPort)"

        $result = Send-SmtpMessage -Config $config -Port $Server.SmtpPort -RecipientsPerMessage 0 -To 'ann@example.test', 'bob@example.test' -Subject 'Override 2' -Body 'x'
        $result.Transactions | Should -Be 1
    }

    It 'reports a server out of reach as a ConnectionError, with the kind of failure on the result' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -RetryCount 0 -Timeout 5
        $result = Send-SmtpMessage -Config $config -From 'a@example.test' -To 'ann@example.test' -Subject 'Nowhere' -Body 'x' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.FailureKind | Should -Be 'ConnectionFailed'
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike "$($result.ErrorId),*"
        $problems[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }
}

Describe '-WhatIf, $PSEmailServer and the TLS rules (one new pwsh)' {
    BeforeAll {
        Clear-Smtp4dev $Server
        $port = $Server.SmtpPort
        $script:Child = Invoke-NewPwsh -Script @"
Import-Module '$ModulePath'
'a@example.test', 'b@example.test', 'c@example.test' | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $port -From ops@example.test -Subject 'Not really' -Body x -WhatIf
[pscustomobject]@{ Email = 'd@example.test'; N = 1 }, [pscustomobject]@{ Email = 'e@example.test'; N = 2 } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $port -From ops@example.test -Individual -Subject 'Item {N}' -Body x -WhatIf
`$PSEmailServer = 'mail.example.test'
Send-SmtpMessage -To a@example.test -From b@example.test -Subject 'From PSEmailServer' -Body b -WhatIf
Send-SmtpMessage -To a@example.test -From b@example.test -Subject 'UseSsl' -Body b -SmtpServer mail.example.test -Port 587 -UseSsl -WhatIf
Send-SmtpMessage -To a@example.test -From b@example.test -Subject '465' -Body b -SmtpServer mail.example.test -Port 465 -WhatIf
"@
        $script:WhatIf = $Child.Output
    }

    It '-WhatIf opens no connection and says per message what it would send to how many recipients' {
        $Child.ExitCode | Should -Be 0 -Because $Child.Error
        $WhatIf | Should -Match ([regex]::Escape("What if: Performing the operation `"Send 'Not really' from ops@example.test`" on target `"3 recipient(s) via smtp://127.0.0.1:$($Server.SmtpPort)`""))
        $WhatIf | Should -Match "Send 'Item 1'.*1 recipient"
        $WhatIf | Should -Match "Send 'Item 2'.*1 recipient"
        Get-SessionCount | Should -Be 0
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 0
    }

    It 'honours $PSEmailServer when neither -SmtpServer nor -Config is given' {
        $WhatIf | Should -Match "Send 'From PSEmailServer'.*via smtp://mail\.example\.test:25"
    }

    It 'takes -UseSsl as STARTTLS, and port 465 as implicit TLS' {
        $WhatIf | Should -Match "Send 'UseSsl'.*via smtp://mail\.example\.test:587 \(STARTTLS\)"
        $WhatIf | Should -Match "Send '465'.*via smtps://mail\.example\.test:465"
    }
}

Describe 'Behaviour' {
    BeforeEach { Clear-Smtp4dev $Server }

    It 'shows results in a table by default' {
        $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Table' -Body 'x'
        $text = $result | Out-String
        $text | Should -Match 'Status\s+Accepted\s+Rejected\s+NotAttempted\s+Transactions\s+Elapsed\s+Subject'
        $text | Should -Match 'Sent\s+1\s+0\s+0\s+1\s+[\d.]+s\s+Table'
    }

    It 'writes progress for many messages and narrates in verbose' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; 1..20 | ForEach-Object { `"p`$_@example.test`" } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Server.SmtpPort) -From ops@example.test -Individual -Subject 'P {Address}' -Body x -Verbose")
            $output = $ps.Invoke()
            $output.Count | Should -Be 20
            $ps.Streams.Progress.Count | Should -BeGreaterThan 0
            ($ps.Streams.Verbose.Message -join "`n") | Should -Match 'Prepared 20 message'
            ($ps.Streams.Verbose.Message -join "`n") | Should -Match 'RCPT TO:<p1@example.test>'
        }
        finally { $ps.Dispose() }
    }

    It 'stops on Ctrl+C and still reports the results it had' {
        $ps = [powershell]::Create()
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; 1..400 | ForEach-Object { `"s`$_@example.test`" } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Server.SmtpPort) -From ops@example.test -Individual -Subject 'S {Address}' -Body x")
            $handle = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($output.Count -lt 5 -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 }
            $ps.Stop()
            $output.Count | Should -BeGreaterOrEqual 5
            $output.Count | Should -BeLessThan 400
            foreach ($item in $output) { $item | Should -BeOfType ([SmtpHandler.SmtpSendResult]) }
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
    }

    It 'reports a server that can''t be reached once, with a failed result for every message' {
        $closed = Get-FreeTcpPort
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $closed -RetryCount 0 -Timeout 5
        $results = 'a@example.test', 'b@example.test' | Send-SmtpMessage -Config $config -From 'ops@example.test' -Individual -Subject 'Down {Address}' -Body x -ErrorVariable problems -ErrorAction SilentlyContinue
        $results.Count | Should -Be 2
        ($results.Status | Sort-Object -Unique) | Should -Be 'Failed'
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
    }
}

Describe 'Several connections at once (-ConnectionCount)' {
    BeforeEach { Clear-Smtp4dev $Server }

    It 'sends 40 messages over 4 connections, each delivered exactly once, results in pipeline order' {
        $recipients = 1..40 | ForEach-Object { "c$_@example.test" }
        $results = $recipients | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -Subject 'Parallel {Address}' -Body x -ConnectionCount 4
        $results.Count | Should -Be 40
        ($results.Status | Sort-Object -Unique) | Should -Be 'Sent'
        @($results | ForEach-Object { $_.Accepted.Address }) | Should -Be $recipients

        $sessions = @(Get-Smtp4devSession -Server $Server | Where-Object numberOfMessages -GT 0)
        $sessions.Count | Should -Be 4
        ($sessions | Measure-Object numberOfMessages -Sum).Sum | Should -Be 40
        $delivered = @(Get-Smtp4devMessage -Server $Server | ForEach-Object { $_.to })
        $delivered.Count | Should -Be 40
        ($delivered | Sort-Object -Unique).Count | Should -Be 40
    }

    It 'keeps MaxMessagesPerConnection on each connection: 10 messages, 2 connections, at most 3 per connection' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.SmtpPort -MaxMessagesPerConnection 3 -ConnectionCount 2
        $config.ConnectionCount | Should -Be 2
        $results = 1..10 | ForEach-Object { "m$_@example.test" } | Send-SmtpMessage -Config $config -From 'ops@example.test' -Individual -Subject 'Capped' -Body x
        ($results.Status | Sort-Object -Unique) | Should -Be 'Sent'

        $sessions = @(Get-Smtp4devSession -Server $Server | Where-Object numberOfMessages -GT 0)
        ($sessions | Measure-Object numberOfMessages -Sum).Sum | Should -Be 10
        ($sessions | Measure-Object numberOfMessages -Maximum).Maximum | Should -BeLessOrEqual 3
        $sessions.Count | Should -BeGreaterOrEqual 4
    }

    It 'splits each message into -RecipientsPerMessage transactions on its own connection and accounts for every recipient' {
        # Each item is a comma list of 5 recipients: one message each, 3 transactions of at most 2.
        $items = 1..6 | ForEach-Object { $item = $_; (1..5 | ForEach-Object { "r$_-of-$item@example.test" }) -join ', ' }
        $results = $items | Send-SmtpMessage -Config $Config -From 'ops@example.test' -Individual -Subject 'Split' -Body x -RecipientsPerMessage 2 -ConnectionCount 3
        $results.Count | Should -Be 6
        foreach ($result in $results) {
            $result.Transactions | Should -Be 3
            $result.Connections | Should -Be 1
            $result.Accepted.Count | Should -Be 5
        }
        @(Get-Smtp4devMessage -Server $Server).Count | Should -Be 18
    }

    It 'narrates every connection in verbose output, written on the pipeline thread' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; 1..12 | ForEach-Object { `"v`$_@example.test`" } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Server.SmtpPort) -From ops@example.test -Individual -Subject 'V' -Body x -ConnectionCount 3 -Verbose")
            $output = $ps.Invoke()
            $ps.Streams.Error.Count | Should -Be 0
            $output.Count | Should -Be 12
            $verbose = $ps.Streams.Verbose.Message -join "`n"
            $verbose | Should -Match 'over 3 connections at once'
            foreach ($n in 1..3) {
                $verbose | Should -Match "Connection ${n}: Connecting to 127\.0\.0\.1"
                $verbose | Should -Match "Connection ${n}: C: RCPT TO:<v\d+@example\.test>"
            }
        }
        finally { $ps.Dispose() }
    }

    It 'stops on Ctrl+C with several connections and still reports the results it had' {
        $ps = [powershell]::Create()
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; 1..600 | ForEach-Object { `"k`$_@example.test`" } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Server.SmtpPort) -From ops@example.test -Individual -Subject 'K {Address}' -Body x -ConnectionCount 3")
            $handle = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($output.Count -lt 5 -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 }
            $ps.Stop()
            $output.Count | Should -BeGreaterOrEqual 5
            $output.Count | Should -BeLessThan 600
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            foreach ($item in $output) { $item | Should -BeOfType ([SmtpHandler.SmtpSendResult]) }
        }
        finally { $ps.Dispose() }
    }

    It 'refuses a -ConnectionCount outside 1 to 64 before connecting' {
        { Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'a@example.test' -Subject x -Body x -ConnectionCount 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { New-SmtpHandlerConfig -ConnectionCount 65 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        Get-SessionCount | Should -Be 0
    }
}

Describe 'Credentials and STARTTLS' {
    BeforeAll {
        $script:Credential = [pscredential]::new('mailer', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
    }

    BeforeEach { Clear-Smtp4dev $Server }

    It 'logs in with -Credential and never shows the secret in verbose output' {
        $verbose = Send-SmtpMessage -Config $Config -Credential $Credential -AllowUnencryptedAuthentication -From 'ops@example.test' -To 'ann@example.test' -Subject 'Login' -Body 'x' -Verbose 4>&1
        $result = $verbose | Where-Object { $_ -is [SmtpHandler.SmtpSendResult] }
        $result.Status | Should -Be 'Sent'
        $text = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $text | Should -Match 'Authenticating as mailer'
        $text | Should -Match 'AUTH'
        $text | Should -Not -Match 'S3cret-Pa55'
        foreach ($secret in "`0mailer`0S3cret-Pa55", 'S3cret-Pa55') {
            $text | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($secret))))
        }
    }

    It 'refuses to send a credential without TLS unless allowed, which Send-MailMessage did silently' {
        $err = { Send-SmtpMessage -Config $Config -Credential $Credential -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnencryptedAuthenticationRefused,*'
        $err.Exception.Message | Should -Not -Match 'S3cret'
        Get-SessionCount | Should -Be 0
    }

    It 'sends with -UseSsl (STARTTLS) and -Credential on top of a config that trusts the test CA' {
        $config = New-SmtpHandlerConfig -SmtpServer localhost -Port 1 -TrustedCertificatePath $Certificates.CaPem
        $output = Send-SmtpMessage -Config $config -Port $Server.SmtpPort -UseSsl -Credential $Credential -From 'ops@example.test' -To 'ann@example.test' -Subject 'Secure' -Body 'x' -Verbose 4>&1
        ($output | Where-Object { $_ -is [SmtpHandler.SmtpSendResult] }).Status | Should -Be 'Sent'
        $text = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $text | Should -Match 'STARTTLS'
        $text | Should -Match 'Authenticating as mailer'
        $text | Should -Not -Match 'S3cret-Pa55'
        (Invoke-RestMethod "$($Server.ApiUrl)/messages/$((Get-Smtp4devMessage -Server $Server)[0].id)").secureConnection | Should -BeTrue
    }

    It 'takes -UseSsl as required STARTTLS: a server without it gets nothing in plaintext' {
        $plain = Start-TestSmtpServer -Extension '8BITMIME'
        try { $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $plain.Port -UseSsl -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -ErrorVariable problems -ErrorAction SilentlyContinue }
        finally { $plain.Dispose() }
        $result.Status | Should -Be 'Failed'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'StartTlsNotOffered,*'
        $plain.Commands.Line | Should -Not -Contain 'DATA'
        $plain.CountCommands('MAIL FROM') | Should -Be 0
    }
}
