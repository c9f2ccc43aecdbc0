# What Send-SmtpMessage puts on the wire, judged by Python's email package (Debian's /usr/bin/python3), not by
# MimeKit: encoded-words (RFC 2047) of at most 75 characters, header lines folded at 78 where a fold can shorten
# them and never over 998, file names as RFC 2231 parameters, no 8-bit header without SMTPUTF8,
# multipart/related with its type= (RFC 2387), a body the charset can hold, and the text part made from HTML.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    Install-DebianPackage -Name python3
    $script:Python = '/usr/bin/python3'
    $script:Checker = Join-Path $PSScriptRoot 'tools/check_headers.py'

    function script:Get-Verdict {
        # Python's reading of each message a server received: problems found, decoded headers, file names, text part.
        param([Parameter(Mandatory)] $Transaction, [switch] $Allow8Bit)
        $files = foreach ($t in @($Transaction)) {
            $file = Join-Path $TestDrive "msg-$([guid]::NewGuid().ToString('N')).eml"
            [System.IO.File]::WriteAllBytes($file, $t.RawData)
            $file
        }
        $arguments = @($Checker) + $(if ($Allow8Bit) { '--allow-8bit' }) + @($files)
        $lines = & $Python @arguments
        $LASTEXITCODE | Should -Be 0 -Because 'the checker runs'
        foreach ($line in $lines) { $line | ConvertFrom-Json }
    }

    function script:New-NamedFile {
        # A file whose name is as much of $Name as the file system takes (255 octets), with ".txt".
        param([Parameter(Mandatory)] [string] $Name)
        $builder = [System.Text.StringBuilder]::new()
        $enumerator = [System.Globalization.StringInfo]::GetTextElementEnumerator($Name)
        while ($enumerator.MoveNext()) {
            $next = $builder.ToString() + $enumerator.GetTextElement()
            if ([System.Text.Encoding]::UTF8.GetByteCount($next + '.txt') -gt 200) { break }
            [void]$builder.Append($enumerator.GetTextElement())
        }
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        $path = Join-Path $dir ($builder.ToString() + '.txt')
        [System.IO.File]::WriteAllText($path, 'attached')
        $path
    }

    $script:Texts = [ordered]@{
        Latin1 = 'ü' * 120
        Cjk    = '漢字のテスト、長い件名です。' * 12
        Emoji  = '😀🎉👍🏽' * 40
        Mixed  = (@('Überprüfung der Größenänderung') * 8) -join ' '
        Long   = ((@('Prüfbericht für Server 漢字 ✓ ', 'a plain ASCII stretch with words ') * 15) -join '').Substring(0, 499) + '!'
    }
}

