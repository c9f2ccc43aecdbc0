# Send-SmtpMessage -StatePath: a rerun after a crash sends each recipient once. The crashes are real (a sending pwsh
# killed with SIGKILL, or stopped as Ctrl+C stops it) and the server is real: a private Postfix that outlives the
# killed process and logs every recipient it delivered, so what arrived is the server's word, not the client's.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'Postfix.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    $script:StateDirectory = Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-state-$PID"
    $null = New-Item -ItemType Directory -Path $StateDirectory -Force

    function New-StatePath([string] $Name) { Join-Path $StateDirectory "$Name-$([guid]::NewGuid().ToString('N').Substring(0, 8)).jsonl" }

    function Get-Recipient([string] $Prefix, [int] $Count) {
        $list = [string[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) { $list[$i] = "$Prefix$($i + 1)@example.test" }
        $list
    }

    function Start-Sender([string] $Script) {
        # A pwsh of its own that sends; its output is not read (it may be killed at any instant).
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll'))
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        # Drained in the background so that a full pipe never blocks the sender.
        $null = $process.StandardOutput.ReadToEndAsync()
        $null = $process.StandardError.ReadToEndAsync()
        $process
    }

    function Get-DeliveredCount($Server, [long] $Since, [string] $Prefix) {
        # Recipients Postfix delivered (discarded) since -Since whose address starts with -Prefix.
        [regex]::Matches((Get-PostfixLogText $Server $Since), "postfix/discard\[\d+\]: \w+: to=<$([regex]::Escape($Prefix))").Count
    }

    function Wait-Delivered($Server, [long] $Since, [string] $Prefix, [int] $AtLeast, $Process, [int] $TimeoutSeconds = 120) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            $count = Get-DeliveredCount $Server $Since $Prefix
            if ($count -ge $AtLeast) { return $count }
            if ($Process -and $Process.HasExited) { throw "The sender ended (exit $($Process.ExitCode)) after $count deliveries, before $AtLeast." }
            if ([DateTime]::UtcNow -gt $deadline) { throw "Only $count deliveries within $TimeoutSeconds s (waiting for $AtLeast)." }
            Start-Sleep -Milliseconds 20
        }
    }

    function Get-Deliveries($Server, [long] $Since, [int] $TimeoutSeconds = 60) {
        # Waits until every message Postfix queued since -Since is delivered and removed and the log is still, then
        # returns how often each recipient was delivered (a hashtable address -> count).
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $lastLength = -1
        while ($true) {
            $text = Get-PostfixLogText $Server $Since
            $queued = [regex]::Matches($text, 'postfix/cleanup\[\d+\]: \w+: message-id=').Count
            $removed = [regex]::Matches($text, 'postfix/qmgr\[\d+\]: \w+: removed').Count
            $connections = [regex]::Matches($text, 'postfix/smtpd\[\d+\]: connect from ').Count
            $disconnections = [regex]::Matches($text, 'postfix/smtpd\[\d+\]: disconnect from ').Count
            if ($queued -eq $removed -and $connections -eq $disconnections -and $text.Length -eq $lastLength) { break }
            if ([DateTime]::UtcNow -gt $deadline) { throw "Postfix did not settle within $TimeoutSeconds s ($queued queued, $removed removed)." }
            $lastLength = $text.Length
            Start-Sleep -Milliseconds 500
        }
        $counts = @{}
        foreach ($m in [regex]::Matches($text, 'postfix/discard\[\d+\]: \w+: to=<([^>]+)>')) {
            $address = $m.Groups[1].Value
            $counts[$address] = 1 + $(if ($counts.ContainsKey($address)) { $counts[$address] } else { 0 })
        }
        $counts
    }

    function Assert-ExactlyOnce([string[]] $Recipients, [hashtable] $Deliveries, $Results) {
        # Every recipient delivered exactly once, except the ones the rerun reports Unknown: at most once.
        $unknown = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
        foreach ($r in @($Results | ForEach-Object { $_.Recipients } | Where-Object { "$($_.Status)" -eq 'Unknown' })) { $null = $unknown.Add($r.Address) }
        $missing = [System.Collections.Generic.List[string]]::new()
        $twice = [System.Collections.Generic.List[string]]::new()
        foreach ($address in $Recipients) {
            $count = if ($Deliveries.ContainsKey($address)) { $Deliveries[$address] } else { 0 }
            if ($count -gt 1) { $twice.Add("$address x$count") }
            elseif ($count -eq 0 -and -not $unknown.Contains($address)) { $missing.Add($address) }
        }
        $twice | Should -BeNullOrEmpty -Because 'no recipient may be delivered twice'
        $missing | Should -BeNullOrEmpty -Because 'every recipient not reported Unknown must be delivered'
        , $unknown
    }
}

