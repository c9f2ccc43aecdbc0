# Send-SmtpMessage as a drop-in for Send-MailMessage (issue 19): what a script switched over with
# `Set-Alias Send-MailMessage Send-SmtpMessage` sees, against the shared SMTP test server.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    $script:Server = Start-TestSmtpServer -RejectRecipient '^refused'
    $script:Port = $Server.Port
    # A port where nothing listens, reached without retries: the quickest connection failure.
    $script:ClosedPort = [SmtpHandler.Testing.SmtpTestServer]::FreePort()
    $script:Closed = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $ClosedPort -RetryCount 0
    Set-Alias -Name Send-MailMessage -Value Send-SmtpMessage -Scope Script
    $script:Mail = @{ From = 'ops@example.test'; To = 'ann@example.test'; Subject = 'Drop-in'; Body = 'x'; SmtpServer = '127.0.0.1'; Port = $Port }
}

AfterAll {
    $Server.Dispose()
}

Describe 'Output: results only with -PassThru when called as Send-MailMessage' {
    It 'writes nothing under the name Send-MailMessage, so a function keeps its return value' {
        function Send-Report { Send-MailMessage @Mail; return $true }
        $before = $Server.Delivered.Count
        $returned = Send-Report
        $returned | Should -BeExactly $true
        @($returned).Count | Should -Be 1
        $Server.Delivered.Count | Should -Be ($before + 1)
    }

    It 'writes the result with -PassThru under the name Send-MailMessage' {
        $result = Send-MailMessage @Mail -PassThru
        $result | Should -BeOfType ([SmtpHandler.SmtpSendResult])
        $result.Status | Should -Be 'Sent'
    }

    It 'lets $PSDefaultParameterValues choose once for a session' {
        $PSDefaultParameterValues = @{ 'Send-MailMessage:PassThru' = $true }
        (Send-MailMessage @Mail).Status | Should -Be 'Sent'
        $PSDefaultParameterValues = @{ 'Send-SmtpMessage:PassThru' = $false }
        Send-SmtpMessage @Mail | Should -BeNullOrEmpty
    }

    It 'writes the result under its own name, and nothing with -PassThru:$false' {
        (Send-SmtpMessage @Mail).Status | Should -Be 'Sent'
        $before = $Server.Delivered.Count
        Send-SmtpMessage @Mail -PassThru:$false | Should -BeNullOrEmpty
        $Server.Delivered.Count | Should -Be ($before + 1)
    }
}

