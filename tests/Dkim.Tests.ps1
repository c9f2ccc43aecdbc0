# DKIM on Send-SmtpMessage, judged by Debian's python3-dkim on the bytes the server received (the public key served by
# a stub resolver): the signature verifies, covers the headers it should, and fails once one byte of the body changes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    . (Join-Path $PSScriptRoot 'SecureMessage.ps1')
    # python3-nacl: dkimpy verifies ed25519-sha256 with it.
    Install-DebianPackage -Name python3, python3-dkim, python3-nacl, openssl

    $script:Dir = Join-Path $TestDrive 'dkim'
    $null = New-Item -ItemType Directory -Path $Dir
    $script:Verifier = Join-Path $Dir 'verify.py'
    Set-Content -Path $Verifier -Value @'
import sys, dkim
message = open(sys.argv[1], 'rb').read()
record = open(sys.argv[2], 'rb').read().strip()
asked = []
def dnsfunc(name, timeout=5):
    asked.append(name.decode() if isinstance(name, bytes) else name)
    return record
ok = dkim.verify(message, dnsfunc=dnsfunc)
print('verified' if ok else 'failed')
print('asked=' + ','.join(asked))
sys.exit(0 if ok else 1)
'@

    function Test-Dkim([string] $MessagePath, [string] $RecordPath) {
        # Debian's Python (not a pyenv shim on the PATH), so it sees python3-dkim.
        $output = & /usr/bin/python3 $Verifier $MessagePath $RecordPath 2>&1 | Out-String
        [pscustomobject]@{ Verified = ($LASTEXITCODE -eq 0); Output = $output }
    }

    function Get-LastReceived([string] $Name) {
        Save-ReceivedMessage -Transaction $script:Server.Delivered[-1] -Path (Join-Path $script:Dir "$Name.eml")
    }

    function Get-DkimTags([string] $MessagePath) {
        # The DKIM-Signature header unfolded, as a tag => value table.
        $raw = Get-Content -Raw $MessagePath
        $header = [regex]::Match($raw, '(?ms)^DKIM-Signature:(.*?)\r\n(?=\S)').Groups[1].Value -replace '\s+', ''
        $tags = @{}
        foreach ($pair in $header.Split(';')) { if ($pair -match '^([a-z]+)=(.*)$') { $tags[$Matches[1]] = $Matches[2] } }
        $tags
    }

    function Edit-OneBodyByte([string] $MessagePath, [string] $Word) {
        # The same message with one byte of its body changed (the first letter of Word, after the headers).
        $bytes = [System.IO.File]::ReadAllBytes($MessagePath)
        $text = [System.Text.Encoding]::Latin1.GetString($bytes)
        $at = $text.IndexOf($Word, $text.IndexOf("`r`n`r`n"))
        if ($at -lt 0) { throw "'$Word' is not in the body of $MessagePath" }
        $bytes[$at] = $bytes[$at] -bxor 0x20
        $changed = "$MessagePath.changed"
        [System.IO.File]::WriteAllBytes($changed, $bytes)
        $changed
    }

    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $script:RsaKey = Join-Path $Dir 'rsa.pem'
    Set-Content -Path $RsaKey -Value $rsa.ExportPkcs8PrivateKeyPem() -NoNewline
    $script:RsaPkcs1Key = Join-Path $Dir 'rsa-pkcs1.pem'
    Set-Content -Path $RsaPkcs1Key -Value $rsa.ExportRSAPrivateKeyPem() -NoNewline
    $script:RsaRecord = Join-Path $Dir 'rsa.txt'
    Set-Content -Path $RsaRecord -Value ('v=DKIM1; k=rsa; p=' + [Convert]::ToBase64String($rsa.ExportSubjectPublicKeyInfo())) -NoNewline

    # Ed25519 (RFC 8463): the record carries the raw 32-byte public key, the last 32 bytes of its DER form.
    $script:EdKey = Join-Path $Dir 'ed25519.pem'
    & openssl genpkey -algorithm ed25519 -out $EdKey 2>&1 | Out-Null
    $edPublic = Join-Path $Dir 'ed25519.der'
    & openssl pkey -in $EdKey -pubout -outform DER -out $edPublic 2>&1 | Out-Null
    $edBytes = [System.IO.File]::ReadAllBytes($edPublic)
    $script:EdRecord = Join-Path $Dir 'ed25519.txt'
    Set-Content -Path $EdRecord -Value ('v=DKIM1; k=ed25519; p=' + [Convert]::ToBase64String($edBytes[-32..-1])) -NoNewline

    $script:Server = Start-TestSmtpServer
    $script:Send = @{ SmtpServer = '127.0.0.1'; Port = $Server.Port; From = 'ops@example.test'; To = 'alice@example.test'; Cc = 'bob@example.test'; Subject = 'Deploy report' }
    $script:Dkim = @{ DkimDomain = 'example.test'; DkimSelector = 'mail2026' }
}

