# Send-SmtpMessage -MessagePath: stored messages (a pickup folder's files, plain .eml files) sent as they are to the
# shared SMTP test server, compared byte for byte with what it received (dot-stuffing undone), envelope included.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')


    function script:Get-MessageBytes {
        # A stored file's bytes without its leading X-Sender/X-Receiver lines, and without the lines of the headers named.
        param([string] $Path, [string[]] $WithoutHeader = @())
        $text = [System.Text.Encoding]::Latin1.GetString([System.IO.File]::ReadAllBytes($Path))
        $text = [regex]::Replace($text, '\A(?:X-(?:Sender|Receiver):[^\r\n]*\r\n)+', '')
        foreach ($name in $WithoutHeader) {
            $text = [regex]::Replace($text, "(?m)^$([regex]::Escape($name)):[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", '')
        }
        [System.Text.Encoding]::Latin1.GetBytes($text)
    }

    function script:Should-BeSameBytes {
        param([byte[]] $Actual, [byte[]] $Expected)
        $Actual.Length | Should -Be $Expected.Length
        [System.Linq.Enumerable]::SequenceEqual($Actual, $Expected) | Should -BeTrue -Because 'the message must arrive byte for byte as stored'
    }

    function script:New-EmlFile {
        param([string] $Name, [string] $Text)
        $path = Join-Path $TestDrive $Name
        [System.IO.File]::WriteAllBytes($path, [System.Text.Encoding]::UTF8.GetBytes($Text))
        $path
    }
}

