# The reliability and security battery (issue 9) at the cmdlet level, against the built module. The engine-level
# half is in SmtpHandler.Engine.Tests (FaultBatteryTests, SecurityBatteryTests, InjectionBatteryTests,
# InputBatteryTests, CertificateBatteryTests). Here: 10,000 messages through Postfix, secrets in every output
# stream of a child pwsh, no parameter that switches certificate checks off, and bad input (generated from a
# fixed seed) refused with a stable ErrorId before any connection.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'Postfix.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')

    function New-Tripwire {
        # A listener nobody should reach: any connection attempt waits in its backlog, where Pending() sees it.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $listener
    }

    function Get-ErrorRecord {
        # Runs $Action; returns every error it wrote or threw (terminating or not), never letting one escape.
        param([Parameter(Mandatory)] [scriptblock] $Action)
        $ErrorActionPreference = 'Continue'
        $collected = [System.Collections.Generic.List[object]]::new()
        try {
            & $Action 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $collected.Add($_) } }
        }
        catch {
            $collected.Add($_)
        }
        , $collected.ToArray()
    }

    function ConvertTo-Base64([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)) }

    function Invoke-NewPwshWithin {
        # Like Invoke-NewPwsh, but a child still running after -Seconds is killed and reported as TimedOut: a hang
        # fails the test instead of stopping the run.
        param([Parameter(Mandatory)] [int] $Seconds, [Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $Script) { $info.ArgumentList.Add($a) }
        foreach ($k in $Environment.Keys) { $info.Environment[$k] = $Environment[$k] }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        $timedOut = -not $process.WaitForExit($Seconds * 1000)
        if ($timedOut) { $process.Kill($true); $process.WaitForExit() }
        [pscustomobject]@{ TimedOut = $timedOut; ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
    }
}

Describe 'A server that stops answering, through the cmdlet' {
    It 'gives up after -Timeout with ConnectionTimedOut (with the cmdlet''s Ctrl+C token MailKit waited forever)' {
        $silent = New-Tripwire  # takes the connection into its backlog and never says a word
        try {
            $script = @'
Import-Module $env:SMTPHANDLER_MODULE_PATH
$config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port ([int]$env:BATTERY_PORT) -Timeout 2 -RetryCount 1 -RetryDelay 0
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$result = Send-SmtpMessage -Config $config -From 'reports@example.test' -To 'ann@example.test' -Subject 'Silent' -Body 'x' -ErrorAction SilentlyContinue
"$($result.Status) $($result.ErrorId) $([int]$clock.Elapsed.TotalSeconds)"
'@
            $run = Invoke-NewPwshWithin -Seconds 120 -Script $script -Environment @{ SMTPHANDLER_MODULE_PATH = $ModulePath; BATTERY_PORT = "$($silent.LocalEndpoint.Port)" }

            $run.TimedOut | Should -BeFalse -Because 'a silent server must not hold a send past its timeout'
            $status, $errorId, $seconds = $run.Output.Trim() -split ' '
            $status | Should -Be 'Failed'
            $errorId | Should -Be 'ConnectionTimedOut'
            [int]$seconds | Should -BeLessThan 40 -Because 'two tries of 2 s each'
        }
        finally { $silent.Stop() }
    }
}

Describe '10,000 messages through Postfix with -MaxMessagesPerConnection 100' {
    BeforeAll {
        # On tmpfs: Postfix syncs every queue file to disk, which would dominate the run.
        $shm = if (Test-Path '/dev/shm') { '/dev/shm' } else { [System.IO.Path]::GetTempPath() }
        $script:Postfix = Start-Postfix -RecipientLimit 1000 -BaseDirectory $shm
    }

    AfterAll {
        Stop-Postfix $Postfix
    }

    It 'arrives as 10,000 transactions with 10,000 different Message-Ids over 100 connections, each reported Sent' {
        $count = 10000
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Postfix.Port -MaxMessagesPerConnection 100 -RetryDelay 0.05 -Timeout 30
        $mark = Get-PostfixLogMark $Postfix
        $clock = [System.Diagnostics.Stopwatch]::StartNew()

        # One send of many messages, straight through the module's engine (as Delivery.Tests does).
        $assembly = $config.GetType().Assembly
        $mailer = ($assembly.GetType('SmtpHandler.SmtpMailer'))::new($config, $null)
        $messageType = $assembly.GetType('SmtpHandler.SmtpMessage')
        $prepared = [Array]::CreateInstance($assembly.GetType('SmtpHandler.PreparedMessage'), $count)
        for ($i = 0; $i -lt $count; $i++) {
            $message = $messageType::new()
            $message.From = 'reports@example.test'
            $message.To = [string[]]@("user$($i % 100)@example.test")
            $message.Subject = "Bulk $i"
            $message.TextBody = "Message $i of $count"
            $prepared[$i] = $mailer.Prepare($message, $false)
        }
        $results = @($mailer.Send($prepared, [System.Threading.CancellationToken]::None))
        $sent = $clock.Elapsed

        $results.Count | Should -Be $count
        @($results | Where-Object Status -NE 'Sent').Count | Should -Be 0
        ($results | Measure-Object -Property Transactions -Sum).Sum | Should -Be $count

        # Server side, from Postfix's own log: cleanup logs each message it took with its Message-Id, qmgr each
        # transaction, smtpd each connection. The log is written a moment after the fact: wait for it to settle.
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        do {
            Start-Sleep -Milliseconds 500
            $log = Get-PostfixLogText $Postfix $mark
            $ids = [regex]::Matches($log, 'postfix/cleanup\[\d+\]: \w+: message-id=<([^>]*)>') | ForEach-Object { $_.Groups[1].Value }
            $connects = [regex]::Matches($log, 'postfix/smtpd\[\d+\]: connect from ').Count
            $disconnects = [regex]::Matches($log, 'postfix/smtpd\[\d+\]: disconnect from ').Count
        } while ((@($ids).Count -lt $count -or $disconnects -lt $connects) -and [DateTime]::UtcNow -lt $deadline)
        $transactions = [regex]::Matches($log, 'postfix/qmgr\[\d+\]: \w+: from=<reports@example\.test>, size=\d+, nrcpt=1 ').Count

        @($ids).Count | Should -Be $count
        @($ids | Sort-Object -Unique).Count | Should -Be $count -Because 'no message arrived twice'
        $received = [System.Collections.Generic.HashSet[string]]::new([string[]]$ids)
        @($results.MessageId | Where-Object { -not $received.Contains($_) }) | Should -BeNullOrEmpty -Because 'every message reported Sent reached the server' 
        $transactions | Should -Be $count
        $connects | Should -Be 100
        Write-Host "    10,000 messages sent in $($sent.TotalSeconds.ToString('0.0')) s over $connects connections"
    }
}

Describe 'Secrets never reach any output' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
        $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-battery-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
        $script:Password = 'Battery-Pa55-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $script:WrongPassword = 'Wrong-Pa55-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $script:Token = 'battery-token-' + [guid]::NewGuid().ToString('N')
        $script:WrongToken = 'wrong-token-' + [guid]::NewGuid().ToString('N')
        $script:OAuthUser = 'reports@contoso.test'
        # AUTH PLAIN only: the password itself (base64) goes over the wire, so there is something to leak.
        $script:Smtp4dev = Start-Smtp4dev -TlsMode StartTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey `
            -AuthenticationRequired -CheckCredentials -User "alice=$Password" -AuthTypes PLAIN
        $serverCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
        $script:OAuthServer = Start-XOAuth2TestServer -Certificate $serverCert -User $OAuthUser -Token $Token
        $script:Pickup = Join-Path $Certs.Directory 'pickup'
        $null = New-Item -ItemType Directory -Path $Pickup
    }

    AfterAll {
        Stop-Smtp4dev $Smtp4dev
        if ($OAuthServer) { $OAuthServer.Dispose() }
        if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'no password or token, in any encoding, in any stream of a child pwsh that configures, sends, fails, asks -WhatIf, diagnoses and writes a pickup folder' {
        # Secrets travel by environment variable: a script line holding one would be echoed by any error position message.
        $child = @'
$ErrorActionPreference = 'Continue'
Import-Module $env:SMTPHANDLER_MODULE_PATH
$password = ConvertTo-SecureString $env:BATTERY_PASSWORD -AsPlainText -Force
$wrong = ConvertTo-SecureString $env:BATTERY_WRONG_PASSWORD -AsPlainText -Force
$token = ConvertTo-SecureString $env:BATTERY_TOKEN -AsPlainText -Force
$wrongToken = ConvertTo-SecureString $env:BATTERY_WRONG_TOKEN -AsPlainText -Force
$credential = [pscredential]::new('alice', $password)
$tls = @{ SmtpServer = '127.0.0.1'; Port = [int]$env:BATTERY_STARTTLS_PORT; UseStartTls = $true; TrustedCertificatePath = $env:BATTERY_CA; Timeout = 30; DefaultFrom = 'reports@example.test' }
$oauth = @{ SmtpServer = '127.0.0.1'; Port = [int]$env:BATTERY_OAUTH_PORT; UseTls = $true; TrustedCertificatePath = $env:BATTERY_CA; Timeout = 30; DefaultFrom = $env:BATTERY_OAUTH_USER; OAuthUserName = $env:BATTERY_OAUTH_USER; RetryCount = 0 }
& {
    '=== config with a password'
    $config = New-SmtpHandlerConfig @tls -Credential $credential -Verbose
    $config
    $config | Format-List *
    $config | Format-Table * -AutoSize
    $config.ToString()
    $config | ConvertTo-Json -Depth 4
    $config | Get-Member | Out-String
    '=== send with a password'
    $result = Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Secret check' -Body 'x' -Verbose
    $result | Format-List *
    $result.Recipients | Format-List *
    $result | ConvertTo-Json -Depth 5
    '=== inline credential'
    $trustOnly = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port ([int]$env:BATTERY_STARTTLS_PORT) -TrustedCertificatePath $env:BATTERY_CA -Timeout 30
    Send-SmtpMessage -Config $trustOnly -UseSsl -Credential $credential -From 'reports@example.test' -To 'bob@example.test' -Subject 'Inline' -Body 'y' -Verbose | Format-List *
    '=== whatif'
    Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'WhatIf' -Body 'x' -WhatIf -Verbose
    '=== wrong password'
    $bad = New-SmtpHandlerConfig @tls -Credential ([pscredential]::new('alice', $wrong)) -RetryCount 0
    Send-SmtpMessage -Config $bad -To 'ann@example.test' -Subject 'Refused' -Body 'x' -Verbose
    '=== diagnostics'
    Test-SmtpConnection -Config $config -Verbose | Format-List *
    Test-SmtpConnection -Config $bad -Verbose | Format-List *
    '=== plaintext refused'
    New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port 25 -Credential $credential
    '=== pickup'
    $pickup = New-SmtpHandlerConfig -PickupDirectory $env:BATTERY_PICKUP -Credential $credential -DefaultFrom 'reports@example.test'
    Send-SmtpMessage -Config $pickup -To 'ann@example.test' -Subject 'Pickup' -Body 'x' -Verbose | Format-List *
    '=== oauth'
    $oauthConfig = New-SmtpHandlerConfig @oauth -AccessToken $token -Verbose
    $oauthConfig | Format-List *
    $oauthConfig | ConvertTo-Json -Depth 4
    Send-SmtpMessage -Config $oauthConfig -To 'ann@example.test' -Subject 'Token' -Body 'x' -Verbose | Format-List *
    Send-SmtpMessage -Config $oauthConfig -To 'ann@example.test' -Subject 'Token WhatIf' -Body 'x' -WhatIf -Verbose
    Test-SmtpConnection -Config $oauthConfig -Verbose | Format-List *
    $scripted = New-SmtpHandlerConfig @oauth -AccessTokenScript { $env:BATTERY_TOKEN }
    Send-SmtpMessage -Config $scripted -To 'ann@example.test' -Subject 'Token script' -Body 'x' -Verbose | Format-List *
    $wrongConfig = New-SmtpHandlerConfig @oauth -AccessToken $wrongToken
    Send-SmtpMessage -Config $wrongConfig -To 'ann@example.test' -Subject 'Wrong token' -Body 'x' -Verbose
    New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port 25 -OAuthUserName $env:BATTERY_OAUTH_USER -AccessToken $token -AllowUnencryptedAuthentication
    '=== every error, in full'
    foreach ($record in $Error) {
        $record | Format-List * -Force | Out-String -Width 400
        $exception = $record.Exception
        while ($exception) {
            $exception | Format-List * -Force | Out-String -Width 400
            $exception = $exception.InnerException
        }
    }
    '=== done'
} *>&1 | Out-String -Width 400
'@
        $environment = @{
            SMTPHANDLER_MODULE_PATH = $ModulePath
            BATTERY_PASSWORD        = $Password
            BATTERY_WRONG_PASSWORD  = $WrongPassword
            BATTERY_TOKEN           = $Token
            BATTERY_WRONG_TOKEN     = $WrongToken
            BATTERY_STARTTLS_PORT   = "$($Smtp4dev.SmtpPort)"
            BATTERY_OAUTH_PORT      = "$($OAuthServer.Port)"
            BATTERY_OAUTH_USER      = $OAuthUser
            BATTERY_CA              = $Certs.CaPem
            BATTERY_PICKUP          = $Pickup
        }

        $run = Invoke-NewPwsh -Script $child -Environment $environment

        $text = $run.Output + "`n" + $run.Error
        $pickupText = (Get-ChildItem $Pickup -File | ForEach-Object { [System.IO.File]::ReadAllText($_.FullName) }) -join "`n"

        # It all ran, and the secrets were really used: logins with the right ones worked, the wrong ones failed.
        $text | Should -Match '=== done'
        $text | Should -Match 'C: AUTH PLAIN \*+'
        $text | Should -Match 'AuthenticationFailed'
        $text | Should -Match 'UnencryptedAuthenticationRefused'
        $text | Should -Match 'What if:'
        @(Get-Smtp4devMessage -Server $Smtp4dev).Count | Should -Be 2
        @($OAuthServer.Logins | Where-Object Succeeded).Count | Should -BeGreaterOrEqual 2
        @(Get-ChildItem $Pickup -Filter *.eml).Count | Should -Be 1

        $forms = foreach ($secret in $Password, $WrongPassword, $Token, $WrongToken) {
            $secret
            ConvertTo-Base64 $secret
        }
        $forms += foreach ($p in $Password, $WrongPassword) { ConvertTo-Base64 "`0alice`0$p"; ConvertTo-Base64 "alice`0alice`0$p" }
        $forms += foreach ($t in $Token, $WrongToken) { ConvertTo-Base64 ([SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($OAuthUser, $t)) }
        foreach ($form in $forms) {
            $text.Contains($form) | Should -BeFalse -Because "a secret (starting '$($form.Substring(0, 6))') must not reach any stream"
            $pickupText.Contains($form) | Should -BeFalse -Because 'a secret must not reach a pickup file'
        }
    }
}