AfterAll { if (Get-Variable -Name Server -Scope Script -ErrorAction Ignore) { $Server.Dispose() } }

Describe 'Send-SmtpMessage -DkimDomain -DkimSelector -DkimPrivateKeyPath' {
    It 'signs so that python3-dkim verifies the message as received, and rejects it after one body byte changes' {
        $result = Send-SmtpMessage @Send @Dkim -DkimPrivateKeyPath $RsaKey -Body "Deployment finished.`nAll services healthy."
        $result.Status | Should -Be 'Sent'
        $file = Get-LastReceived 'rsa'
        $verdict = Test-Dkim $file $RsaRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
        $verdict.Output | Should -Match 'asked=mail2026\._domainkey\.example\.test\.?'
        $changed = Test-Dkim (Edit-OneBodyByte $file 'Deployment') $RsaRecord
        $changed.Verified | Should -BeFalse -Because 'one byte of the body changed'
    }

    It 'signs relaxed/relaxed with rsa-sha256 over From, To, Cc, Subject, Date, Message-ID, MIME-Version and the content headers' {
        $null = Send-SmtpMessage @Send @Dkim -DkimPrivateKeyPath $RsaPkcs1Key -Body 'Tags'
        $tags = Get-DkimTags (Get-LastReceived 'tags')
        $tags.c | Should -Be 'relaxed/relaxed'
        $tags.a | Should -Be 'rsa-sha256'
        $tags.d | Should -Be 'example.test'
        $tags.s | Should -Be 'mail2026'
        $signed = $tags.h.ToLowerInvariant().Split(':')
        foreach ($name in 'from', 'to', 'cc', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'content-transfer-encoding') {
            $signed | Should -Contain $name
        }
    }

    It 'verifies with a UTF-8 body, an HTML part and an attachment: what is signed is what goes on the wire' {
        $attachment = Join-Path $Dir 'report.csv'
        Set-Content -Path $attachment -Value "host,status`nweb1,ok" -NoNewline
        $null = Send-SmtpMessage @Send @Dkim -DkimPrivateKeyPath $RsaKey -Body 'Größe: 5 MB — Zürich' -HtmlBody '<p>Größe: <b>5 MB</b></p>' -Attachments $attachment
        $file = Get-LastReceived 'mixed'
        $verdict = Test-Dkim $file $RsaRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
        (Get-Content -Raw $file) | Should -Match 'multipart/mixed'
    }

    It 'verifies when the server takes an internationalised address over SMTPUTF8 (UTF-8 headers on the wire)' {
        $utf8 = Start-TestSmtpServer -Extension 'SMTPUTF8', '8BITMIME', 'PIPELINING'
        try {
            $null = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $utf8.Port -From 'Jörg Weiß <jörg@example.test>' -To 'zoë@example.test' -Subject 'Grüße' -Body 'Bücher' @Dkim -DkimPrivateKeyPath $RsaKey
            $file = Save-ReceivedMessage -Transaction $utf8.Delivered[-1] -Path (Join-Path $Dir 'smtputf8.eml')
            [System.IO.File]::ReadAllText($file, [System.Text.Encoding]::UTF8) | Should -Match 'jörg@example\.test'
            $verdict = Test-Dkim $file $RsaRecord
            $verdict.Verified | Should -BeTrue -Because $verdict.Output
        } finally { $utf8.Dispose() }
    }

    It 'verifies on a server without SMTPUTF8 when a non-ASCII recipient is left out of the headers: the copy is signed as sent' {
        # The default test server offers no SMTPUTF8: zoë is not attempted and left out of To, so the copy alice
        # receives has headers of its own, which its DKIM signature must cover.
        $result = Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Server.Port -From 'ops@example.test' -To 'alice@example.test', 'zoë@example.test' -Subject 'Seven bit' -Body 'Copy' @Dkim -DkimPrivateKeyPath $RsaKey -ErrorAction SilentlyContinue
        ($result.Recipients | Where-Object Address -EQ 'zoë@example.test').Status | Should -Be 'NotAttempted'
        $file = Get-LastReceived 'sevenbit'
        (Get-Content -Raw $file) | Should -Not -Match '(?im)^(To|Cc):[^\r\n]*zo' -Because 'zoë is left out of the headers of the copy'
        $verdict = Test-Dkim $file $RsaRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
    }

    It 'signs with an Ed25519 key (ed25519-sha256), which python3-dkim verifies' {
        $null = Send-SmtpMessage @Send @Dkim -DkimPrivateKeyPath $EdKey -Body 'Edwards curve'
        $file = Get-LastReceived 'ed25519'
        (Get-DkimTags $file).a | Should -Be 'ed25519-sha256'
        $verdict = Test-Dkim $file $EdRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
        (Test-Dkim (Edit-OneBodyByte $file 'Edwards') $EdRecord).Verified | Should -BeFalse
    }

    It 'signs the final S/MIME message last: DKIM and the S/MIME signature both verify on what the server received' {
        $cert = Join-Path $Dir 'smime.pem'
        $key = Join-Path $Dir 'smime.key'
        & openssl req -x509 -newkey rsa:2048 -nodes -keyout $key -out $cert -days 2 -subj '/CN=ops' `
            -addext 'subjectAltName=email:ops@example.test' -addext 'extendedKeyUsage=emailProtection' -addext 'keyUsage=digitalSignature,keyEncipherment' 2>&1 | Out-Null
        $null = Send-SmtpMessage @Send @Dkim -DkimPrivateKeyPath $RsaKey -Body 'Signed twice' -SigningCertificatePath $cert -SigningCertificateKeyPath $key
        $file = Get-LastReceived 'smime-dkim'
        (Get-Content -Raw $file) | Should -Match 'multipart/signed'
        $verdict = Test-Dkim $file $RsaRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
        $smime = & openssl smime -verify -in $file -CAfile $cert -purpose smimesign 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $smime
        (Test-Dkim (Edit-OneBodyByte $file 'Signed twice') $RsaRecord).Verified | Should -BeFalse
    }
}

Describe 'New-SmtpHandlerConfig -DkimDomain -DkimSelector -DkimPrivateKeyPath' {
    It 'signs every message sent with the configuration, and Send-SmtpMessage''s -DkimSelector replaces its selector' {
        $config = New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = '127.0.0.1'; Port = $Server.Port; DkimDomain = 'example.test'; DkimSelector = 'relay'; DkimPrivateKeyPath = $RsaKey }
        $config.DkimSelector | Should -Be 'relay'
        $null = Send-SmtpMessage -Config $config -From 'ops@example.test' -To 'alice@example.test' -Subject 'Via the relay' -Body 'Relayed'
        $file = Get-LastReceived 'config'
        $verdict = Test-Dkim $file $RsaRecord
        $verdict.Verified | Should -BeTrue -Because $verdict.Output
        $verdict.Output | Should -Match 'asked=relay\._domainkey\.example\.test'
        $null = Send-SmtpMessage -Config $config -DkimSelector 'mail2026' -From 'ops@example.test' -To 'alice@example.test' -Subject 'Own selector' -Body 'Own'
        (Test-Dkim (Get-LastReceived 'config-override') $RsaRecord).Output | Should -Match 'asked=mail2026\._domainkey'
    }

    It 'refuses a configuration whose DKIM key is unusable, with ErrorId InvalidDkimKey' {
        $notAKey = Join-Path $Dir 'config-notakey.pem'
        Set-Content -Path $notAKey -Value 'not a key' -NoNewline
        $thrown = { New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -DkimDomain 'example.test' -DkimSelector 's1' -DkimPrivateKeyPath $notAKey } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike 'InvalidDkimKey,*'
        $thrown.Exception.Message | Should -Match '^DkimPrivateKeyPath\b'
    }
}

Describe 'Send-SmtpMessage refuses unusable DKIM settings before connecting' {
    BeforeAll {
        $script:TooBig = Join-Path $Dir 'big.pem'
        Set-Content -Path $TooBig -Value ("-----BEGIN PRIVATE KEY-----`n" + ('A' * 70000) + "`n-----END PRIVATE KEY-----`n") -NoNewline
        $script:NotAKey = Join-Path $Dir 'notakey.pem'
        Set-Content -Path $NotAKey -Value 'hello' -NoNewline
        $script:ShortKey = Join-Path $Dir 'short.pem'
        & openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out $ShortKey 2>&1 | Out-Null
    }

    It 'refuses <Case> with ErrorId <ErrorId>, naming -<Parameter>, and opens no connection' -ForEach @(
        @{ Case = 'a domain without a selector'; ErrorId = 'IncompleteDkimSettings'; Parameter = 'DkimSelector'; Extra = { @{ DkimDomain = 'example.test'; DkimPrivateKeyPath = $RsaKey } } }
        @{ Case = 'a domain that is not a DNS name'; ErrorId = 'InvalidDkimDomain'; Parameter = 'DkimDomain'; Extra = { @{ DkimDomain = 'exa mple;test'; DkimSelector = 's1'; DkimPrivateKeyPath = $RsaKey } } }
        @{ Case = 'a selector that is not a DNS label'; ErrorId = 'InvalidDkimSelector'; Parameter = 'DkimSelector'; Extra = { @{ DkimDomain = 'example.test'; DkimSelector = 's1; x=y'; DkimPrivateKeyPath = $RsaKey } } }
        @{ Case = 'a key file larger than a key can be'; ErrorId = 'InvalidDkimKey'; Parameter = 'DkimPrivateKeyPath'; Extra = { @{ DkimDomain = 'example.test'; DkimSelector = 's1'; DkimPrivateKeyPath = $TooBig } } }
        @{ Case = 'a file that holds no key'; ErrorId = 'InvalidDkimKey'; Parameter = 'DkimPrivateKeyPath'; Extra = { @{ DkimDomain = 'example.test'; DkimSelector = 's1'; DkimPrivateKeyPath = $NotAKey } } }
        @{ Case = 'a 512-bit RSA key'; ErrorId = 'InvalidDkimKey'; Parameter = 'DkimPrivateKeyPath'; Extra = { @{ DkimDomain = 'example.test'; DkimSelector = 's1'; DkimPrivateKeyPath = $ShortKey } } }
        @{ Case = 'a directory as the key'; ErrorId = 'InvalidDkimKey'; Parameter = 'DkimPrivateKeyPath'; Extra = { @{ DkimDomain = 'example.test'; DkimSelector = 's1'; DkimPrivateKeyPath = $Dir } } }
    ) {
        $extra = & $Extra
        $before = $Server.Connections
        $thrown = { Send-SmtpMessage @Send -Body 'x' @extra } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $thrown.Exception.Message | Should -Match "^$Parameter\b"
        $Server.Connections | Should -Be $before
    }
}