Describe 'Long non-ASCII subjects, display names and file names (RFC 2047, RFC 2231, RFC 5322)' {
    BeforeAll { $script:Seven = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING' }
    AfterAll { $Seven.Dispose() }

    It 'writes <_> as encoded-words of at most 75 characters on folded lines that Python reads back unchanged' -ForEach @('Latin1', 'Cjk', 'Emoji', 'Mixed', 'Long') {
        $text = $Texts[$_]
        $file = New-NamedFile -Name $text
        $before = $Seven.Delivered.Count
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From "$text <ops@example.test>" -To "$text <ann@example.test>" -Cc 'Plain Name <bob@example.test>' -ReplyTo "$text <help@example.test>" -Subject $text -Body 'x' -Attachments $file -Header @{ 'X-Note' = $text }
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Seven.Delivered[$before]
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.subject | Should -BeExactly $text
        $verdict.headers.'x-note' | Should -BeExactly $text
        $verdict.addresses.from[0].name | Should -BeExactly $text
        $verdict.addresses.to[0].name | Should -BeExactly $text
        $verdict.addresses.'reply-to'[0].name | Should -BeExactly $text
        $verdict.addresses.cc[0].name | Should -BeExactly 'Plain Name'
        $verdict.filenames | Should -BeExactly @([System.IO.Path]::GetFileName($file))
    }

    It 'finds the faults it looks for: MimeKit''s own encoding of the same subject fails the check' {
        # The check must be able to fail: the subject as MimeKit 4.18 encodes it by itself breaks the 75-character limit.
        $mimeKit = (New-SmtpHandlerConfig).GetType().Assembly.GetReferencedAssemblies() | Where-Object Name -eq 'MimeKit'
        $mimeKit | Should -Not -BeNullOrEmpty
        $raw = "From: a@example.test`r`nSubject: =?utf-8?b?$([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('ü' * 60)))?=`r`n`r`nx`r`n.`r`n"
        $verdict = Get-Verdict -Transaction ([pscustomobject]@{ RawData = [Text.Encoding]::ASCII.GetBytes($raw) })
        $verdict.problems | Should -Match 'encoded-word of \d+ characters'
    }
}

Describe 'Headers without SMTPUTF8 carry no 8-bit octets (RFC 6531, RFC 6532)' {
    BeforeAll {
        $script:Seven = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING'
        $script:Utf8 = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING', 'SMTPUTF8'
    }
    AfterAll { $Seven.Dispose(); $Utf8.Dispose() }

    It 'leaves a non-ASCII local part out of the others'' To and Cc, says so in its result, and writes an IDN domain as xn--' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From 'ops@example.test' -To 'Jörg <jörg@example.test>', 'Ann Müller <ann@example.test>' -Cc 'bob@bücher.example', 'zoë@example.test' -Subject 'Grüße' -Body 'x' -ErrorAction SilentlyContinue -ErrorVariable problems
        $result.Status | Should -Be 'PartiallySent'
        ($result.Accepted.Address | Sort-Object) | Should -Be @('ann@example.test', 'bob@bücher.example')
        ($result.NotAttempted.Address | Sort-Object) | Should -Be @('jörg@example.test', 'zoë@example.test')
        foreach ($skipped in $result.NotAttempted) {
            $skipped.ErrorId | Should -Be 'SmtpUtf8NotOffered'
            $skipped.Reason | Should -Match 'does not offer SMTPUTF8'
            $skipped.Reason | Should -Match 'leaves it out of its To/Cc header'
        }
        $problems.Count | Should -Be 2
        $verdict = Get-Verdict -Transaction $Seven.Delivered[-1]
        $verdict.problems | Should -BeNullOrEmpty -Because 'no header has 8-bit octets, and Python finds no defect'
        $verdict.addresses.to.email | Should -Be @('ann@example.test')
        $verdict.addresses.to.name | Should -Be @('Ann Müller')
        $verdict.addresses.cc.email | Should -Be @('bob@xn--bcher-kva.example')
    }

    It 'says "undisclosed-recipients" when every To and Cc address needs SMTPUTF8 and a Bcc is sent' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From 'ops@example.test' -To 'jörg@example.test' -Bcc 'audit@example.test' -Subject 'x' -Body 'y' -ErrorAction SilentlyContinue
        $result.Accepted.Address | Should -Be 'audit@example.test'
        $verdict = Get-Verdict -Transaction $Seven.Delivered[-1]
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.headers.to | Should -Be 'undisclosed-recipients:;'
    }

    It 'sends nothing when a Reply-To needs SMTPUTF8 the server lacks, and says which header' {
        $before = $Seven.Delivered.Count
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From 'ops@example.test' -ReplyTo 'jörg@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.NotAttempted[0].Reason | Should -Match 'Reply-To <jörg@example.test>'
        $Seven.Delivered.Count | Should -Be $before
    }

    It 'keeps every address in the headers, in UTF-8, when the server offers SMTPUTF8' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Utf8.Port -From 'ops@example.test' -To 'Jörg <jörg@example.test>', 'ann@example.test' -Subject 'Grüße' -Body 'x'
        $result.Status | Should -Be 'Sent'
        $Utf8.Commands.Line | Should -Contain 'MAIL FROM:<ops@example.test> SMTPUTF8'
        $verdict = Get-Verdict -Transaction $Utf8.Delivered[-1] -Allow8Bit
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.addresses.to.email | Should -Be @('jörg@example.test', 'ann@example.test')
        $verdict.subject | Should -BeExactly 'Grüße'
    }

    It 'says SMTPUTF8 on every MAIL whose message carries a UTF-8 header, even when no envelope address needs it (<Case>)' -ForEach @(
        @{ Case = 'Reply-To'; Send = @{ From = 'ops@example.test'; ReplyTo = 'jörg@example.test'; To = 'ann@example.test' } }
        @{ Case = 'From with an ASCII -Sender'; Send = @{ From = 'jörg@example.test'; Sender = 'bounce@example.test'; To = 'ann@example.test' } }
        @{ Case = 'a batch of ASCII recipients'; Send = @{ From = 'ops@example.test'; To = 'jörg@example.test', 'ann@example.test'; RecipientsPerMessage = 1 } }
    ) {
        $commands = $Utf8.Commands.Count
        $delivered = $Utf8.Delivered.Count
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Utf8.Port -Subject 'x' -Body 'y' @Send
        $result.Status | Should -Be 'Sent'
        $mail = @($Utf8.Commands | Select-Object -Skip $commands | Where-Object Verb -EQ 'MAIL')
        $mail.Count | Should -BeGreaterThan 0
        foreach ($command in $mail) { $command.Line | Should -Match ' SMTPUTF8$' -Because "$($command.Line) precedes UTF-8 headers" }
        foreach ($sent in @($Utf8.Delivered | Select-Object -Skip $delivered)) {
            (Get-Verdict -Transaction $sent -Allow8Bit).problems | Should -BeNullOrEmpty
        }
    }
}