AfterAll {
    Remove-Item -Recurse -Force $StateDirectory -ErrorAction SilentlyContinue
}

Describe 'A rerun with the same -StatePath after a crash, against Postfix' {
    BeforeAll {
        # Postfix fsyncs every queue file: on a tmpfs that costs nothing, and thousands of messages go fast.
        $base = if (Test-Path /dev/shm) { '/dev/shm' } else { [System.IO.Path]::GetTempPath() }
        $script:Postfix = Start-Postfix -BaseDirectory $base
        $script:Figures = [System.Collections.Generic.List[string]]::new()
    }

    AfterAll {
        Stop-Postfix $Postfix
        if ($Figures.Count) { Write-Host ($Figures -join "`n") }
    }

    It 'SIGKILL after at least <KillAfter> of 3,000 -Individual messages (-ConnectionCount <Connections>): the rerun sends the rest, each recipient once; at most <Connections> Unknown' -ForEach @(
        @{ Point = 1; KillAfter = 100; Connections = 1 }
        @{ Point = 2; KillAfter = 700; Connections = 2 }
        @{ Point = 3; KillAfter = 1300; Connections = 1 }
        @{ Point = 4; KillAfter = 2000; Connections = 4 }
        @{ Point = 5; KillAfter = 2700; Connections = 2 }
    ) {
        $prefix = "kill$Point-u"
        $to = Get-Recipient $prefix 3000
        $state = New-StatePath "kill$Point"
        $mark = Get-PostfixLogMark $Postfix
        $send = "-Individual -From 'news@example.test' -Subject 'Kill test $Point' -Body 'The same body every run.' -SmtpServer 127.0.0.1 -Port $($Postfix.Port) -ConnectionCount $Connections -StatePath '$state' -WarningAction SilentlyContinue"
        $sender = Start-Sender "Import-Module '$ModulePath'; `$null = 1..3000 | ForEach-Object { '$prefix' + `$_ + '@example.test' } | Send-SmtpMessage $send"
        try {
            $before = Wait-Delivered $Postfix $mark $prefix $KillAfter $sender
            $sender.Kill()
            $sender.WaitForExit()
        }
        finally {
            if (-not $sender.HasExited) { $sender.Kill() }
        }

        $results = @($to | Send-SmtpMessage -Individual -From 'news@example.test' -Subject "Kill test $Point" -Body 'The same body every run.' -SmtpServer 127.0.0.1 -Port $Postfix.Port -ConnectionCount $Connections -StatePath $state -WarningAction SilentlyContinue)

        $deliveries = Get-Deliveries $Postfix $mark
        $results.Count | Should -Be 3000
        $unknown = Assert-ExactlyOnce $to $deliveries $results
        $unknown.Count | Should -BeLessOrEqual $Connections
        $already = @($results | Where-Object { "$($_.Status)" -eq 'AlreadySent' }).Count
        $already | Should -BeGreaterOrEqual ($KillAfter - $Connections)
        @($results | Where-Object { "$($_.Status)" -notin 'AlreadySent', 'Sent', 'Unknown' }) | Should -BeNullOrEmpty
        $twice = @($deliveries.Values | Where-Object { $_ -gt 1 }).Count
        $Figures.Add("SIGKILL point ${Point}: $before delivered when killed (-ConnectionCount $Connections); rerun: $already AlreadySent, $(@($results | Where-Object { "$($_.Status)" -eq 'Sent' }).Count) Sent, $($unknown.Count) Unknown ($(@($unknown | Where-Object { $deliveries.ContainsKey($_) }).Count) of them delivered by the killed run); duplicates $twice")
    }

    It 'Ctrl+C (the pipeline stopped) after at least 300 of 3,000: the rerun has no Unknown and sends each recipient once' {
        $prefix = 'stop-u'
        $to = Get-Recipient $prefix 3000
        $state = New-StatePath 'stop'
        $mark = Get-PostfixLogMark $Postfix
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript("Import-Module '$ModulePath'; `$args[0] | Send-SmtpMessage -Individual -From 'news@example.test' -Subject 'Stop test' -Body 'Body' -SmtpServer 127.0.0.1 -Port $($Postfix.Port) -ConnectionCount 2 -StatePath '$state' -WarningAction SilentlyContinue | Out-Null").AddArgument($to)
            $async = $shell.BeginInvoke()
            $before = Wait-Delivered $Postfix $mark $prefix 300
            $shell.Stop()
            try { $null = $shell.EndInvoke($async) } catch [System.Management.Automation.PipelineStoppedException] { }
        }
        finally { $shell.Dispose() }

        $results = @($to | Send-SmtpMessage -Individual -From 'news@example.test' -Subject 'Stop test' -Body 'Body' -SmtpServer 127.0.0.1 -Port $Postfix.Port -ConnectionCount 2 -StatePath $state -WarningAction SilentlyContinue)

        $deliveries = Get-Deliveries $Postfix $mark
        $results.Count | Should -Be 3000
        $unknown = Assert-ExactlyOnce $to $deliveries $results
        $unknown.Count | Should -Be 0
        @($results | Where-Object { "$($_.Status)" -eq 'AlreadySent' }).Count | Should -BeGreaterOrEqual 300
        $Figures.Add("Ctrl+C: $before delivered when stopped; rerun: $(@($results | Where-Object { "$($_.Status)" -eq 'AlreadySent' }).Count) AlreadySent, 0 Unknown")
    }

    It 'one message to 2,000 recipients, -RecipientsPerMessage 100, SIGKILL mid-run: each recipient once, at most one transaction Unknown' {
        $prefix = 'batch-u'
        $to = Get-Recipient $prefix 2000
        $state = New-StatePath 'batch'
        $mark = Get-PostfixLogMark $Postfix
        $sender = Start-Sender "Import-Module '$ModulePath'; `$to = 1..2000 | ForEach-Object { '$prefix' + `$_ + '@example.test' }; `$null = Send-SmtpMessage -Bcc `$to -From 'news@example.test' -Subject 'Batch kill' -Body 'Body' -SmtpServer 127.0.0.1 -Port $($Postfix.Port) -RecipientsPerMessage 100 -StatePath '$state' -WarningAction SilentlyContinue"
        try {
            $before = Wait-Delivered $Postfix $mark $prefix 700 $sender
            $sender.Kill()
            $sender.WaitForExit()
        }
        finally {
            if (-not $sender.HasExited) { $sender.Kill() }
        }

        $result = Send-SmtpMessage -Bcc $to -From 'news@example.test' -Subject 'Batch kill' -Body 'Body' -SmtpServer 127.0.0.1 -Port $Postfix.Port -RecipientsPerMessage 100 -StatePath $state -WarningAction SilentlyContinue

        $deliveries = Get-Deliveries $Postfix $mark
        $result.Recipients.Count | Should -Be 2000
        $unknown = Assert-ExactlyOnce $to $deliveries $result
        $unknown.Count | Should -BeLessOrEqual 100
        $result.AlreadyAccepted.Count | Should -BeGreaterOrEqual 600
        ($result.AlreadyAccepted.Count + $result.Accepted.Count + $result.Unknown.Count) | Should -Be 2000
        $Figures.Add("2,000 recipients, 100 a transaction: $before delivered when killed; rerun: $($result.AlreadyAccepted.Count) AlreadyAccepted, $($result.Accepted.Count) Accepted in $($result.Transactions) transactions, $($unknown.Count) Unknown")
    }
}