Describe 'Pipeline input by property name, as Send-MailMessage declares it' {
    It 'sends an object that carries From, To, Subject and Body' {
        $result = [pscustomobject]@{ From = 'sender@example.test'; To = 'bob@example.test'; Subject = 'From the pipe'; Body = 'Body from the pipe' } |
            Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port
        $result.Status | Should -Be 'Sent'
        $sent = $Server.Delivered[-1]
        $sent.From | Should -Be 'sender@example.test'
        $sent.To | Should -Be @('bob@example.test')
        $sent.Data | Should -Match '(?m)^Subject: From the pipe\r?$'
        $sent.Data | Should -Match 'Body from the pipe'
    }

    It 'takes the server and port from the object too' {
        $result = [pscustomobject]@{ From = 'sender@example.test'; To = 'bob@example.test'; Subject = 'Server from the pipe'; Body = 'x'; SmtpServer = '127.0.0.1'; Port = $Port } | Send-SmtpMessage
        $result.Status | Should -Be 'Sent'
        $Server.Delivered[-1].Data | Should -Match 'Server from the pipe'
    }

    It 'gives each item its own From, Subject and Body with -Individual' {
        $before = $Server.Delivered.Count
        @(
            [pscustomobject]@{ From = 'one@example.test'; To = 'x1@example.test'; Subject = 'First'; Body = 'Body one' }
            [pscustomobject]@{ From = 'two@example.test'; To = 'x2@example.test'; Subject = 'Second'; Body = 'Body two' }
        ) | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port -Individual | Out-Null
        $sent = $Server.Delivered[$before..($before + 1)]
        $sent[0].From | Should -Be 'one@example.test'
        $sent[0].Data | Should -Match 'Subject: First'
        $sent[0].Data | Should -Match 'Body one'
        $sent[1].From | Should -Be 'two@example.test'
        $sent[1].Data | Should -Match 'Subject: Second'
        $sent[1].Data | Should -Match 'Body two'
    }

    It 'refuses items that give different senders without -Individual, before sending anything' {
        $before = $Server.Delivered.Count
        {
            @(
                [pscustomobject]@{ From = 'one@example.test'; To = 'x1@example.test' }
                [pscustomobject]@{ From = 'two@example.test'; To = 'x2@example.test' }
            ) | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port -Subject 's' -Body 'b'
        } | Should -Throw -ErrorId 'PerItemValueNeedsIndividual,*'
        $Server.Delivered.Count | Should -Be $before
    }

    It 'refuses items that name different servers, in every mode' {
        {
            @(
                [pscustomobject]@{ To = 'x1@example.test'; SmtpServer = '127.0.0.1' }
                [pscustomobject]@{ To = 'x2@example.test'; SmtpServer = 'localhost' }
            ) | Send-SmtpMessage -From 'ops@example.test' -Subject 's' -Body 'b' -Individual -Port $Port
        } | Should -Throw -ErrorId 'PerItemConnectionDiffers,*'
    }

    It 'never lets item data move a -Config login to another host: the config''s server and port win (<Case>)' -ForEach @(
        @{ Case = 'ComputerName and Port'; Item = @{ ComputerName = '127.0.0.1'; PortFromItem = $true } }
        @{ Case = 'Port only'; Item = @{ PortFromItem = $true } }
    ) {
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.AuthMechanisms = 'PLAIN LOGIN'
        $login = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        $other = Start-TestSmtpServer
        try {
            $credential = [pscredential]::new('relay-user', (ConvertTo-SecureString 'relay-secret' -AsPlainText -Force))
            $cfg = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $login.Port -Credential $credential -AllowUnencryptedAuthentication -RetryCount 0
            $rows = 'ann@example.test', 'bob@example.test' | ForEach-Object {
                $row = [ordered]@{ To = $_ }
                if ($Item.ContainsKey('ComputerName')) { $row.ComputerName = $Item.ComputerName }
                if ($Item.PortFromItem) { $row.Port = $other.Port }
                [pscustomobject]$row
            }
            $result = $rows | Send-SmtpMessage -Config $cfg -Individual -From 'ops@example.test' -Subject 'Per row' -Body 'b' -WarningVariable warned -WarningAction SilentlyContinue
            @($result).Status | Should -Be @('Sent', 'Sent')
            $other.Connections | Should -Be 0
            $login.Delivered.Count | Should -Be 2
            @($login.Sessions | Where-Object AuthenticatedUser -EQ 'relay-user').Count | Should -BeGreaterThan 0
            ($warned -join ' ') | Should -Match 'ignored'
        }
        finally {
            $login.Dispose()
            $other.Dispose()
        }
    }

    It 'keeps a row whose Cc cell is empty, and copies the rows that name one' {
        $rows = "To,Cc`nann@example.test,`nbob@example.test,boss@example.test" | ConvertFrom-Csv
        $result = $rows | Send-SmtpMessage -From 'ops@example.test' -Subject 'Rows' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.Status | Should -Be 'Sent'
        $Server.Delivered[-1].To | Sort-Object | Should -Be @('ann@example.test', 'bob@example.test', 'boss@example.test')
        $Server.Delivered[-1].Data | Should -Match '(?m)^Cc: boss@example.test'
    }

    It 'names a Cc that many rows repeat once in the header (case aside)' {
        $rows = "To,Cc`nann@example.test,boss@example.test`nbob@example.test,Boss@Example.test`ncy@example.test,boss@example.test" | ConvertFrom-Csv
        $result = $rows | Send-SmtpMessage -From 'ops@example.test' -Subject 'Rows' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port
        $result.Status | Should -Be 'Sent'
        $header = [regex]::Match($Server.Delivered[-1].Data, '(?m)^Cc:.*$').Value
        ([regex]::Matches($header, '(?i)boss@example\.test')).Count | Should -Be 1
    }

    It 'reports a missing sender as an error that -ErrorAction governs' {
        $before = $Server.Delivered.Count
        [pscustomobject]@{ To = 'x@example.test'; Subject = 's'; Body = 'b' } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port -ErrorAction SilentlyContinue -ErrorVariable problems
        @($problems).Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NoSender,*'
        { [pscustomobject]@{ To = 'x@example.test'; Subject = 's'; Body = 'b' } | Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $Port -ErrorAction Stop } | Should -Throw -ErrorId 'NoSender,*'
        $Server.Delivered.Count | Should -Be $before
    }

    It 'still refuses an empty -From on the command line' -ForEach @(@{ Value = '' }, @{ Value = $null }) {
        { Send-SmtpMessage -From $Value -To 'a@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}

Describe 'What a catch sees' {
    BeforeDiscovery {
        $script:Styles = @(@{ Style = '-ErrorAction Stop' }, @{ Style = '$ErrorActionPreference = Stop' })
    }

    BeforeAll {
        function script:Invoke-Caught {
            # Runs $Send as a Send-MailMessage script would, in the given style, and returns what each catch saw.
            param([scriptblock] $Send, [string] $Style)
            try {
                if ($Style -eq '-ErrorAction Stop') { & $Send -ErrorAction Stop }
                else { $ErrorActionPreference = 'Stop'; & $Send }
                'nothing thrown'
            }
            catch [System.Net.Mail.SmtpFailedRecipientsException] { [pscustomobject]@{ Catch = 'SmtpFailedRecipientsException'; Error = $_ } }
            catch [System.FormatException] { [pscustomobject]@{ Catch = 'FormatException'; Error = $_ } }
            catch [System.Net.Mail.SmtpException] { [pscustomobject]@{ Catch = 'SmtpException'; Error = $_ } }
            catch { [pscustomobject]@{ Catch = 'other'; Error = $_ } }
        }
    }

    It 'catches a refused connection as SmtpException (<Style>)' -ForEach $Styles {
        $seen = Invoke-Caught -Style $Style -Send { param($ErrorAction) Send-MailMessage -Config $Closed -From 'ops@example.test' -To 'a@example.test' -Subject 's' -Body 'b' @PSBoundParameters }
        $seen.Catch | Should -Be 'SmtpException'
        $seen.Error.FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
        $seen.Error.Exception.ErrorId | Should -Be 'ConnectionFailed'
    }

    It 'catches a refused recipient as SmtpFailedRecipientException and ...Recipients, with the address and code (<Style>)' -ForEach $Styles {
        $seen = Invoke-Caught -Style $Style -Send { param($ErrorAction) Send-MailMessage -From 'ops@example.test' -To 'refused@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port @PSBoundParameters }
        $seen.Catch | Should -Be 'SmtpFailedRecipientsException'
        $seen.Error.Exception | Should -BeOfType ([System.Net.Mail.SmtpFailedRecipientException])
        $seen.Error.Exception | Should -BeOfType ([System.Net.Mail.SmtpException])
        $seen.Error.Exception.FailedRecipient | Should -Be 'refused@example.test'
        [int]$seen.Error.Exception.StatusCode | Should -Be 550
        $seen.Error.FullyQualifiedErrorId | Should -BeLike 'RecipientRejected,*'
    }

    It 'catches an invalid address as FormatException (<Style>)' -ForEach $Styles {
        $seen = Invoke-Caught -Style $Style -Send { param($ErrorAction) Send-MailMessage -From 'ops@example.test' -To 'not-an-address' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port @PSBoundParameters }
        $seen.Catch | Should -Be 'FormatException'
        $seen.Error.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress,*'
        $seen.Error.Exception.ErrorId | Should -Be 'InvalidMailAddress'
    }

    It 'reaches each catch as a script writes it, without helpers' {
        $caught = @()
        try { Send-MailMessage -From 'ops@example.test' -To 'refused@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -ErrorAction Stop }
        catch [System.Net.Mail.SmtpFailedRecipientException] { $caught += 'recipient' }
        try { Send-MailMessage -From 'ops@example.test' -To 'not-an-address' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -ErrorAction Stop }
        catch [System.FormatException] { $caught += 'format' }
        $ErrorActionPreference = 'Stop'
        try { Send-MailMessage -Config $Closed -From 'ops@example.test' -To 'a@example.test' -Subject 's' -Body 'b' }
        catch [System.Net.Mail.SmtpException] { $caught += 'smtp' }
        $caught | Should -Be @('recipient', 'format', 'smtp')
    }

    It 'gives a refused session the server''s reply code as StatusCode, as the built-in did (<Reply>)' -ForEach @(
        @{ Reply = '421 4.3.2 Service busy, try later'; Status = 'ServiceNotAvailable' }
        @{ Reply = '554 5.3.2 No service here'; Status = 'TransactionFailed' }
    ) {
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.Script = [SmtpHandler.Testing.ServerScript]::At('CONNECT', [SmtpHandler.Testing.ServerAction]::Reply($Reply))
        $refusing = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        try {
            $caught = $null
            try { Send-MailMessage -Config (New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $refusing.Port -RetryCount 0) -From 'ops@example.test' -To 'a@example.test' -Subject 's' -Body 'b' -ErrorAction Stop }
            catch [System.Net.Mail.SmtpException] { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'ServerRefusedConnection,*'
            $caught.Exception.StatusCode | Should -Be $Status
            $caught.Exception.StatusCode -eq $Status | Should -BeTrue
        }
        finally { $refusing.Dispose() }
    }

    It 'catches an -Individual item''s invalid sender as FormatException, with the item named' {
        $caught = $null
        try {
            [pscustomobject]@{ From = 'no sender'; To = 'a@example.test' } |
                Send-SmtpMessage -Individual -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -ErrorAction Stop
        }
        catch [System.FormatException] { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress,*'
        $caught.Exception.Message | Should -Match 'Pipeline item 1'
    }

    It 'catches an invalid sender as FormatException, as Send-MailMessage threw it' {
        { Send-MailMessage -From 'no sender' -To 'a@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port } | Should -Throw -ExceptionType ([System.FormatException])
    }
}

Describe 'One TLS switch under both names, and errors that name the cmdlet''s parameters' {
    It 'has -UseSsl and -UseStartTls on <Name>' -ForEach @(@{ Name = 'Send-SmtpMessage' }, @{ Name = 'New-SmtpHandlerConfig' }, @{ Name = 'Test-SmtpConnection' }) {
        $parameters = (Get-Command $Name).Parameters
        $names = $parameters.Keys + ($parameters.Values | ForEach-Object Aliases)
        $names | Should -Contain 'UseSsl'
        $names | Should -Contain 'UseStartTls'
    }

    It 'makes the same STARTTLS configuration from either name' {
        (New-SmtpHandlerConfig -Port 587 -UseSsl).TlsMode | Should -Be 'StartTls'
        (New-SmtpHandlerConfig -Port 587 -UseStartTls).TlsMode | Should -Be 'StartTls'
    }

    It 'refuses a plaintext credential naming -UseSsl, which Send-SmtpMessage has' {
        $credential = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        $err = { Send-SmtpMessage @Mail -Credential $credential -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match '-UseSsl'
        (Get-Command Send-SmtpMessage).Parameters.Keys | Should -Contain 'UseSsl'
    }
}

Describe 'Trust and client-certificate parameters on Send-SmtpMessage' {
    BeforeAll {
        $script:Certs = New-TestCertificateSet -Directory (Join-Path $TestDrive 'certs')
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
        $script:TlsServer = Start-TestSmtpServer -Certificate $certificate -Extension 'PIPELINING', '8BITMIME', 'STARTTLS'
    }

    AfterAll { $TlsServer.Dispose() }

    It 'has every TLS parameter of New-SmtpHandlerConfig on <Name>' -ForEach @(@{ Name = 'Send-SmtpMessage' }, @{ Name = 'Test-SmtpConnection' }) {
        $tls = 'TrustedCertificatePath', 'ClientCertificatePath', 'ClientCertificateKeyPath', 'ClientCertificatePassword', 'CheckCertificateRevocation', 'TlsProtocol'
        foreach ($p in $tls) { (Get-Command New-SmtpHandlerConfig).Parameters.Keys | Should -Contain $p }
        foreach ($p in $tls) { (Get-Command $Name).Parameters.Keys | Should -Contain $p }
    }

    It 'trusts a private CA given with -TrustedCertificatePath, as a Send-MailMessage script with -UseSsl' {
        $result = Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'Trusted' -Body 'b' -SmtpServer localhost -Port $TlsServer.Port -UseSsl -TrustedCertificatePath $Certs.CaPem -PassThru
        $result.Status | Should -Be 'Sent'
        $TlsServer.Delivered.Count | Should -Be 1
    }

    It 'lays -TlsProtocol over -Config''s: a TLS 1.3 configuration fails against a TLS 1.2 server, and -TlsProtocol Tls12 sends' {
        $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
        $options.Extensions.Add('STARTTLS')
        $options.Certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
        $options.TlsProtocols = [System.Security.Authentication.SslProtocols]::Tls12
        $tls12 = [SmtpHandler.Testing.SmtpTestServer]::new($options)
        try {
            $config = New-SmtpHandlerConfig -SmtpServer localhost -Port $tls12.Port -UseStartTls -TrustedCertificatePath $Certs.CaPem -TlsProtocol Tls13 -RetryCount 0
            $message = @{ From = 'ops@example.test'; To = 'ann@example.test'; Subject = 'Protocol'; Body = 'b' }
            { Send-SmtpMessage -Config $config @message -ErrorAction Stop } | Should -Throw
            $tls12.Delivered.Count | Should -Be 0
            (Send-SmtpMessage -Config $config @message -TlsProtocol Tls12).Status | Should -Be 'Sent'
            $tls12.Delivered.Count | Should -Be 1
        }
        finally { $tls12.Dispose() }
    }

    It 'still refuses the same server without it (nothing switches verification off)' {
        $err = { Send-SmtpMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'Untrusted' -Body 'b' -SmtpServer localhost -Port $TlsServer.Port -UseSsl -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception | Should -BeOfType ([System.Net.Mail.SmtpException])
        $err.Exception.Message | Should -Match 'TrustedCertificatePath'
    }

    It 'pairs a client certificate given on the command line with its own key and password, never -Config''s (<Case>)' -ForEach @(
        @{ Case = 'PFX over a config with PEM and key'; Pfx = $true }
        @{ Case = 'PEM and key over a config with PFX and password'; Pfx = $false }
    ) {
        $password = ConvertTo-SecureString $Certs.ClientPassword -AsPlainText -Force
        $closedTls = @{ SmtpServer = '127.0.0.1'; Port = $ClosedPort; UseTls = $true; RetryCount = 0 }
        if ($Pfx) {
            $cfg = New-SmtpHandlerConfig @closedTls -ClientCertificatePath $Certs.ClientPem -ClientCertificateKeyPath $Certs.ClientKey
            $given = @{ ClientCertificatePath = $Certs.ClientPfx; ClientCertificatePassword = $password }
        }
        else {
            $cfg = New-SmtpHandlerConfig @closedTls -ClientCertificatePath $Certs.ClientPfx -ClientCertificatePassword $password
            $given = @{ ClientCertificatePath = $Certs.ClientPem; ClientCertificateKeyPath = $Certs.ClientKey }
        }
        $err = { Send-SmtpMessage -Config $cfg @given -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' -ErrorAction Stop } | Should -Throw -PassThru
        # The certificate files load as given; only the closed port stops the send.
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
    }

    It 'names the parameter when a certificate path matches no file' {
        $err = { Send-SmtpMessage @Mail -TrustedCertificatePath (Join-Path $TestDrive 'missing.pem') } | Should -Throw -ErrorId 'PathNotFound,*' -PassThru
        $err.Exception.Message | Should -Match 'TrustedCertificatePath'
    }
}

Describe 'Piped paths are never dropped silently' {
    BeforeAll {
        $script:Report = Join-Path $TestDrive 'report.txt'
        Set-Content -Path $Report -Value 'REPORT-CONTENT'
    }

    It 'stops, saying how to attach it, when a piped string names a file under the name Send-SmtpMessage' {
        $before = $Server.Delivered.Count
        $err = { $Report | Send-SmtpMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port } | Should -Throw -ErrorId 'PipedPathNotAnAddress,*' -PassThru
        $err.Exception.Message | Should -Match '-Attachments'
        $err.Exception.Message | Should -Match 'Get-Item'
        $Server.Delivered.Count | Should -Be $before
    }

    It 'attaches piped strings under the name Send-MailMessage, as the built-in did' {
        $Report | Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'Piped path' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port
        $data = $Server.Delivered[-1].Data
        $data | Should -Match 'filename=report.txt'
        $data | Should -Match 'Subject: Piped path'
    }

    It 'attaches an item''s PsPath under the name Send-MailMessage' {
        [pscustomobject]@{ PSPath = "Microsoft.PowerShell.Core\FileSystem::$Report" } | Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'PsPath' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port
        $Server.Delivered[-1].Data | Should -Match 'filename=report.txt'
    }

    It 'stops, as the built-in did, when a piped string under the name Send-MailMessage names no file' {
        { 'no-such-file.txt' | Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port } | Should -Throw -ErrorId 'AttachmentNotFound,*'
    }
}

Describe 'No server given' {
    It 'stops under the name Send-MailMessage, as the built-in did, and sends nothing' {
        $before = $Server.Delivered.Count
        { Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' } | Should -Throw -ErrorId 'NoSmtpServer,*'
        $Server.Delivered.Count | Should -Be $before
    }

    It 'uses $PSEmailServer under the name Send-MailMessage' {
        $PSEmailServer = '127.0.0.1'
        $result = Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'PSEmailServer' -Body 'b' -Port $Port -PassThru
        $result.Status | Should -Be 'Sent'
    }

    It 'goes to localhost:25 under its own name (the handler''s default)' {
        $verbose = Send-SmtpMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' -WhatIf -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n" | Should -Match 'localhost:25'
    }
}

Describe 'Hints where a Send-MailMessage habit would surprise' {
    It 'warns that {Name} in a subject is sent as written without -Individual' {
        Send-SmtpMessage @Mail -Subject 'Hello {Name}' -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        "$warnings" | Should -Match '-Individual'
        $Server.Delivered[-1].Data | Should -Match 'Subject: Hello \{Name\}'
    }

    It 'hints at -PipelineAs Bcc and -Individual when many piped recipients share To, once, and not when -PipelineAs is given' {
        $many = 1..12 | ForEach-Object { "r$_@example.test" }
        $many | Send-SmtpMessage -From 'ops@example.test' -Subject 'Many' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match '-PipelineAs Bcc'
        $many | Send-SmtpMessage -From 'ops@example.test' -Subject 'Many' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -PipelineAs To -WarningVariable quiet | Out-Null
        $quiet | Should -BeNullOrEmpty
        'a@example.test', 'b@example.test' | Send-SmtpMessage -From 'ops@example.test' -Subject 'Few' -Body 'b' -SmtpServer 127.0.0.1 -Port $Port -WarningVariable few | Out-Null
        $few | Should -BeNullOrEmpty
    }

    It 'completes -Encoding names as the built-in does' {
        $line = 'Send-SmtpMessage -Encoding utf'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'utf8'
        $completions | Should -Contain 'utf8BOM'
        $completions | Should -Not -Contain 'ascii'
    }

    It 'says the others are sent to only when there are others' {
        Send-SmtpMessage @Mail -To 'not-an-address', 'ann@example.test' -ErrorVariable some -ErrorAction SilentlyContinue | Out-Null
        "$some" | Should -Match 'the other recipients are sent to'
        Send-SmtpMessage @Mail -To 'not-an-address' -ErrorVariable none -ErrorAction SilentlyContinue | Out-Null
        "$none" | Should -Not -Match 'other recipients'
        "$none" | Should -Match 'not sent'
    }
}

Describe 'A script written for Send-MailMessage, aliased in a fresh pwsh' {
    It 'keeps its function''s return value and its catch of SmtpException' {
        $script = @"
Import-Module '$ModulePath'
Set-Alias Send-MailMessage Send-SmtpMessage
function Send-Status {
    param([int] `$Port)
    try {
        Send-MailMessage -From 'ops@example.test' -To 'ann@example.test' -Subject 'Nightly' -Body 'ok' -SmtpServer 127.0.0.1 -Port `$Port -ErrorAction Stop
        return `$true
    }
    catch [System.Net.Mail.SmtpException] {
        Write-Output "caught:`$(`$_.Exception.GetType().BaseType.Name)"
        return `$false
    }
}
`$ok = Send-Status -Port $Port
"ok=`$ok;count=`$(@(`$ok).Count)"
`$PSEmailServer = '127.0.0.1'
`$failed = Send-Status -Port $ClosedPort
"failed=`$(`$failed -join ',')"
"@
        $run = Invoke-NewPwsh -Script $script
        $run.Error | Should -BeNullOrEmpty
        $run.Output | Should -Match 'ok=True;count=1'
        $run.Output | Should -Match 'failed=caught:SmtpException,False'
    }
}
