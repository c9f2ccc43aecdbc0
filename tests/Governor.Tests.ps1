# Send-SmtpMessage's governor against the shared test server scripted like the services: a connection limit, a
# recipient quota, throttling, pacing, and what a refused connection costs. Timing is asserted as lower bounds only.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    function New-LimitedServer {
        # A test server with the limits given as SmtpTestServerOptions properties (MaxConcurrentSessions, RecipientQuota...).
        param([hashtable] $Option = @{}, [Func[SmtpHandler.Testing.ReceivedCommand, SmtpHandler.Testing.ServerAction]] $Script)
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        foreach ($key in $Option.Keys) { $options.$key = $Option[$key] }
        if ($Script) { $options.Script = $Script }
        [SmtpHandler.Testing.SmtpTestServer]::new($options)
    }

    function Get-Address([string] $Prefix, [int] $Count) { 1..$Count | ForEach-Object { "$Prefix$_@example.test" } }

    function Invoke-Captured([string] $Script) {
        # Runs -Script in a runspace of its own with the module loaded; returns its output, progress, verbose and errors.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; $Script")
            $output = $ps.Invoke()
            [pscustomobject]@{
                Output   = @($output)
                Progress = @($ps.Streams.Progress)
                Verbose  = @($ps.Streams.Verbose | ForEach-Object Message)
                Errors   = @($ps.Streams.Error)
            }
        }
        finally { $ps.Dispose() }
    }

    # Each message takes the server 10 ms, so sessions overlap for certain.
    $script:SlowDot = [SmtpHandler.Testing.ServerScript]::At('.', [SmtpHandler.Testing.ServerAction]::Wait([timespan]::FromMilliseconds(10)))
}

Describe 'Too many connections: the extra connection closes and the run continues on fewer' {
    It 'sends 120 messages with -Individual -ConnectionCount 4 to a server that allows 2: each once, all Sent, never more than 2 sessions' {
        $server = New-LimitedServer -Option @{ MaxConcurrentSessions = 2 } -Script $SlowDot
        try {
            $to = Get-Address 'conn' 120
            $results = $to | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $server.Port -From 'ops@example.test' -Subject 'Hi {Address}' -Body 'x' -Individual -ConnectionCount 4 -ErrorVariable errors

            $results.Count | Should -Be 120
            @($results | Where-Object Status -NE 'Sent').Count | Should -Be 0
            $errors.Count | Should -Be 0
            $server.Delivered.Count | Should -Be 120
            foreach ($address in $to) { $server.DeliveriesTo($address) | Should -Be 1 }
            # The server never admits more than 2: what can fail is that the refused connections keep knocking. Of the 4
            # asked, the 2 it has no room for are refused once each and stop.
            $server.RefusedSessions | Should -BeGreaterOrEqual 1
            $server.RefusedSessions | Should -BeLessOrEqual 2
        }
        finally { $server.Dispose() }
    }
}

Describe 'A quota reply stops the send at once' {
    It 'sends exactly 25 under a quota of 25; the rest carry QuotaExceeded and when to rerun; one ErrorRecord; at most one refusal per connection' {
        $server = New-LimitedServer -Option @{ RecipientQuota = 25 }
        try {
            $before = [DateTime]::UtcNow
            $results = Get-Address 'quota' 40 | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $server.Port -From 'ops@example.test' -Subject 'Q {Address}' -Body 'x' -Individual -ConnectionCount 2 -ErrorVariable errors -ErrorAction SilentlyContinue

            @($results | Where-Object Status -EQ 'Sent').Count | Should -Be 25
            $server.Delivered.Count | Should -Be 25
            $stopped = @($results | Where-Object Status -NE 'Sent')
            $stopped.Count | Should -Be 15
            foreach ($r in $stopped) {
                $r.ErrorId | Should -Be 'QuotaExceeded'
                $r.RetryAfter | Should -BeGreaterOrEqual $before.AddHours(24)
                $r.Recipients[0].Status | Should -Be 'NotAttempted'
                $r.Recipients[0].ErrorId | Should -Be 'QuotaExceeded'
            }
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'QuotaExceeded,*'
            $errors[0].CategoryInfo.Category | Should -Be 'QuotaExceeded'
            foreach ($session in $server.Sessions) { $session.QuotaRefusals | Should -BeLessOrEqual 1 }
        }
        finally { $server.Dispose() }
    }
}

Describe 'MaxMessagesPerMinute spaces messages evenly and says it is waiting' {
    It 'takes at least 2.75 s for 12 messages at 240 a minute over 3 connections, and the progress record says why it waits' {
        $server = New-LimitedServer
        try {
            $run = Invoke-Captured "1..12 | ForEach-Object { `"pace`$_@example.test`" } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($server.Port) -From ops@example.test -Subject 'P {Address}' -Body x -Individual -ConnectionCount 3 -MaxMessagesPerMinute 240 -Verbose"

            $run.Output.Count | Should -Be 12
            @($run.Output | Where-Object Status -NE 'Sent').Count | Should -Be 0
            # Timed by the server's MAIL commands, not a stopwatch around the runspace: 11 gaps of 0.25 s, less 0.15 s for
            # a first MAIL that leaves late (a lower bound only).
            $mails = @($server.Commands | Where-Object Verb -EQ 'MAIL' | ForEach-Object ReceivedUtc | Sort-Object)
            $mails.Count | Should -Be 12
            ($mails[-1] - $mails[0]).TotalSeconds | Should -BeGreaterOrEqual 2.6
            $waiting = @($run.Progress | Where-Object { $_.StatusDescription -match 'waiting: 240 messages/minute: next in [\d.,]+ s' })
            $waiting.Count | Should -BeGreaterThan 0
            ($run.Verbose -join "`n") | Should -Match '240 messages/minute: next in'
        }
        finally { $server.Dispose() }
    }
}