Describe 'No parameter switches certificate checks off' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
        $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-battery-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
        # A self-signed certificate for localhost: well formed, but nobody trusts it.
        $pem = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($Certs.SelfSignedPem, $Certs.SelfSignedKey)
        $untrusted = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($pem.Export('Pfx'), $null)
        $script:ImplicitServer = Start-TestSmtpServer -Greeting '220 untrusted.test ESMTP' -Certificate $untrusted -ImplicitTls
        $script:StartTlsServer = Start-TestSmtpServer -Greeting '220 untrusted.test ESMTP' -Certificate $untrusted
        $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    }

    AfterAll {
        $ImplicitServer.Dispose()
        $StartTlsServer.Dispose()
        if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'has no parameter, alias or config property named like a way around the checks' {
        $bypass = '(?i)(skip|ignore|bypass|disable|insecure|unsafe|dangerous|noverif|novalid|nocheck|unchecked|accept.?(all|any|invalid)|trust.?(all|any|everything|server)|allow.?(invalid|untrusted|self|expired|any)|callback|validat|sslpolicy|certificatepolicy)'
        $names = foreach ($command in Get-Command -Module SmtpHandler) {
            foreach ($parameter in $command.Parameters.Values | Where-Object Name -NotIn $Common) {
                $parameter.Name
                $parameter.Aliases
                # No parameter takes a delegate (a validation callback) either; the token script is a script block.
                $parameter.ParameterType.IsSubclassOf([Delegate]) | Should -BeFalse -Because "$($command.Name) -$($parameter.Name)"
            }
        }
        $config = New-SmtpHandlerConfig
        $names += $config.GetType().GetProperties().Name
        $names.Count | Should -BeGreaterThan 40
        $names | Where-Object { $_ -match $bypass } | Should -BeNullOrEmpty
    }

    It 'fails every send with CertificateUntrusted whichever switch is on, over implicit TLS and STARTTLS, and nothing follows the handshake' {
        $tried = 0
        foreach ($command in 'New-SmtpHandlerConfig', 'Send-SmtpMessage') {
            $switches = (Get-Command $command).Parameters.Values | Where-Object { $_.SwitchParameter -and $_.Name -notin $Common -and $_.Name -notin 'WhatIf', 'Confirm' }
            foreach ($switch in $switches.Name) {
                foreach ($mode in 'ImplicitTls', 'StartTls') {
                    $server = if ($mode -eq 'ImplicitTls') { $ImplicitServer } else { $StartTlsServer }
                    $settings = @{ SmtpServer = 'localhost'; Port = $server.Port; Timeout = 10; RetryCount = 0; DefaultFrom = 'reports@example.test' }
                    if ($mode -eq 'ImplicitTls') { $settings.UseTls = $true } else { $settings.UseStartTls = $true }
                    $send = @{ To = 'ann@example.test'; Subject = "With -$switch"; Body = 'x' }
                    if ($command -eq 'New-SmtpHandlerConfig') {
                        if ($switch -eq 'UseTls' -and $mode -eq 'StartTls') { continue }  # -UseTls wins: tried against the implicit server
                        $settings[$switch] = $true
                    }
                    else {
                        if ($switch -eq 'UseSsl' -and $mode -eq 'ImplicitTls') { continue }  # -UseSsl is STARTTLS
                        if ($switch -eq 'UseTls' -and $mode -eq 'StartTls') { continue }
                        $send[$switch] = $true
                    }
                    $config = New-SmtpHandlerConfig @settings
                    $errors = Get-ErrorRecord { Send-SmtpMessage -Config $config @send }
                    $ids = @($errors | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] })
                    if ($ids -notcontains 'CertificateUntrusted') {
                        # A switch of Send-SmtpMessage that stops it earlier for its own reasons proves nothing here
                        # (what the server received is checked below for every case).
                        continue
                    }
                    $tried++
                }
            }
        }
        foreach ($switch in ((Get-Command Test-SmtpConnection).Parameters.Values | Where-Object { $_.SwitchParameter -and $_.Name -notin $Common }).Name) {
            foreach ($mode in 'ImplicitTls', 'StartTls') {
                if (($switch -eq 'UseTls' -and $mode -eq 'StartTls') -or ($switch -eq 'UseStartTls' -and $mode -eq 'ImplicitTls')) { continue }
                $server = if ($mode -eq 'ImplicitTls') { $ImplicitServer } else { $StartTlsServer }
                $test = @{ SmtpServer = 'localhost'; Port = $server.Port; Timeout = 10; $switch = $true }
                $test[$(if ($mode -eq 'ImplicitTls') { 'UseTls' } else { 'UseStartTls' })] = $true
                $report = Test-SmtpConnection @test
                $(if ($report -is [bool]) { $report } else { $report.Success }) | Should -BeFalse -Because "Test-SmtpConnection -$switch over $mode"
                $tried++
            }
        }
        $tried | Should -BeGreaterOrEqual 14
        $ImplicitServer.CountCommands('DATA') + $StartTlsServer.CountCommands('DATA') | Should -Be 0
        @($ImplicitServer.Commands) | Should -BeNullOrEmpty
        @($StartTlsServer.Commands.Line | Where-Object { $_ -notmatch '^(EHLO|STARTTLS)' }) | Should -BeNullOrEmpty
    }
}

