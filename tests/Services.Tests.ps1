# New-SmtpHandlerConfig -Service: each service's documented endpoint and limits, where each value came from, and a
# worked example per service against the shared test server scripted to answer like that service (STARTTLS with a
# test CA, the service's limit and quota replies).
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-services-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
    $script:ServerCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)

    function New-ServiceServer {
        # A STARTTLS test server (certificate from the test CA) with the limits given as SmtpTestServerOptions properties.
        param([hashtable] $Option = @{})
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.Certificate = $ServerCert
        foreach ($key in $Option.Keys) { $options.$key = $Option[$key] }
        [SmtpHandler.Testing.SmtpTestServer]::new($options)
    }

    function Get-Address([string] $Prefix, [int] $Count) { 1..$Count | ForEach-Object { "$Prefix$_@example.test" } }
}

AfterAll { Remove-Item -Recurse -Force $Certs.Directory -ErrorAction SilentlyContinue }

Describe 'New-SmtpHandlerConfig -Service' {
    It 'fills in <Service>: <HostName>:587, STARTTLS and the documented limits' -ForEach @(
        @{ Service = 'ExchangeOnline'; HostName = 'smtp.office365.com'; PerMinute = 30; PerMessage = 500; Connections = 3; PerDay = 10000 }
        @{ Service = 'ExchangeOnlineHve'; HostName = 'smtp.hve.mx.microsoft'; PerMinute = 0; PerMessage = 500; Connections = 0; PerDay = 100000 }
        @{ Service = 'AzureCommunicationServices'; HostName = 'smtp.azurecomm.net'; PerMinute = 30; PerMessage = 50; Connections = 250; PerDay = 0 }
        @{ Service = 'Gmail'; HostName = 'smtp.gmail.com'; PerMinute = 0; PerMessage = 100; Connections = 0; PerDay = 10000 }
    ) {
        $config = New-SmtpHandlerConfig -Service $Service

        $config.Service | Should -Be $Service
        $config.SmtpServer | Should -Be $HostName
        $config.Port | Should -Be 587
        $config.TlsMode | Should -Be 'StartTls'
        $config.MaxMessagesPerMinute | Should -Be $PerMinute
        $config.RecipientsPerMessage | Should -Be $PerMessage
        $config.MaxConnections | Should -Be $Connections
        $config.RecipientsPerDay | Should -Be $PerDay
    }

    It 'lets every value be given instead, and Format-List says where each limit came from' {
        $config = New-SmtpHandlerConfig -Service ExchangeOnline -SmtpServer 127.0.0.1 -Port 2587 -MaxMessagesPerMinute 20 -RecipientsPerDay 0
        $text = $config | Format-List | Out-String

        $config.SmtpServer | Should -Be '127.0.0.1'
        $config.Port | Should -Be 2587
        $config.TlsMode | Should -Be 'StartTls'
        $text | Should -Match 'Service\s+: ExchangeOnline'
        $text | Should -Match 'MaxMessagesPerMinute\s+: 20 \(given\)'
        $text | Should -Match 'RecipientsPerMessage\s+: 500 \(ExchangeOnline default\)'
        $text | Should -Match 'MaxConnections\s+: 3 \(ExchangeOnline default\)'
        $text | Should -Match 'RecipientsPerDay\s+: none \(given\)'
    }

    It 'takes the same overrides from -FromHashtable; port 465 then means implicit TLS' {
        $config = New-SmtpHandlerConfig -FromHashtable @{ Service = 'Gmail'; Port = 465; RecipientsPerMessage = 50 }

        $config.SmtpServer | Should -Be 'smtp.gmail.com'
        $config.Port | Should -Be 465
        $config.TlsMode | Should -Be 'ImplicitTls'
        $config.DescribeLimit('RecipientsPerMessage') | Should -Be '50 (given)'
    }

    It 'shows no service and no limits without -Service' {
        $text = New-SmtpHandlerConfig -SmtpServer mail.example.test | Format-List | Out-String
        $text | Should -Match 'Service\s+: \(none\)'
        $text | Should -Match 'MaxMessagesPerMinute\s+: none'
    }
}