Describe 'The state file''s rules (the shared test server)' {
    BeforeEach {
        $script:Server = Start-TestSmtpServer
        $script:Send = @{ From = 'news@example.test'; Body = 'Body'; SmtpServer = '127.0.0.1'; Port = $Server.Port; WarningAction = 'SilentlyContinue' }
    }

    AfterEach {
        $Server.Dispose()
    }

    It 'starts with a header that fingerprints the message and records each recipient as JSON lines, without the body or any secret' {
        $Server.Dispose()
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.AuthMechanisms = 'PLAIN LOGIN'
        $users = [System.Collections.Generic.Dictionary[string, string]]::new()
        $users['mailer'] = 'S3cret-Pa55'
        $options.Users = $users
        $script:Server = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        $Send.Port = $Server.Port
        $Send.Body = 'A distinctive body 7391'
        $credential = [pscredential]::new('mailer', (ConvertTo-SecureString 'S3cret-Pa55' -AsPlainText -Force))
        $state = New-StatePath 'format'
        $attachment = Join-Path $StateDirectory 'report.txt'
        Set-Content -Path $attachment -Value 'twelve bytes' -NoNewline

        $sent = 'a@example.test', 'b@example.test' | Send-SmtpMessage @Send -Individual -Subject 'Report for {Address}' -Attachments $attachment -StatePath $state -Credential $credential -AllowUnencryptedAuthentication
        $sent.Status | Should -Be 'Sent', 'Sent'

        $lines = @(Get-Content $state | ConvertFrom-Json)
        $lines[0].smtpHandlerState | Should -Be 1
        $lines[0].from | Should -Be 'news@example.test'
        $lines[0].subject | Should -Be 'Report for {Address}'
        $lines[0].textBody | Should -Match '^sha256:[0-9a-f]{64}$'
        $lines[0].attachments | Should -Be 'report.txt (12 bytes)'
        @($lines | Where-Object { $_.PSObject.Properties['rcpt'] } | ForEach-Object { "$($_.rcpt) $($_.status)" }) | Should -Be @(
            'a@example.test Sending', 'a@example.test Accepted', 'b@example.test Sending', 'b@example.test Accepted')
        $text = Get-Content $state -Raw
        $text | Should -Not -Match 'distinctive'
        $text | Should -Not -Match 'S3cret|mailer'
    }

    It 'refuses a rerun whose subject differs before connecting (StateFileMessageDiffers); -Force goes on and skips the recipients settled' {
        $state = New-StatePath 'differs'
        $null = Send-SmtpMessage @Send -To 'a@example.test' -Subject 'First' -StatePath $state
        $sessions = $Server.Sessions.Count

        { Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Second' -StatePath $state } |
            Should -Throw -ErrorId 'StateFileMessageDiffers,SmtpHandler.Commands.SendSmtpMessageCommand' -ExpectedMessage "*the subject ('First' then, 'Second' now)*"
        $Server.Sessions.Count | Should -Be $sessions -Because 'nothing connects'

        $result = Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Second' -StatePath $state -Force
        $result.AlreadyAccepted.Address | Should -Be 'a@example.test'
        $result.Accepted.Address | Should -Be 'b@example.test'
        # The file records the new message from then on: the next run without -Force is accepted.
        (Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Second' -StatePath $state).Status | Should -Be 'AlreadySent'
    }

    It 'refuses a second process using the same file (StateFileInUse), which sends nothing' {
        $state = New-StatePath 'locked'
        $null = Send-SmtpMessage @Send -To 'a@example.test' -Subject 'Locked' -StatePath $state
        # The first process: a send that holds the file while it waits on a server that never answers.
        $silent = Start-TestSmtpServer -Silent
        $holder = Start-Sender "Import-Module '$ModulePath'; `$config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $($silent.Port) -Timeout 60; Send-SmtpMessage -Config `$config -To 'a@example.test','b@example.test' -From 'news@example.test' -Subject 'Locked' -Body 'Body' -StatePath '$state'"
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ($silent.Sessions.Count -eq 0) {
                if ([DateTime]::UtcNow -gt $deadline -or $holder.HasExited) { throw 'The first process did not start sending.' }
                Start-Sleep -Milliseconds 50
            }

            { Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Locked' -StatePath $state } |
                Should -Throw -ErrorId 'StateFileInUse,SmtpHandler.Commands.SendSmtpMessageCommand'
            $Server.Sessions.Count | Should -Be 1 -Because 'only the first run connected'
        }
        finally {
            if (-not $holder.HasExited) { $holder.Kill() }
            $holder.WaitForExit()
            $silent.Dispose()
        }
    }

    It 'tolerates a torn last line (the process died mid-write): the recipient it named is sent' {
        $state = New-StatePath 'torn'
        $null = Send-SmtpMessage @Send -To 'a@example.test' -Subject 'Torn' -StatePath $state
        [System.IO.File]::AppendAllText($state, '{"at":"2026-12-06T00:00:00.000Z","rcpt":"b@exam')

        $result = Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Torn' -StatePath $state

        $result.AlreadyAccepted.Address | Should -Be 'a@example.test'
        $result.Accepted.Address | Should -Be 'b@example.test'
        # The torn line was cut off: the file is whole lines again.
        Get-Content $state | ForEach-Object { { $_ | ConvertFrom-Json } | Should -Not -Throw }
    }

    It 'stops with StateFileUnreadable, and connects to nothing, when the file is <Case>' -ForEach @(
        @{ Case = 'not JSON'; Content = "garbage`nmore garbage`n" }
        @{ Case = 'JSON without a header'; Content = '{"rcpt":"a@example.test","status":"Accepted"}' + "`n" }
        @{ Case = 'damaged in the middle'; Content = '{"smtpHandlerState":1,"subject":"X"}' + "`n" + '{"rcpt":"a@exa' + "`n" + '{"rcpt":"b@example.test","status":"Accepted"}' + "`n" }
    ) {
        $state = New-StatePath 'garbage'
        [System.IO.File]::WriteAllText($state, $Content)

        { Send-SmtpMessage @Send -To 'a@example.test' -Subject 'X' -StatePath $state } |
            Should -Throw -ErrorId 'StateFileUnreadable,SmtpHandler.Commands.SendSmtpMessageCommand' -ExpectedMessage "*can't be read: line *Nothing was sent*"
        $Server.Sessions.Count | Should -Be 0
        [System.IO.File]::ReadAllText($state) | Should -Be $Content -Because 'an unreadable file is left as it was'
    }

    It 'holds back a recipient whose transaction was in flight as Unknown, and sends it with -ResendUnknown' {
        $state = New-StatePath 'unknown'
        $null = Send-SmtpMessage @Send -To 'a@example.test' -Subject 'Unknown' -StatePath $state
        Add-Content -Path $state -Value '{"at":"2026-12-06T00:00:00.000Z","rcpt":"b@example.test","status":"Sending"}'

        $held = Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Unknown' -StatePath $state -WarningVariable warned
        $held.Status | Should -Be 'Unknown'
        $held.Unknown.Address | Should -Be 'b@example.test'
        $held.Unknown.Reason | Should -Match 'in flight when an earlier run ended.*-ResendUnknown'
        $Server.Sessions.Count | Should -Be 1 -Because 'nothing was left to send'

        $resent = Send-SmtpMessage @Send -To 'a@example.test', 'b@example.test' -Subject 'Unknown' -StatePath $state -ResendUnknown
        $resent.Accepted.Address | Should -Be 'b@example.test'
        $resent.AlreadyAccepted.Address | Should -Be 'a@example.test'
        $resent.Status | Should -Be 'Sent'
    }

    It 'does not offer again a recipient refused for good (AlreadyRejected)' {
        $Server.Dispose()
        $script:Server = Start-TestSmtpServer -RejectRecipient '^nobody@'
        $Send.Port = $Server.Port
        $state = New-StatePath 'rejected'
        $first = Send-SmtpMessage @Send -To 'a@example.test', 'nobody@example.test' -Subject 'Rejected' -StatePath $state -ErrorAction SilentlyContinue
        $first.Rejected.Address | Should -Be 'nobody@example.test'

        $second = Send-SmtpMessage @Send -To 'a@example.test', 'nobody@example.test' -Subject 'Rejected' -StatePath $state -ErrorAction SilentlyContinue -ErrorVariable errors
        $second.AlreadyRejected.Address | Should -Be 'nobody@example.test'
        $second.AlreadyRejected.ReplyCode | Should -Be 550
        $second.AlreadyAccepted.Address | Should -Be 'a@example.test'
        $second.Status | Should -Be 'PartiallySent'
        $errors | Should -BeNullOrEmpty -Because 'nothing was refused in this run'
        ($second.Recipients | Format-Table | Out-String) | Should -Match 'AlreadyAccepted' -Because 'the default view shows the whole status'
        $Server.Sessions.Count | Should -Be 1
    }

    It 'keeps track through "452 too many recipients" splits: one message to 25 recipients at a limit of 10' {
        $Server.Dispose()
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.RecipientLimit = 10
        $script:Server = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        $Send.Port = $Server.Port
        $state = New-StatePath 'split'
        $to = Get-Recipient 'split' 25

        $first = Send-SmtpMessage @Send -Bcc $to -Subject 'Split' -StatePath $state
        $second = Send-SmtpMessage @Send -Bcc $to -Subject 'Split' -StatePath $state

        $first.Accepted.Count | Should -Be 25
        $first.Transactions | Should -Be 3
        $second.Status | Should -Be 'AlreadySent'
        $second.AlreadyAccepted.Count | Should -Be 25
        $last = @{}
        Get-Content $state | Select-Object -Skip 1 | ConvertFrom-Json | ForEach-Object { $last[$_.rcpt] = $_.status }
        @($last.Values | Sort-Object -Unique) | Should -Be 'Accepted'
    }

    It 'works with a pickup folder: a rerun writes no file again' {
        $pickup = Join-Path $StateDirectory "pickup-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path $pickup
        $state = New-StatePath 'pickup'
        $config = New-SmtpHandlerConfig -PickupDirectory $pickup -StatePath $state

        $first = 'a@example.test', 'b@example.test' | Send-SmtpMessage -Config $config -Individual -From 'news@example.test' -Subject 'Pickup' -Body 'Body'
        $second = 'a@example.test', 'b@example.test', 'c@example.test' | Send-SmtpMessage -Config $config -Individual -From 'news@example.test' -Subject 'Pickup' -Body 'Body'

        $first.Status | Should -Be 'WrittenToPickup', 'WrittenToPickup'
        $second.Status | Should -Be 'AlreadySent', 'AlreadySent', 'WrittenToPickup'
        @(Get-ChildItem $pickup -Filter *.eml).Count | Should -Be 3
    }
}