Describe 'Bad input is refused with a stable ErrorId before any connection' {
    BeforeAll {
        $script:Tripwire = New-Tripwire
        $script:TripwirePort = $Tripwire.LocalEndpoint.Port
        $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        # Where Send-SmtpMessage would send to the valid rest of the recipients, ask it to send nothing instead:
        # these tests show what is refused before any connection.
        $script:NothingOnError = if ((Get-Command Send-SmtpMessage).Parameters.ContainsKey('AllOrNothing')) { @{ AllOrNothing = $true } } else { @{} }
        $script:Settable = (Get-Command New-SmtpHandlerConfig).Parameters.Values |
            Where-Object { $_.Name -notin $Common -and $_.Name -notin 'FromHashtable', 'Path', 'LiteralPath' }
    }

    AfterAll {
        $Tripwire.Stop()
    }

    AfterEach {
        $Tripwire.Pending() | Should -BeFalse -Because 'bad input must not open a connection'
    }

    It 'refuses every key of a hashtable and of a JSON file given a value of a wrong type: InvalidConfigurationValue naming the key, or SecretInConfiguration' {
        $wrong = @{
            'System.Int32'                                    = @('abc', '', 2.5, $true, @(1, 2), @{ a = 1 }, [datetime]'2020-01-01', 1e12, [double]::NaN, -1)
            'System.Double'                                   = @('abc', $true, @(1), @{ a = 1 }, -5, 1e9, [double]::PositiveInfinity)
            'System.Management.Automation.SwitchParameter'    = @('yes', 'true', 1, 0, @($true), @{ a = 1 })
            'System.String'                                   = @(5, $true, @('a', 'b'), @{ a = 1 }, 2.5, '')
            'System.String[]'                                 = @(5, @{ a = 1 }, @(1, 'a'), @(), @(''))
            'SmtpHandler.SmtpTlsVersion'                      = @('Bogus', 7, $true, @('Tls12', 'Tls13'))
            'SmtpHandler.SmtpService'                         = @('Bogus', 7, $true, @('Gmail', 'ExchangeOnline'))
            'System.Uri'                                      = @(@{ a = 1 }, $true, @(1, 2))
            'System.Management.Automation.ScriptBlock'        = @(5, $true, @{ a = 1 })
            'System.Security.SecureString'                    = @('plain text', 5)
            'System.Management.Automation.PSCredential'       = @('alice', @{ UserName = 'alice'; Password = 'x' })
        }
        $cases = 0
        foreach ($parameter in $Settable) {
            $values = $wrong[$parameter.ParameterType.FullName]
            $values | Should -Not -BeNullOrEmpty -Because "a wrong value is known for $($parameter.ParameterType.FullName) (-$($parameter.Name))"
            foreach ($value in $values) {
                $cases++
                $secret = $parameter.ParameterType -in [System.Security.SecureString], [pscredential]
                $errors = Get-ErrorRecord { New-SmtpHandlerConfig -FromHashtable @{ $parameter.Name = $value } }
                $errors.Count | Should -Be 1 -Because "-$($parameter.Name) = $($value | ConvertTo-Json -Compress)"
                $id = $errors[0].FullyQualifiedErrorId.Split(',')[0]
                $id | Should -BeIn $(if ($secret) { 'SecretInConfiguration' } else { 'InvalidConfigurationValue' }) -Because "-$($parameter.Name) = $($value | ConvertTo-Json -Compress): $($errors[0])"
                $errors[0].Exception.Message | Should -Match ([regex]::Escape($parameter.Name))
                $errors[0].CategoryInfo.Category | Should -BeIn 'InvalidArgument', 'SecurityError'

                if ($value -is [datetime] -or ($value -is [double] -and -not [double]::IsFinite($value)) -or $parameter.ParameterType -eq [scriptblock]) { continue }
                $file = Join-Path $TestDrive "settings-$cases.json"
                @{ $parameter.Name = $value } | ConvertTo-Json -Depth 3 | Set-Content -Path $file
                $fromFile = Get-ErrorRecord { New-SmtpHandlerConfig -Path $file }
                $fromFile.Count | Should -Be 1
                $fromFile[0].FullyQualifiedErrorId.Split(',')[0] | Should -BeIn 'InvalidConfigurationValue', 'SecretInConfiguration' -Because "$(Get-Content $file -Raw): $($fromFile[0])"
            }
        }
        $cases | Should -BeGreaterThan 100
    }

    It 'refuses seeded random hashtables mixing good and bad values, naming a bad key, and takes the all-good ones' {
        $random = [System.Random]::new(9001)
        $good = @{ SmtpServer = 'smtp.example.test'; Port = 587; Timeout = 30; RetryCount = 3; RetryDelay = 1.5; RecipientsPerMessage = 50; MaxMessagesPerConnection = 100; UseStartTls = $true; CheckCertificateRevocation = $false; TlsProtocol = 'Tls12'; LocalDomain = 'client.example.test'; DefaultFrom = 'reports@example.test' }
        $bad = @{ SmtpServer = @(''); Port = @(0, 65536, -25, 'smtp', 25.5); Timeout = @(0, 86401, 'soon'); RetryCount = @(-1, 101, 'x'); RetryDelay = @(-1, 3601, 'x'); RecipientsPerMessage = @(-1, 'all'); MaxMessagesPerConnection = @(-5, $true); UseStartTls = @('yes', 1); CheckCertificateRevocation = @('no'); TlsProtocol = @('Ssl3', 'Tls11'); LocalDomain = @('', 5); DefaultFrom = @(5, '') }
        $taken = 0
        for ($i = 0; $i -lt 150; $i++) {
            $settings = @{}
            $badKeys = @()
            foreach ($key in $good.Keys | Where-Object { $random.Next(2) -eq 0 }) {
                if ($random.Next(4) -eq 0) {
                    $choices = $bad[$key]
                    $settings[$key] = $choices[$random.Next($choices.Count)]
                    $badKeys += $key
                }
                else { $settings[$key] = $good[$key] }
            }
            $errors = Get-ErrorRecord { New-SmtpHandlerConfig -FromHashtable $settings }
            if ($badKeys.Count -eq 0) {
                $errors | Should -BeNullOrEmpty -Because "case $i is all good: $($settings | ConvertTo-Json -Compress)"
                $taken++
                continue
            }
            $errors.Count | Should -Be 1 -Because "case $i"
            $errors[0].FullyQualifiedErrorId.Split(',')[0] | Should -BeIn 'InvalidConfigurationValue', 'InvalidConfiguration' -Because "case $i $($settings | ConvertTo-Json -Compress): $($errors[0])"
            @($badKeys | Where-Object { $errors[0].Exception.Message -match "\b$_\b" }).Count | Should -BeGreaterThan 0 -Because "case $i names a bad key ($($badKeys -join ', ')): $($errors[0])"
        }
        $taken | Should -BeGreaterThan 5
    }

    It 'refuses invalid ports on every cmdlet, as parameters (binding) and as settings' -ForEach @(
        @{ Port = 0 }, @{ Port = -1 }, @{ Port = 65536 }, @{ Port = 2147483647 }, @{ Port = 'smtp' }
    ) {
        $calls = @({ New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Port }, { Test-SmtpConnection -SmtpServer 127.0.0.1 -Port $Port })
        if ($Port -ne 0) {
            # Send-SmtpMessage may take -Port 0 as "the config's port", as Send-MailMessage's default.
            $calls += { Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port -From 'reports@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' }
        }
        foreach ($call in $calls) {
            $errors = Get-ErrorRecord $call
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Match '^(ParameterArgumentValidationError|ParameterArgumentTransformationError|CannotConvertArgumentNoMessage),'
        }
        $fromHashtable = Get-ErrorRecord { New-SmtpHandlerConfig -FromHashtable @{ SmtpServer = '127.0.0.1'; Port = $Port } }
        $fromHashtable[0].FullyQualifiedErrorId | Should -BeLike 'InvalidConfigurationValue,*'
    }

    It 'refuses seeded random malformed addresses in -From, -To, -Cc and -Bcc with InvalidMailAddress and the address as target' {
        $random = [System.Random]::new(1234)
        $junk = 'a', 'b.c', '..', '@', '<', '>', '"', ' ', ',', ';', '(', ')', "`r`n", "`n", "`t", [string][char]0, 'é', '\'
        function Get-Junk { -join (1..$random.Next(1, 5) | ForEach-Object { $junk[$random.Next($junk.Count)] }) }
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $TripwirePort -Timeout 5 -RetryCount 0
        $tried = 0
        for ($i = 0; $i -lt 60; $i++) {
            $address = switch ($random.Next(6)) {
                0 { "no-at-sign-$(Get-Junk)" }
                1 { "user$i@" }
                2 { "@example.test$(Get-Junk)" }
                3 { "user$i@example..test" }
                4 { "user$i@exa mple.test" }
                5 { "user$(Get-Junk)$i`r`nRCPT TO:<evil@attacker.test>@example.test" }
            }
            $field = 'From', 'To', 'Cc', 'Bcc' | Select-Object -Index $random.Next(4)
            $send = @{ From = 'reports@example.test'; To = 'ann@example.test'; Subject = 'x'; Body = 'y' }
            $send[$field] = $address
            $errors = Get-ErrorRecord { Send-SmtpMessage -Config $config @send @NothingOnError }
            $invalid = @($errors | Where-Object { $_.FullyQualifiedErrorId -like 'InvalidMailAddress,*' })
            $invalid.Count | Should -BeGreaterOrEqual 1 -Because "-$field '$address': $($errors -join '; ')"
            $invalid[0].TargetObject | Should -Be $address
            $tried++
        }
        $tried | Should -Be 60
    }

    It 'refuses a line break in every header parameter of Send-SmtpMessage before connecting' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $TripwirePort -Timeout 5 -RetryCount 0
        $parameters = (Get-Command Send-SmtpMessage).Parameters.Keys | Where-Object { $_ -in 'From', 'To', 'Cc', 'Bcc', 'ReplyTo', 'Subject', 'Sender', 'MessageId' }
        $parameters.Count | Should -BeGreaterOrEqual 8
        foreach ($name in $parameters) {
            foreach ($payload in "`r`nBcc: evil@attacker.test", "`nX-Injected: 1", "`rX-Injected: 1") {
                $send = @{ From = 'reports@example.test'; To = 'ann@example.test'; Subject = 'x'; Body = 'y' }
                $send[$name] = $(if ($name -eq 'Subject') { "Report$payload" } elseif ($name -eq 'MessageId') { "id$payload@example.test" } else { "ann@example.test$payload" })
                $errors = Get-ErrorRecord { Send-SmtpMessage -Config $config @send @NothingOnError }
                @($errors | Where-Object { $_.FullyQualifiedErrorId.Split(',')[0] -in 'HeaderInjection', 'InvalidMailAddress', 'InvalidMessageId' }).Count |
                    Should -BeGreaterOrEqual 1 -Because "-$name with $($payload | ConvertTo-Json): $($errors -join '; ')"
            }
        }
    }

    It 'refuses a missing, a directory and a locked attachment before connecting, each with its ErrorId and the path as target' {
        $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $TripwirePort -Timeout 5 -RetryCount 0
        $folder = Join-Path $TestDrive 'folder'
        $null = New-Item -ItemType Directory -Path $folder
        $locked = Join-Path $TestDrive 'locked.txt'
        Set-Content -Path $locked -Value 'in use'
        $hold = [System.IO.File]::Open($locked, 'Open', 'ReadWrite', 'None')
        try {
            foreach ($case in @{ Path = (Join-Path $TestDrive 'missing.pdf'); Id = 'AttachmentNotFound' }, @{ Path = $folder; Id = 'AttachmentIsDirectory' }, @{ Path = $locked; Id = 'AttachmentUnreadable' }) {
                $errors = Get-ErrorRecord { Send-SmtpMessage -Config $config -From 'reports@example.test' -To 'ann@example.test' -Subject 'x' -Body 'y' -Attachments $case.Path }
                $errors.Count | Should -BeGreaterOrEqual 1
                $errors[0].FullyQualifiedErrorId | Should -BeLike "$($case.Id),*" -Because "$($case.Path): $($errors[0])"
                $errors[0].TargetObject | Should -Be $case.Path
            }
        }
        finally { $hold.Dispose() }
    }

    It 'writes a message to 100,000 recipients as one pickup file naming each recipient once' {
        $pickup = Join-Path $TestDrive 'many'
        $null = New-Item -ItemType Directory -Path $pickup
        $config = New-SmtpHandlerConfig -PickupDirectory $pickup -DefaultFrom 'reports@example.test'
        $everyone = foreach ($i in 1..100000) { "user$i@example.test" }

        $result = Send-SmtpMessage -Config $config -To 'list@example.test' -Bcc $everyone -Subject 'Everyone' -Body 'x'

        $result.Status | Should -Be 'WrittenToPickup'
        $result.Accepted.Count | Should -Be 100001
        $file = @(Get-ChildItem $pickup -File)
        $file.Count | Should -Be 1
        $receivers = [regex]::Matches([System.IO.File]::ReadAllText($file[0].FullName), '(?m)^X-Receiver: (.+?)\r$') | ForEach-Object { $_.Groups[1].Value }
        @($receivers).Count | Should -Be 100001
        @($receivers | Sort-Object -Unique).Count | Should -Be 100001
    }
}