Describe 'Worked examples, one per service, against a server that answers like it' {
    It 'ExchangeOnline: 4 connections asked, capped at 3; the 4th refused with 432 never happens; 30/minute overridden to 600' {
        $server = New-ServiceServer @{ MaxConcurrentSessions = 3; RefuseConcurrencyAtMail = $true; ConcurrencyReply = '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded' }
        try {
            $config = New-SmtpHandlerConfig -Service ExchangeOnline -SmtpServer 127.0.0.1 -Port $server.Port -TrustedCertificatePath $Certs.CaPem -MaxMessagesPerMinute 600
            $results = Get-Address 'exo' 9 | Send-SmtpMessage -Config $config -From 'ops@example.test' -Subject 'E {Address}' -Body 'x' -Individual -ConnectionCount 4 -Verbose 4>&1

            $sent = @($results | Where-Object { $_ -is [SmtpHandler.SmtpSendResult] })
            $verbose = ($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            @($sent | Where-Object Status -EQ 'Sent').Count | Should -Be 9
            $verbose | Should -Match 'ConnectionCount 4 is capped at 3, the most connections ExchangeOnline allows at once'
            $server.Sessions.Count | Should -Be 3
            $server.RefusedSessions | Should -Be 0
            @($server.Sessions | Where-Object { -not $_.Encrypted }).Count | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'ExchangeOnline: the daily quota reply (554 5.2.0 SubmissionQuotaExceeded) stops the rest with QuotaExceeded' {
        $server = New-ServiceServer @{ RecipientQuota = 4 }
        try {
            $config = New-SmtpHandlerConfig -Service ExchangeOnline -SmtpServer 127.0.0.1 -Port $server.Port -TrustedCertificatePath $Certs.CaPem -MaxMessagesPerMinute 0
            $results = Get-Address 'exq' 7 | Send-SmtpMessage -Config $config -From 'ops@example.test' -Subject 'Q {Address}' -Body 'x' -Individual -ErrorAction SilentlyContinue -ErrorVariable errors

            @($results | Where-Object Status -EQ 'Sent').Count | Should -Be 4
            @($results | Where-Object ErrorId -EQ 'QuotaExceeded').Count | Should -Be 3
            $errors.Count | Should -Be 1
            $errors[0].Exception.Message | Should -Match 'SubmissionQuotaExceededException'
        }
        finally { $server.Dispose() }
    }

    It 'ExchangeOnlineHve: 550 5.5.105 stops the send; the recipients not sent say why' {
        $server = New-ServiceServer @{ RecipientQuota = 2; QuotaReply = '550 5.5.105 Recipient is not allowed for this account: the external recipient allowance is used up' }
        try {
            $config = New-SmtpHandlerConfig -Service ExchangeOnlineHve -SmtpServer 127.0.0.1 -Port $server.Port -TrustedCertificatePath $Certs.CaPem
            $result = Send-SmtpMessage -Config $config -From 'app@example.test' -To (Get-Address 'hve' 5) -Subject 'HVE' -Body 'x' -RecipientsPerMessage 1 -ErrorAction SilentlyContinue

            $result.Accepted.Count | Should -Be 2
            $result.NotAttempted.Count | Should -Be 3
            $result.ErrorId | Should -Be 'QuotaExceeded'
            $result.NotAttempted[0].Reply | Should -Match '5\.5\.105'
        }
        finally { $server.Dispose() }
    }

    It 'AzureCommunicationServices: 120 recipients go as transactions of at most 50, paced at 120/minute' {
        $server = New-ServiceServer
        try {
            $config = New-SmtpHandlerConfig -Service AzureCommunicationServices -SmtpServer 127.0.0.1 -Port $server.Port -TrustedCertificatePath $Certs.CaPem -MaxMessagesPerMinute 120
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $result = Send-SmtpMessage -Config $config -From 'DoNotReply@example.test' -To 'list@example.test' -Bcc (Get-Address 'acs' 119) -Subject 'ACS' -Body 'x'
            $clock.Stop()

            $result.Status | Should -Be 'Sent'
            $result.Transactions | Should -Be 3
            $server.Delivered | ForEach-Object { $_.To.Count | Should -BeLessOrEqual 50 }
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.0
        }
        finally { $server.Dispose() }
    }

    It 'Gmail: 100 recipients per message; "550 5.4.5 Daily user sending limit exceeded" stops the rest' {
        $server = New-ServiceServer @{ RecipientQuota = 150; QuotaReply = '550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852' }
        try {
            $config = New-SmtpHandlerConfig -Service Gmail -SmtpServer 127.0.0.1 -Port $server.Port -TrustedCertificatePath $Certs.CaPem
            $result = Send-SmtpMessage -Config $config -From 'me@example.test' -To 'me@example.test' -Bcc (Get-Address 'gm' 249) -Subject 'Gmail' -Body 'x' -ErrorAction SilentlyContinue

            $result.Accepted.Count | Should -Be 150
            $result.NotAttempted.Count | Should -Be 100
            $result.ErrorId | Should -Be 'QuotaExceeded'
            $server.Delivered | ForEach-Object { $_.To.Count | Should -BeLessOrEqual 100 }
        }
        finally { $server.Dispose() }
    }
}