Describe 'Address headers given with -Header (RFC 2047 5, RFC 8098)' {
    BeforeAll {
        $script:Seven = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING'
        $script:Utf8 = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING', 'SMTPUTF8'
    }
    AfterAll { $Seven.Dispose(); $Utf8.Dispose() }

    It 'writes a quoted non-ASCII display name as an encoded-word outside the address, not inside a quoted string' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -Header @{
            'Disposition-Notification-To' = '"Müller, Hans" <m@example.test>'; 'Return-Receipt-To' = 'Zoë <zoe@bücher.example>, plain@example.test' }
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Seven.Delivered[-1]
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.addresses.'disposition-notification-to'.name | Should -Be 'Müller, Hans'
        $verdict.addresses.'disposition-notification-to'.email | Should -Be 'm@example.test'
        $verdict.addresses.'return-receipt-to'.email | Should -Be @('zoe@xn--bcher-kva.example', 'plain@example.test')
        $verdict.addresses.'return-receipt-to'[0].name | Should -Be 'Zoë'
    }

    It 'writes a non-ASCII local part as UTF-8 (never an encoded-word in the addr-spec) where SMTPUTF8 is offered' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Utf8.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -Header @{ 'Disposition-Notification-To' = 'jörg@example.test' }
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Utf8.Delivered[-1] -Allow8Bit
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.addresses.'disposition-notification-to'.email | Should -Be 'jörg@example.test'
        @($Utf8.Commands | Where-Object Verb -EQ 'MAIL')[-1].Line | Should -Match ' SMTPUTF8$'
    }

    It 'sends nothing, and says which header, when such a local part meets a server without SMTPUTF8' {
        $before = $Seven.Delivered.Count
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Seven.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -Header @{ 'Disposition-Notification-To' = 'jörg@example.test' } -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.NotAttempted[0].Reason | Should -Match 'Disposition-Notification-To <jörg@example.test>'
        $Seven.Delivered.Count | Should -Be $before
    }
}