Describe 'Throttling replies slow the run down' {
    It 'backs off, paces every connection wider, and every message still ends Sent' {
        # Every third MAIL is answered as Exchange Online answers a client that sends too fast.
        $server = New-LimitedServer -Script ([SmtpHandler.Testing.ServerScript]::Every('MAIL', 3, [SmtpHandler.Testing.ServerAction]::Reply('451 4.7.500 Server busy. Please try again later.')))
        try {
            $config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $server.Port -RetryDelay 0.05
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $results = Get-Address 'slow' 6 | Send-SmtpMessage -Config $config -From 'ops@example.test' -Subject 'T {Address}' -Body 'x' -Individual -Verbose 4>&1
            $clock.Stop()

            $sent = @($results | Where-Object { $_ -is [SmtpHandler.SmtpSendResult] })
            $verbose = ($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            $sent.Count | Should -Be 6
            @($sent | Where-Object Status -NE 'Sent').Count | Should -Be 0
            $server.Delivered.Count | Should -Be 6
            $verbose | Should -Match 'asks to slow down \(451 4\.7\.500'
            # From the first throttled MAIL on, at least six transactions start half a second or more apart.
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2.5
        }
        finally { $server.Dispose() }
    }
}

Describe 'Retry waits and refused connections (issue 19, point 4)' {
    It 'says in progress and verbose when a retry waits, and how long' {
        $server = New-LimitedServer -Script ([SmtpHandler.Testing.ServerScript]::Every('MAIL', 1000, [SmtpHandler.Testing.ServerAction]::Reply('451 4.3.0 Try again later')))
        try {
            $run = Invoke-Captured "`$c = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $($server.Port) -RetryDelay 0.2; Send-SmtpMessage -Config `$c -From ops@example.test -To ann@example.test -Subject R -Body x -Verbose"

            $run.Output[0].Status | Should -Be 'Sent'
            @($run.Progress | Where-Object { $_.StatusDescription -match 'waiting: Retry 1 of 3 for 1 recipient\(s\): next try in 0\.2 s' }).Count | Should -Be 1
            ($run.Verbose -join "`n") | Should -Match 'Retry 1 of 3 for 1 recipient\(s\): next try in 0\.2 s'
        }
        finally { $server.Dispose() }
    }

    It 'does not retry a first connection nothing listens for: no retry wait, ConnectionFailed at once' {
        $port = [SmtpHandler.Testing.SmtpTestServer]::FreePort()
        $run = Invoke-Captured "Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $port -From ops@example.test -To ann@example.test -Subject R -Body x -Verbose"

        $run.Output[0].ErrorId | Should -Be 'ConnectionFailed'
        $run.Errors.Count | Should -Be 1
        ($run.Verbose -join "`n") | Should -Not -Match 'Retry|Retrying'
        @($run.Progress | Where-Object { $_.StatusDescription -match 'waiting' }).Count | Should -Be 0
    }

    It 'lets a Send-MailMessage style fallback loop move on to the next server' {
        $server = New-LimitedServer
        try {
            $servers = "127.0.0.1:$([SmtpHandler.Testing.SmtpTestServer]::FreePort())", "127.0.0.1:$($server.Port)"
            $used = $null
            foreach ($s in $servers) {
                $hostName, $port = $s -split ':'
                try {
                    $null = Send-SmtpMessage -SmtpServer $hostName -Port $port -From 'ops@example.test' -To 'ann@example.test' -Subject 'Fallback' -Body 'x' -ErrorAction Stop
                    $used = $s
                    break
                }
                catch { }
            }

            $used | Should -Be $servers[1]
            $server.DeliveriesTo('ann@example.test') | Should -Be 1
        }
        finally { $server.Dispose() }
    }
}

Describe 'The day budget on Send-SmtpMessage' {
    It 'sends no more than -RecipientsPerDay and offers the rest to no server' {
        $server = New-LimitedServer
        try {
            $results = Get-Address 'day' 8 | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $server.Port -From 'ops@example.test' -Subject 'D {Address}' -Body 'x' -Individual -RecipientsPerDay 5 -ErrorVariable errors -ErrorAction SilentlyContinue

            @($results | Where-Object Status -EQ 'Sent').Count | Should -Be 5
            @($results | Where-Object ErrorId -EQ 'QuotaExceeded').Count | Should -Be 3
            $errors.Count | Should -Be 1
            $errors[0].Exception.Message | Should -Match 'RecipientsPerDay'
            $server.CountCommands('MAIL') | Should -Be 5
        }
        finally { $server.Dispose() }
    }
}
