# What PowerShell's own Send-MailMessage tests check, written anew for Send-SmtpMessage called by the name
# Send-MailMessage (Set-Alias), against the shared SMTP test server instead of netDumbster. Where the module
# differs from the built-in by design, the test says so and why.
BeforeDiscovery {
    $script:Cases = @(
        @{ Name = 'the mandatory parameters'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test'; Subject = 'Subject one'; Body = 'Body one' } }
        @{ Name = 'Reply-To'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test'; ReplyTo = 'noreply@example.test'; Subject = 'Subject two'; Body = 'Body two' } }
        @{ Name = 'several To'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test', 'user03@example.test', 'user04@example.test'; Subject = 'Subject three'; Body = 'Body three' } }
        @{ Name = 'several Cc'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test'; Cc = 'user03@example.test', 'user04@example.test'; Subject = 'Subject four'; Body = 'Body four' } }
        @{ Name = 'several Bcc'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test'; Bcc = 'user03@example.test', 'user04@example.test'; Subject = 'Subject five'; Body = 'Body five' } }
        @{ Name = 'no subject'; Mail = @{ From = 'user01@example.test'; To = 'user02@example.test'; Body = 'Body six' } }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    $script:Server = Start-TestSmtpServer
    Set-Alias -Name Send-MailMessage -Value Send-SmtpMessage -Scope Script

    function script:Get-Header {
        # The unfolded value of one header of the last message the server received.
        param([Parameter(Mandatory)] [string] $Name)
        $head = ($Server.Delivered[-1].Data -split "\r\n\r\n", 2)[0] -replace '\r\n[ \t]+', ' '
        foreach ($line in $head -split "\r\n") { if ($line -match "^$([regex]::Escape($Name)):\s*(.*)$") { return $Matches[1] } }
    }

    function script:Get-Body { ($Server.Delivered[-1].Data -split "\r\n\r\n", 2)[1] }

    function script:Assert-Received {
        # What PowerShell's tests check of a received message, for the values in $Mail.
        param([Parameter(Mandatory)] [hashtable] $Mail)
        $sent = $Server.Delivered[-1]
        $sent.From | Should -BeExactly $Mail.From
        $expected = @($Mail.To) + @($Mail['Cc'] | Where-Object { $_ }) + @($Mail['Bcc'] | Where-Object { $_ })
        @($sent.To).Count | Should -Be $expected.Count
        $sent.To | Should -BeIn $expected
        Get-Header 'From' | Should -BeExactly $Mail.From
        (Get-Header 'To') -split ',\s*' | Should -BeExactly @($Mail.To)
        if ($Mail['Cc']) { (Get-Header 'Cc') -split ',\s*' | Should -BeExactly @($Mail.Cc) }
        # Bcc never appears in the message, by design (as there).
        Get-Header 'Bcc' | Should -BeNullOrEmpty
        if ($Mail['ReplyTo']) { Get-Header 'Reply-To' | Should -BeExactly $Mail.ReplyTo }
        # No -Subject: an empty Subject header (the built-in's System.Net.Mail left it out; both mean "no subject").
        (Get-Header 'Subject') ?? '' | Should -BeExactly ($Mail['Subject'] ?? '')
        # One part, the text as given (the built-in encoded ASCII; the module sends UTF-8, 7bit when it is ASCII).
        Get-Header 'Content-Type' | Should -BeLike 'text/plain*'
        (Get-Body).TrimEnd("`r", "`n") | Should -BeExactly $Mail.Body
    }
}

AfterAll {
    $Server.Dispose()
}

Describe 'Send-MailMessage parity: named parameters' {
    It 'sends with <Name>' -ForEach $Cases {
        Send-MailMessage @Mail -SmtpServer 127.0.0.1 -Port $Server.Port -ErrorAction Stop
        Assert-Received $Mail
    }
}

Describe 'Send-MailMessage parity: pipeline named parameters (broken in the built-in, PowerShell issue 7591)' {
    It 'sends with <Name> piped as an object' -ForEach $Cases {
        $piped = [pscustomobject]($Mail + @{ SmtpServer = '127.0.0.1'; Port = $Server.Port })
        $piped | Send-MailMessage -ErrorAction Stop
        Assert-Received $Mail
    }
}

Describe 'Send-MailMessage parity: features' {
    BeforeAll {
        $script:Default = @{ From = 'user01@example.test'; To = 'user02@example.test'; Subject = 'Feature'; Body = 'Feature body'; SmtpServer = '127.0.0.1'; Port = $Server.Port }
    }

    It 'refuses a wrong address with a FormatException' {
        $mail = $Default.Clone(); $mail.To = 'not_a_valid_mail.address'
        # Differs by design: the ErrorId is the module's InvalidMailAddress, not "FormatException"; the type is the same.
        { Send-MailMessage @mail -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidMailAddress,*' -ExceptionType ([System.FormatException])
    }

    It 'sends with free-form addresses' {
        $mail = $Default.Clone(); $mail.From = 'User01 <user01@example.test>'; $mail.To = 'User02 <user02@example.test>'
        Send-MailMessage @mail
        $Server.Delivered[-1].From | Should -BeExactly 'user01@example.test'
        $Server.Delivered[-1].To | Should -BeExactly 'user02@example.test'
        Get-Header 'From' | Should -BeExactly 'User01 <user01@example.test>'
    }

    It 'sends with high priority' {
        Send-MailMessage @Default -Priority High
        Get-Header 'X-Priority' | Should -Match '^1'
        Get-Header 'Importance' | Should -Be 'high'
    }

    It 'sends an HTML body as text/html' {
        $mail = $Default.Clone(); $mail.Body = '<html><body><h1>PowerShell</h1></body></html>'
        Send-MailMessage @mail -BodyAsHtml -Encoding utf8
        # Differs by design: beside the HTML part the module adds a generated text alternative
        # (multipart/alternative), so text-only readers see words, not tags. The HTML part is the body as given.
        $data = $Server.Delivered[-1].Data
        $data | Should -Match '(?mi)^Content-Type: text/html'
        $data | Should -Match ([regex]::Escape('<h1>PowerShell</h1>'))
    }

    It 'sends UTF-8 with -Encoding utf8BOM' {
        $mail = $Default.Clone(); $mail.Body = "We $([char]0x2764) PowerShell"
        # Differs by design: the built-in sent base64; the module sends 8bit to a server that offers 8BITMIME.
        Send-MailMessage @mail -Encoding utf8BOM
        Get-Header 'Content-Type' | Should -Match 'charset=utf-8'
        $encoding = Get-Header 'Content-Transfer-Encoding'
        $body = (Get-Body).Trim()
        $text = if ($encoding -eq 'base64') { [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($body)) }
                elseif ($encoding -eq 'quoted-printable') { [System.Text.Encoding]::UTF8.GetString([byte[]]([regex]::Replace(($body -replace "=\r\n", ''), '=([0-9A-F]{2})', { [char][Convert]::ToByte($args[0].Groups[1].Value, 16) }).ToCharArray())) }
                else { $body }  # 8bit: the server's Data is the received UTF-8 text
        $text.TrimStart([char]0xFEFF) | Should -Be $mail.Body
    }

    It 'sends attachments, text and binary, byte for byte' {
        $text = Join-Path $TestDrive 'attachment1.txt'
        $png = Join-Path $TestDrive 'attachment2.png'
        Set-Content -Path $text -Value 'First attachment' -NoNewline
        $pngBytes = [byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A) + [byte[]](0..255)
        [System.IO.File]::WriteAllBytes($png, $pngBytes)
        Send-MailMessage @Default -Attachments $text, $png
        $data = $Server.Delivered[-1].Data
        $data | Should -Match 'filename=attachment1.txt'
        $data | Should -Match 'filename=attachment2.png'
        # Each attachment's base64 decodes to the file's bytes.
        $parts = [regex]::Matches($data, '(?s)filename=(attachment\d\.\w+)\r\n(?:[^\r\n]+\r\n)*?\r\n([A-Za-z0-9+/=\r\n]+?)\r\n(?:\r\n)?--')
        $decoded = @{}
        foreach ($m in $parts) { $decoded[$m.Groups[1].Value] = [Convert]::FromBase64String(($m.Groups[2].Value -replace '\s', '')) }
        [System.Text.Encoding]::UTF8.GetString($decoded['attachment1.txt']) | Should -BeExactly 'First attachment'
        $decoded['attachment2.png'] | Should -Be $pngBytes
    }

    It 'sends to a custom port' {
        $other = Start-TestSmtpServer
        try {
            $other.Delivered.Count | Should -Be 0
            Send-MailMessage @Default -Port $other.Port
            $other.Delivered.Count | Should -Be 1
        }
        finally { $other.Dispose() }
    }

    It 'writes nothing to the pipeline, as the built-in' {
        Send-MailMessage @Default | Should -BeNullOrEmpty
    }
}