Describe 'MIME structure and charsets' {
    BeforeAll { $script:Server = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING' }
    AfterAll { $Server.Dispose() }

    It 'gives multipart/related the type of its root part (RFC 2387 3.1)' {
        $image = Join-Path $TestDrive 'logo.png'
        [System.IO.File]::WriteAllBytes($image, [byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A))
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Logo' -HtmlBody '<p>Hi <img src="cid:logo" alt="Logo"></p>' -InlineImage @{ logo = $image }
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Server.Delivered[-1]
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.structure | Should -Contain 'multipart/related'
        $verdict.related[0].type | Should -Be 'text/html'
    }

    It 'refuses, before connecting, a body the -Encoding can''t hold, naming the character and a charset that can' {
        $connections = $Server.Connections
        { Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'Grüße' -Encoding ascii } |
            Should -Throw -ErrorId 'UnencodableCharacter,*' -ExpectedMessage "*'ü' (U+00FC*-Encoding iso-8859-1*"
        { Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'Price: 5 €, 😀' -Encoding iso-8859-1 } |
            Should -Throw -ErrorId 'UnencodableCharacter,*' -ExpectedMessage "*'€'*-Encoding utf-8*"
        { Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body '<p>Grüße</p>' -BodyAsHtml -Encoding ascii } |
            Should -Throw -ErrorId 'UnencodableCharacter,*'
        $Server.Connections | Should -Be $connections -Because 'nothing is sent and no connection is opened'
    }

    It 'writes headers in UTF-8 whatever the -Encoding: a subject, name and file name the body charset lacks arrive whole' {
        $file = New-NamedFile -Name 'Größe'
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'Jörg <ops@example.test>' -To 'ann@example.test' -Subject 'Grüße' -Body 'plain ASCII' -Encoding ascii -Attachments $file
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Server.Delivered[-1]
        $verdict.problems | Should -BeNullOrEmpty
        $verdict.subject | Should -BeExactly 'Grüße'
        $verdict.addresses.from[0].name | Should -BeExactly 'Jörg'
        $verdict.filenames | Should -Be 'Größe.txt'
        $verdict.textCharset | Should -Be 'us-ascii'
    }

    It 'makes the text part from HTML in UTF-8 when an entity gives a character the -Encoding lacks, never "?"' {
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Euro' -Body '<p>Price: 5 &euro;</p>' -BodyAsHtml -Encoding iso-8859-1
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Server.Delivered[-1]
        $verdict.text.Trim() | Should -BeExactly 'Price: 5 €'
        $verdict.textCharset | Should -Be 'utf-8'
    }

    It 'warns once per run, not per message, when DSN is asked of a server that does not offer it' {
        $result = 'ann@example.test', 'bob@example.test' | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -Subject 'x' -Body 'y' -Individual -DeliveryNotificationOption OnFailure -WarningVariable warned -WarningAction SilentlyContinue
        @($result).Count | Should -Be 2
        @($result.Status) | Should -Be @('Sent', 'Sent')
        @($warned).Count | Should -Be 1
        "$($warned[0])" | Should -Match 'does not offer DSN'
        $result[0].Warnings | Should -Match 'DeliveryNotificationOption'
        @($Server.Commands.Line | Where-Object { $_ -match 'NOTIFY=' }) | Should -BeNullOrEmpty
    }

    It 'gives no DSN warning when the server offers DSN' {
        $dsn = Start-TestSmtpServer -Extension 'DSN', '8BITMIME'
        try {
            $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $dsn.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -DeliveryNotificationOption OnFailure -WarningVariable warned
            $result.Status | Should -Be 'Sent'
            $warned | Should -BeNullOrEmpty
            $result.Warnings | Should -BeNullOrEmpty
        }
        finally { $dsn.Dispose() }
    }
}

Describe 'The text part made from an HTML body (-BodyAsHtml)' {
    # By design Send-SmtpMessage adds a plain-text part made from the HTML (the built-in Send-MailMessage sends the
    # HTML alone): readers that show no HTML, and spam filters that score HTML-only mail, get readable text.
    BeforeAll { $script:Server = Start-TestSmtpServer -Extension '8BITMIME', 'PIPELINING' }
    AfterAll { $Server.Dispose() }

    It 'renders a Get-Process | ConvertTo-Html table as a heading row and one aligned line per process' {
        $rows = @(
            [pscustomobject]@{ Name = 'pwsh'; Id = 4711; CPU = 99.46; WorkingSet = 12112 }
            [pscustomobject]@{ Name = 'sshd'; Id = 812; CPU = 0.17; WorkingSet = 5120 }
        )
        $html = $rows | ConvertTo-Html -Title 'Processes' | Out-String
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Processes' -Body $html -BodyAsHtml
        $result.Status | Should -Be 'Sent'
        $verdict = Get-Verdict -Transaction $Server.Delivered[-1]
        $verdict.structure | Should -Be @('multipart/alternative', 'text/plain', 'text/html')
        $lines = @($verdict.text.TrimEnd() -split "`r?`n")
        $lines[0] | Should -Match '^Name\s+Id\s+CPU\s+WorkingSet$'
        $lines[1] | Should -Match '^-+\s+-+\s+-+\s+-+$'
        $lines[2] | Should -Match '^pwsh\s+4711\s+99\.46\s+12112$'
        $lines[3] | Should -Match '^sshd\s+812\s+0\.17\s+5120$'
        $verdict.text | Should -Not -Match 'Processes' -Because 'the title in <head> is not body text'
        # Columns line up: each value starts where its heading starts.
        $lines[2].IndexOf('4711') | Should -Be $lines[0].IndexOf('Id')
        $lines[3].IndexOf('5120') | Should -Be $lines[0].IndexOf('WorkingSet')
    }

    It 'renders a Get-HotFix-style report with its heading, an empty cell and the entities of its footer' {
        $hotfixes = @(
            [pscustomobject]@{ Source = 'FS01'; Description = 'Security Update'; HotFixID = 'KB5034441'; InstalledBy = 'NT AUTHORITY\SYSTEM'; InstalledOn = '1/10/2024' }
            [pscustomobject]@{ Source = 'FS01'; Description = 'Update'; HotFixID = 'KB5011048'; InstalledBy = ''; InstalledOn = '2/1/2024' }
        )
        $html = $hotfixes | ConvertTo-Html -PreContent '<h1>Hotfixes on FS01</h1>' -PostContent '<p>Made by ops &amp; co &copy; 2024</p><script>var x = "<td>no</td>";</script><style>td { color: red }</style>' | Out-String
        $null = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Hotfixes' -Body $html -BodyAsHtml
        $text = (Get-Verdict -Transaction $Server.Delivered[-1]).text
        $blocks = $text.Trim() -split "`r?`n`r?`n"
        $blocks[0] | Should -BeExactly 'Hotfixes on FS01'
        $table = @($blocks[1] -split "`r?`n")
        $table[0] | Should -Match '^Source\s+Description\s+HotFixID\s+InstalledBy\s+InstalledOn$'
        $table[2] | Should -Match '^FS01\s+Security Update\s+KB5034441\s+NT AUTHORITY\\SYSTEM\s+1/10/2024$'
        $table[3] | Should -Match '^FS01\s+Update\s+KB5011048\s+2/1/2024$'
        $table[3].IndexOf('2/1/2024') | Should -Be $table[0].IndexOf('InstalledOn') -Because 'an empty cell keeps its column'
        $blocks[2].Trim() | Should -BeExactly 'Made by ops & co © 2024'
        $text | Should -Not -Match 'color|var x|<td>'
    }

    It 'separates cells with " | " when a table is too wide to align, and keeps lists, links and paragraphs apart' {
        $long = 'C:\Program Files\Some Vendor\Some Product\bin\service-host-with-a-long-name.exe'
        $html = "<table><tr><th>Path</th><th>Version</th></tr><tr><td>$long</td><td>1.2</td></tr></table>" +
            '<h2>Next steps</h2><ul><li>Patch FS01</li><li>Reboot<ol><li>tonight</li><li>tomorrow</li></ol></li></ul><p>See <a href="https://ops.example.test/r/1">the report</a>.<br>Thanks</p>'
        $null = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Wide' -Body $html -BodyAsHtml
        $text = ((Get-Verdict -Transaction $Server.Delivered[-1]).text -replace "`r`n", "`n").Trim()
        $text | Should -BeExactly ("Path | Version`n$long | 1.2`n`nNext steps`n`n- Patch FS01`n- Reboot`n  1. tonight`n  2. tomorrow`n`n" +
            "See the report <https://ops.example.test/r/1>.`nThanks")
    }
}