Describe 'Send-SmtpMessage -MessagePath' {
    BeforeEach {
        $script:Server = Start-TestSmtpServer
        $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port
        $script:Pickup = Join-Path $TestDrive "pickup-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory -Path $Pickup | Out-Null
    }
    AfterEach { $Server.Dispose() }

    It 'replays a file the module wrote to a pickup folder: same bytes, the envelope of its X-Sender/X-Receiver lines, Bcc included' {
        $attachment = Join-Path $TestDrive 'report.csv'
        Set-Content -Path $attachment -Value "host,state`nweb01,ok" -NoNewline
        $pickupConfig = New-SmtpHandlerConfig -PickupDirectory $Pickup
        $body = "Grüße aus dem Testlabor.`n.a line that starts with a dot`n..and two dots"
        Send-SmtpMessage -Config $pickupConfig -From 'Reports <reports@example.test>' -To 'ann@example.test' -Cc 'bob@example.test' -Bcc 'hidden@example.test' -Subject 'Nightly report' -Body $body -HtmlBody '<p>Grüße</p>' -Attachments $attachment | Out-Null
        $file = (Get-ChildItem $Pickup -Filter *.eml).FullName
        $file | Should -HaveCount 1

        $result = Send-SmtpMessage -Config $Config -MessagePath $file
        $result.Status | Should -Be 'Sent'
        $result.MessagePath | Should -Be $file
        $result.Subject | Should -Be 'Nightly report'

        $Server.Delivered | Should -HaveCount 1
        $delivered = $Server.Delivered[0]
        $delivered.From | Should -Be 'reports@example.test'
        $delivered.To | Should -Be @('ann@example.test', 'bob@example.test', 'hidden@example.test')
        Should-BeSameBytes (ConvertFrom-SmtpData $delivered.RawData) (Get-MessageBytes $file)
        [System.Text.Encoding]::Latin1.GetString($delivered.RawData) | Should -Not -Match 'X-Sender|X-Receiver|hidden@'
        # The dot-stuffed lines really were stuffed on the wire.
        [System.Text.Encoding]::Latin1.GetString($delivered.RawData) | Should -Match '(?m)^\.\.a line that starts'
    }

    It 'takes the envelope of a plain .eml from its From, To, Cc and Bcc headers, and never sends the Bcc line' {
        $eml = New-EmlFile 'plain.eml' ("From: Ops <ops@example.test>`r`nTo: ann@example.test,`r`n`tbob@example.test`r`nCc: carl@example.test`r`n" +
            "Bcc: secret@example.test`r`nSubject:   spaced   and    folded`r`n  over two lines`r`nMessage-ID: <plain-1@example.test>`r`n" +
            "X-Custom:value;with=odd   spacing`r`nMIME-Version: 1.0`r`nContent-Type: text/plain; charset=utf-8`r`nContent-Transfer-Encoding: 8bit`r`n`r`n" +
            "Body with ümlauts, a long line $('x' * 120)`r`n.dot line`r`n")
        $result = Send-SmtpMessage -Config $Config -MessagePath $eml
        $result.Status | Should -Be 'Sent'
        $result.MessageId | Should -Be 'plain-1@example.test'

        $delivered = $Server.Delivered[0]
        $delivered.From | Should -Be 'ops@example.test'
        $delivered.To | Should -Be @('ann@example.test', 'bob@example.test', 'carl@example.test', 'secret@example.test')
        Should-BeSameBytes (ConvertFrom-SmtpData $delivered.RawData) (Get-MessageBytes $eml -WithoutHeader 'Bcc')
    }

    It 'sends a file with bare LF line endings with CRLF, as SMTP wants them, and nothing else changed' {
        $eml = New-EmlFile 'lf.eml' "From: a@example.test`nTo: b@example.test`nSubject: lf`n`nline 1`nline 2`n"
        Send-SmtpMessage -Config $Config -MessagePath $eml | Out-Null
        $expected = [System.Text.Encoding]::Latin1.GetBytes(([System.IO.File]::ReadAllText($eml)).Replace("`n", "`r`n"))
        Should-BeSameBytes (ConvertFrom-SmtpData $Server.Delivered[0].RawData) $expected
    }

    It 'sends to -To from -From instead of the file''s envelope, the bytes unchanged' {
        $eml = New-EmlFile 'override.eml' "X-Sender: old@example.test`r`nX-Receiver: old-rcpt@example.test`r`nFrom: a@example.test`r`nTo: b@example.test`r`nSubject: o`r`n`r`nbody`r`n"
        Send-SmtpMessage -Config $Config -MessagePath $eml -From 'bounce@example.test' -To 'new1@example.test', 'new2@example.test' | Out-Null

        $delivered = $Server.Delivered[0]
        $delivered.From | Should -Be 'bounce@example.test'
        $delivered.To | Should -Be @('new1@example.test', 'new2@example.test')
        Should-BeSameBytes (ConvertFrom-SmtpData $delivered.RawData) (Get-MessageBytes $eml)
    }

    It 'warns that a DKIM-signing configuration does not sign replayed files, and sends them unchanged' {
        $key = Join-Path $TestDrive 'dkim-replay.pem'
        & openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $key 2>&1 | Out-Null
        $signing = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port -DkimDomain example.test -DkimSelector s1 -DkimPrivateKeyPath $key
        $eml = New-EmlFile 'dkim.eml' "From: a@example.test`r`nTo: b@example.test`r`nSubject: d`r`n`r`nbody`r`n"

        Send-SmtpMessage -Config $signing -MessagePath $eml -WarningVariable warned -WarningAction SilentlyContinue | Out-Null

        "$warned" | Should -Match 'not DKIM-signed'
        Should-BeSameBytes (ConvertFrom-SmtpData $Server.Delivered[0].RawData) (Get-MessageBytes $eml)
    }

    It 'sends every file a wildcard or Get-ChildItem names over one connection, one result per file' {
        $a = New-EmlFile 'a.eml' "From: a@example.test`r`nTo: x@example.test`r`nSubject: A`r`n`r`nA`r`n"
        $b = New-EmlFile 'b.eml' "From: b@example.test`r`nTo: y@example.test`r`nSubject: B`r`n`r`nB`r`n"
        $results = Send-SmtpMessage -Config $Config -MessagePath (Join-Path $TestDrive '?.eml')
        $results.MessagePath | Should -Be @($a, $b)
        $results.Subject | Should -Be @('A', 'B')
        $Server.Connections | Should -Be 1

        $results = Send-SmtpMessage -Config $Config -MessagePath (Get-ChildItem $TestDrive -Filter ?.eml)
        $results.MessagePath | Should -Be @($a, $b)

        $results = Get-ChildItem $TestDrive -Filter ?.eml | Send-SmtpMessage -Config $Config -MessagePath { $_.FullName }
        $results.MessagePath | Should -Be @($a, $b)
        $Server.Delivered | Should -HaveCount 6
    }

    It 'refuses a file without recipients before connecting, and sends the others' {
        $none = New-EmlFile 'none.eml' "From: a@example.test`r`nSubject: nobody`r`n`r`nx`r`n"
        $good = New-EmlFile 'good.eml' "From: a@example.test`r`nTo: x@example.test`r`nSubject: good`r`n`r`nx`r`n"
        $err = $null
        $results = Send-SmtpMessage -Config $Config -MessagePath $none, $good -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'MessageFileNoRecipients,*'
        $err[0].Exception.Message | Should -Match ([regex]::Escape($none))
        @($results).Count | Should -Be 1
        $results.MessagePath | Should -Be $good

        $Server.Dispose()
        $script:Server = Start-TestSmtpServer
        $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port
        { Send-SmtpMessage -Config $Config -MessagePath $none, $good -AllOrNothing -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'InvalidInputNothingSent,SmtpHandler.Commands.SendSmtpMessageCommand'
        $Server.Connections | Should -Be 0
    }

    It 'refuses <Case> with <ErrorId> before connecting' -ForEach @(
        @{ Case = 'a file over the size cap'; ErrorId = 'MessageFileTooLarge'; Make = { $p = Join-Path $TestDrive 'huge.eml'; $s = [System.IO.File]::Create($p); $s.SetLength(65MB); $s.Dispose(); $p } }
        @{ Case = 'a directory'; ErrorId = 'MessageFileIsDirectory'; Make = { $p = Join-Path $TestDrive 'folder.eml'; New-Item -ItemType Directory $p -Force | Out-Null; $p } }
        @{ Case = 'a path that matches nothing'; ErrorId = 'MessageFileNotFound'; Make = { Join-Path $TestDrive 'missing-*.eml' } }
        @{ Case = 'an empty file'; ErrorId = 'MessageFileEmpty'; Make = { New-EmlFile 'empty.eml' '' } }
        @{ Case = 'a file with a bare CR'; ErrorId = 'MessageFileBareCarriageReturn'; Make = { New-EmlFile 'cr.eml' "From: a@example.test`r`nTo: b@example.test`r`nSubject: s`r`n`r`nbare`rCR`r`n" } }
    ) {
        $path = & $Make
        $err = $null
        Send-SmtpMessage -Config $Config -MessagePath $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $Server.Connections | Should -Be 0
    }

    It 'sends a file with a header an SMTP client might hide (<Header>) with that header, byte for byte' -ForEach @(
        @{ Header = 'Content-Length'; Text = "From: a@example.test`r`nTo: b@example.test`r`nSubject: s`r`nContent-Length: 6`r`n`r`nbody`r`n" }
        @{ Header = 'Bcc'; Text = "From: a@example.test`r`nTo: b@example.test`r`nSubject: fwd`r`nMIME-Version: 1.0`r`nContent-Type: message/rfc822`r`n`r`nFrom: c@example.test`r`nBcc: d@example.test`r`nContent-Length: 11`r`nSubject: inner`r`n`r`ninner body`r`n" }
    ) {
        # MailKit's Send could leave Content-Length (and a forwarded message's Bcc) out; the byte-for-byte promise says it must not.
        $eml = New-EmlFile "hidden-$Header.eml" $Text
        (Send-SmtpMessage -Config $Config -MessagePath $eml).Status | Should -Be 'Sent'
        $Server.Delivered[0].To | Should -Be @('b@example.test')
        Should-BeSameBytes (ConvertFrom-SmtpData $Server.Delivered[0].RawData) (Get-MessageBytes $eml)
    }

    It 'refuses a device and a named pipe before opening them' -Skip:(-not $IsLinux) {
        $fifo = Join-Path $TestDrive 'pipe.eml'
        & mkfifo $fifo
        $err = $null
        Send-SmtpMessage -Config $Config -MessagePath '/dev/zero', $fifo -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 2
        $err.FullyQualifiedErrorId | Should -BeLike 'MessageFileNotRegular,*'
        $Server.Connections | Should -Be 0
    }

    It 'refuses a link to a named pipe with MessageFileNotRegular, without opening it (no hang)' -Skip:(-not $IsLinux) {
        $fifo = Join-Path $TestDrive 'pipe-target'
        & mkfifo $fifo
        $link = Join-Path $TestDrive 'pipe-link.eml'
        New-Item -ItemType SymbolicLink -Path $link -Target $fifo | Out-Null
        # In its own process: a send blocked in open() could not be stopped in this one.
        $job = Start-Job -ScriptBlock {
            param($Module, $Port, $Path)
            Import-Module $Module
            $err = $null
            Send-SmtpMessage -Config (New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Port) -MessagePath $Path -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            @($err | ForEach-Object FullyQualifiedErrorId)
        } -ArgumentList $ModulePath, $Server.Port, $link
        try {
            Wait-Job $job -Timeout 30 | Out-Null
            $job.State | Should -Be 'Completed' -Because 'a link to a pipe must be refused, not opened (open() would wait for a writer forever)'
            $ids = @(Receive-Job $job)
            $ids | Should -HaveCount 1
            $ids[0] | Should -BeLike 'MessageFileNotRegular,*'
            $Server.Connections | Should -Be 0
        }
        finally {
            if ($job.State -eq 'Running') {
                # Release a reader stuck in open() so that the job's process can end.
                $writer = Start-Job -ScriptBlock { param($p) [System.IO.File]::OpenWrite($p).Dispose() } -ArgumentList $fifo
                Wait-Job $writer -Timeout 5 | Out-Null
                Remove-Job $writer -Force
            }
            Remove-Job $job -Force
        }
    }

    It 'keeps a null reverse path (X-Sender: <>, a bounce) as MAIL FROM:<>, not the From header' {
        $eml = New-EmlFile 'bounce.eml' "X-Sender: <>`r`nX-Receiver: <ann@example.test>`r`nFrom: Mail Delivery System <MAILER-DAEMON@example.test>`r`nTo: ann@example.test`r`nSubject: Undeliverable`r`n`r`nbounced`r`n"
        $result = Send-SmtpMessage -Config $Config -MessagePath $eml
        $result.Status | Should -Be 'Sent'
        @($Server.Commands | Where-Object { $_.Verb -eq 'MAIL' }).Line | Should -Be @('MAIL FROM:<>')
        $Server.Delivered[0].To | Should -Be @('ann@example.test')
        Should-BeSameBytes (ConvertFrom-SmtpData $Server.Delivered[0].RawData) (Get-MessageBytes $eml)
    }

    It 'never rewrites a file whose headers carry 8-bit octets: without SMTPUTF8 it is not sent (NotAttempted, why), with SMTPUTF8 it goes unchanged' {
        $eml = New-EmlFile 'utf8.eml' "From: Jürgen <juergen@example.test>`r`nTo: Zoë <zoe@example.test>, ann@example.test`r`nCc: josé@example.test`r`nSubject: Grüße`r`nMessage-ID: <utf8-1@example.test>`r`n`r`nbody`r`n"
        $err = $null
        $result = Send-SmtpMessage -Config $Config -MessagePath $eml -ErrorVariable err -ErrorAction SilentlyContinue
        $Server.Delivered | Should -HaveCount 0
        $result.Status | Should -Not -Be 'Sent'
        $result.NotAttempted.Address | Should -Be @('zoe@example.test', 'ann@example.test', 'josé@example.test')
        $result.NotAttempted | ForEach-Object { $_.Reason | Should -Match 'SMTPUTF8' }
        $result.NotAttempted[0].Reason | Should -Match 'unchanged'

        $utf8 = Start-TestSmtpServer -Extension PIPELINING, 8BITMIME, SMTPUTF8
        try {
            $result = Send-SmtpMessage -Config (New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $utf8.Port) -MessagePath $eml
            $result.Status | Should -Be 'Sent'
            Should-BeSameBytes (ConvertFrom-SmtpData $utf8.Delivered[0].RawData) (Get-MessageBytes $eml)
        }
        finally { $utf8.Dispose() }
    }

    It 'refuses message parameters with -MessagePath: the file is sent as it is' {
        $eml = New-EmlFile 'c.eml' "From: a@example.test`r`nTo: x@example.test`r`nSubject: c`r`n`r`nc`r`n"
        { Send-SmtpMessage -Config $Config -MessagePath $eml -Subject 'other' } | Should -Throw -ErrorId 'AmbiguousParameterSet,SmtpHandler.Commands.SendSmtpMessageCommand'
        { Send-SmtpMessage -Config $Config -MessagePath $eml -Attachments $eml } | Should -Throw -ErrorId 'AmbiguousParameterSet,SmtpHandler.Commands.SendSmtpMessageCommand'
        $Server.Connections | Should -Be 0
    }

    It 'writes a replayed message into a pickup folder with the same bytes' {
        $eml = New-EmlFile 'p.eml' "From: a@example.test`r`nTo: x@example.test`r`nSubject: p`r`n`r`np`r`n"
        $result = Send-SmtpMessage -Config (New-SmtpHandlerConfig -PickupDirectory $Pickup) -MessagePath $eml
        $result.Status | Should -Be 'WrittenToPickup'
        Should-BeSameBytes (Get-MessageBytes $result.PickupFiles[0]) (Get-MessageBytes $eml)
    }
}
