# What a hostile server writes, as the cmdlets show it (the engine-level half is HostileServerTextTests): a 535
# quoting the AUTH data shows no secret, and escape sequences in replies (a window title, an erased line, a green
# "accepted") reach no error record, verbose line, result, report, finding or transcript as raw control characters.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    function ConvertTo-Base64([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)) }

    $script:Password = 'Quoted-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $script:Blob = ConvertTo-Base64 "`0alice`0$Password"
    $script:Escapes = "`e]0;pwned`a`e[2K`e[32maccepted`e[0m `u{9B}31m"

    # Refuses every login, quoting what the client sent (the AUTH PLAIN blob) and the password it holds.
    $quotingOptions = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
    $quotingOptions.AuthMechanisms = 'PLAIN'
    $quotingOptions.Script = [SmtpHandler.Testing.ServerScript]::At('AUTH', [SmtpHandler.Testing.ServerAction]::Reply("535 5.7.8 Authentication failed: AUTH PLAIN $Blob ($Password)"))
    $script:Quoting = [SmtpHandler.Testing.SmtpTestServer]::new($quotingOptions)

    # Escape sequences in its greeting, in an EHLO keyword and in every refusal of a recipient.
    $escapingOptions = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
    $escapingOptions.Greeting = "220 smtp.test $Escapes"
    $escapingOptions.Extensions.Add("X-$Escapes")
    $escapingOptions.Script = [SmtpHandler.Testing.ServerScript]::At('RCPT', [SmtpHandler.Testing.ServerAction]::Reply("550 5.1.1 $Escapes"))
    $script:Escaping = [SmtpHandler.Testing.SmtpTestServer]::new($escapingOptions)

    $script:Transcript = Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-servertext-$([guid]::NewGuid().ToString('N').Substring(0, 8)).txt"
}

AfterAll {
    $Quoting.Dispose()
    $Escaping.Dispose()
    Remove-Item $Transcript -Force -ErrorAction SilentlyContinue
}

Describe 'Server text in the cmdlets'' outputs' {
    It 'shows no quoted AUTH secret and no raw control character in errors, -Verbose, results, reports, JSON or a transcript' {
        # The password travels by environment variable: a script line holding it would be echoed by an error's position message.
        $child = @'
$ErrorActionPreference = 'Continue'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $env:SMTPHANDLER_MODULE_PATH
$null = Start-Transcript -Path $env:SERVERTEXT_TRANSCRIPT
$texts = [System.Collections.Generic.List[string]]::new()
function Add-Output($Items) {
    foreach ($item in $Items) {
        if ($item -is [System.Management.Automation.ErrorRecord]) {
            $texts.Add('error: ' + $item.ToString()); $texts.Add('exception: ' + $item.Exception.Message)
        }
        elseif ($item -is [System.Management.Automation.InformationalRecord]) { $texts.Add('stream: ' + $item.Message) }
        elseif ($item -is [SmtpHandler.SmtpSendResult]) {
            $texts.Add('json: ' + ($item | ConvertTo-Json -Depth 6)); $texts.Add('error: ' + $item.Error)
            foreach ($r in $item.Recipients) { $texts.Add('reply: ' + $r.Reply); $texts.Add('reason: ' + $r.Reason) }
        }
        elseif ($item -is [SmtpHandler.SmtpConnectionReport]) {
            $texts.Add('json: ' + ($item | ConvertTo-Json -Depth 6)); $texts.Add('auth: ' + $item.AuthenticationReply); $texts.Add('banner: ' + $item.Banner)
            foreach ($line in @($item.Transcript) + @($item.EhloLines)) { $texts.Add('line: ' + $line) }
            foreach ($f in $item.Findings) { $texts.Add('finding: ' + $f.ToString()) }
        }
        $item | Out-Host
    }
}
$credential = [pscredential]::new('alice', (ConvertTo-SecureString $env:SERVERTEXT_PASSWORD -AsPlainText -Force))
$quoting = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port ([int]$env:QUOTING_PORT) -Credential $credential -AllowUnencryptedAuthentication -RetryCount 0 -Timeout 30
Add-Output (Send-SmtpMessage -Config $quoting -From 'reports@example.test' -To 'ann@example.test' -Subject 'Quoted' -Body 'x' -Verbose *>&1)
Add-Output (Test-SmtpConnection -Config $quoting -Verbose *>&1)
$escaping = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port ([int]$env:ESCAPING_PORT) -RetryCount 0 -Timeout 30
Add-Output (Send-SmtpMessage -Config $escaping -From 'reports@example.test' -To 'bob@example.test' -Subject 'Escapes' -Body 'x' -Verbose *>&1)
Add-Output (Test-SmtpConnection -Config $escaping -From 'reports@example.test' -To 'bob@example.test' -Verbose *>&1)
$null = Stop-Transcript
'=== texts'
$texts | ConvertTo-Json -Compress
'@
        $run = Invoke-NewPwsh -Script $child -Environment @{
            SMTPHANDLER_MODULE_PATH = $ModulePath
            SERVERTEXT_PASSWORD     = $Password
            SERVERTEXT_TRANSCRIPT   = $Transcript
            QUOTING_PORT            = "$($Quoting.Port)"
            ESCAPING_PORT           = "$($Escaping.Port)"
        }
        # The error records, as the console showed them (Out-Host writes them to stderr), are checked with the rest.
        $run.Output | Should -Match '=== texts'
        $texts = @(($run.Output -split '=== texts', 2)[1] | ConvertFrom-Json)
        $transcript = Get-Content -Raw $Transcript

        # The servers were reached, and what they said did arrive (masked, made visible).
        $Quoting.CountCommands('AUTH PLAIN ') | Should -BeGreaterThan 0
        $Escaping.CountCommands('RCPT TO:<bob@') | Should -BeGreaterThan 0
        $texts | Should -Contain 'stream: C: AUTH PLAIN ********'
        $texts -match '^exception: .*refused the login.*Authentication failed: AUTH PLAIN \*{8}' | Should -Not -BeNullOrEmpty
        $texts -match '^exception: The server refused bob@example\.test .*\\x1B\]0;pwned\\x07\\x1B\[2K\\x1B\[32maccepted' | Should -Not -BeNullOrEmpty
        $texts -match '^stream: S: 550 5\.1\.1 \\x1B' | Should -Not -BeNullOrEmpty
        $texts -match '^finding: Error RecipientRejected: .*\\x1B\[32maccepted' | Should -Not -BeNullOrEmpty
        $texts -match '^line: S: 220 smtp\.test \\x1B' | Should -Not -BeNullOrEmpty

        foreach ($text in @($texts) + $transcript + $run.Output + $run.Error) {
            foreach ($secret in $Password, $Blob, (ConvertTo-Base64 $Password)) {
                $text | Should -Not -BeLike "*$secret*"
            }
        }
        foreach ($text in $texts) {
            $text | Should -Not -Match '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]'
            $text | Should -Not -Match '\\u001b|\\u0007'
        }
        foreach ($shown in $transcript, $run.Output, $run.Error) {
            $shown | Should -Not -Match '[\x07\x1B\x9B]'
        }
    }
}
