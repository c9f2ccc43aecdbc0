# Test-SmtpConnection as the Microsoft 365 setup doctor: the access token's claims (tokens issued by the test token
# endpoint, a real HTTPS server, with chosen claims) and Exchange Online's refusals (scripted on the shared SMTP test
# server, a real SMTP server), each a finding that names the fix; and no token in any output stream.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([IO.Path]::GetTempPath()) "smtphandler-doctor-$([guid]::NewGuid().ToString('N'))")
    $script:ServerCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
    $script:User = 'reports@contoso.test'
    $script:Tenant = '8d3a56b2-1f4c-4b7e-9a0d-5e6f7a8b9c0d'
    $script:AppId = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

    function ConvertTo-Secure([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }

    function New-DoctorConfig {
        # Implicit TLS to the scripted server, its CA trusted through the module's own parameter.
        param([Parameter(Mandatory)] $Server, [hashtable] $Extra = @{})
        New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port -UseTls -TrustedCertificatePath $Certs.CaPem `
            -DefaultFrom $User -RetryCount 0 -RetryDelay 0 -Timeout 10 @Extra
    }

    function New-ClientCredentialsConfig($Server, $Endpoint) {
        New-DoctorConfig -Server $Server -Extra @{ OAuthUserName = $User; TenantId = $Tenant; ClientId = $AppId; ClientSecret = (ConvertTo-Secure 'doctor-secret'); TokenEndpoint = $Endpoint.Url }
    }

    function Get-Finding($Report, [string] $Id) { @($Report.Findings | Where-Object Id -EQ $Id) }

    # The claims of an app-only Exchange Online token with the SMTP role, as Entra ID issues it (v1).
    $script:GoodClaims = "{`"aud`":`"https://outlook.office365.com`",`"iss`":`"https://sts.windows.net/$Tenant/`",`"tid`":`"$Tenant`",`"appid`":`"$AppId`",`"idtyp`":`"app`",`"roles`":[`"SMTP.SendAsApp`"],`"ver`":`"1.0`"}"
}

AfterAll {
    if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'The access token''s claims, from tokens the test token endpoint issues' {
    BeforeEach {
        $script:Endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert, $Tenant)
        $script:Smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $User
    }

    AfterEach {
        $Endpoint.Dispose()
        $Smtp.Dispose()
    }

    It 'reads a good token''s claims, finds nothing wrong, and logs in' {
        $Endpoint.Claims = $GoodClaims
        $Endpoint.TokenSink = $Smtp.Options.AcceptedTokens
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $report.Success | Should -BeTrue
        $report.Authenticated | Should -BeTrue
        $report.TokenClaims.Audience | Should -Be 'https://outlook.office365.com'
        $report.TokenClaims.Roles | Should -Be 'SMTP.SendAsApp'
        $report.TokenClaims.TenantId | Should -Be $Tenant
        $report.TokenClaims.AppId | Should -Be $AppId
        $report.TokenClaims.AppOnly | Should -BeTrue
        $report.TokenClaims.ExpiresOn | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(50))
        @($report.Findings | Where-Object Id -Like 'AccessToken*') | Should -BeNullOrEmpty
        $Endpoint.Requests.Count | Should -Be 1
    }

    It 'finds a Microsoft Graph token: AccessTokenWrongAudience, naming the Exchange Online scope' {
        $Endpoint.Claims = "{`"aud`":`"https://graph.microsoft.com`",`"tid`":`"$Tenant`",`"appid`":`"$AppId`",`"idtyp`":`"app`",`"roles`":[`"Mail.Send`"]}"
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $report.Success | Should -BeFalse
        $report.ErrorId | Should -Be 'AccessTokenWrongAudience'
        $finding = Get-Finding $report 'AccessTokenWrongAudience'
        $finding.Message | Should -Match 'https://graph\.microsoft\.com \(Microsoft Graph\), not for Exchange Online'
        $finding.Advice | Should -Match 'https://outlook\.office365\.com/\.default'
        # The server refused it too (535 5.7.3), as Exchange Online does.
        $report.Authenticated | Should -BeFalse
        $report.AuthenticationReply | Should -Match '^535 5\.7\.3'
    }

    It 'finds an app-only token without SMTP.SendAsApp: the permission, New-ServicePrincipal and Add-MailboxPermission' {
        $Endpoint.Claims = "{`"aud`":`"https://outlook.office365.com`",`"tid`":`"$Tenant`",`"appid`":`"$AppId`",`"idtyp`":`"app`",`"roles`":[`"IMAP.AccessAsApp`"]}"
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $report.ErrorId | Should -Be 'AccessTokenWithoutSmtpPermission'
        $finding = Get-Finding $report 'AccessTokenWithoutSmtpPermission'
        $finding.Message | Should -Match 'carries the roles IMAP\.AccessAsApp, without SMTP\.SendAsApp'
        $finding.Advice | Should -Match 'SMTP\.SendAsApp and grant admin consent'
        $finding.Advice | Should -Match ([regex]::Escape("New-ServicePrincipal -AppId $AppId"))
        $finding.Advice | Should -Match ([regex]::Escape("Add-MailboxPermission -Identity '$User'"))
    }

    It 'finds a user''s token without SMTP.Send, from its scp claim' {
        $Endpoint.Claims = "{`"aud`":`"https://outlook.office.com`",`"tid`":`"$Tenant`",`"azp`":`"$AppId`",`"upn`":`"$User`",`"scp`":`"IMAP.AccessAsUser.All offline_access`"}"
        $token = $Endpoint.NextToken()
        $report = Test-SmtpConnection -Config (New-DoctorConfig -Server $Smtp -Extra @{ OAuthUserName = $User; AccessToken = (ConvertTo-Secure $token) })

        $report.TokenClaims.AppOnly | Should -BeFalse
        $report.TokenClaims.Scopes | Should -Be @('IMAP.AccessAsUser.All', 'offline_access')
        $finding = Get-Finding $report 'AccessTokenWithoutSmtpPermission'
        $finding.Message | Should -Match "for $([regex]::Escape($User)) carries the scopes IMAP\.AccessAsUser\.All offline_access, without SMTP\.Send"
        $finding.Advice | Should -Match 'https://outlook\.office\.com/SMTP\.Send'
    }

    It 'finds an expired token: AccessTokenExpired, with a token source that renews itself as the fix' {
        $Endpoint.Claims = $GoodClaims
        $Endpoint.Lifetime = -600
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $finding = Get-Finding $report 'AccessTokenExpired'
        $finding.Severity | Should -Be 'Warning'
        $finding.Advice | Should -Match 'Get a fresh token'
        $finding.Advice | Should -Match '-AccessTokenScript'
        $report.TokenExpiresOn | Should -BeLessThan ([DateTimeOffset]::UtcNow)
        $report.Authenticated | Should -BeFalse -Because 'the server refuses a token it does not know'
    }

    It 'warns of a token about to expire' {
        $Endpoint.Claims = $GoodClaims
        $Endpoint.Lifetime = 90
        $Endpoint.TokenSink = $Smtp.Options.AcceptedTokens
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $report.Success | Should -BeTrue
        (Get-Finding $report 'AccessTokenExpiringSoon').Message | Should -Match 'expires at .* UTC, in \d+ s'
    }

    It 'reports an opaque token (not a JWT, as Google issues) as not decodable, never as an error' {
        $Endpoint.TokenSink = $Smtp.Options.AcceptedTokens
        $report = Test-SmtpConnection -Config (New-ClientCredentialsConfig $Smtp $Endpoint)

        $report.Success | Should -BeTrue
        $report.TokenClaims | Should -BeNullOrEmpty
        (Get-Finding $report 'AccessTokenNotDecodable').Severity | Should -Be 'Information'
    }
}

Describe 'Exchange Online''s refusals, each a finding that names the missing step' {
    BeforeAll {
        $script:Endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert, $Tenant)
        $Endpoint.Claims = $GoodClaims
    }

    AfterAll { $Endpoint.Dispose() }

    It '<Reply> at <Verb> gives <Id>, naming <Fix>' -ForEach @(
        @{ Verb = 'AUTH'; Login = 'Token'; Reply = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.'; Id = 'SmtpClientAuthenticationDisabled'; Fix = 'Set-CASMailbox -Identity ''reports@contoso.test'' -SmtpClientAuthenticationDisabled $false'; Also = 'Set-TransportConfig -SmtpClientAuthenticationDisabled $false' }
        @{ Verb = 'AUTH'; Login = 'Password'; Reply = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.'; Id = 'SmtpClientAuthenticationDisabled'; Fix = 'Set-CASMailbox -Identity ''reports@contoso.test'' -SmtpClientAuthenticationDisabled $false'; Also = 'Security defaults' }
        @{ Verb = 'AUTH'; Login = 'Password'; Reply = '535 5.7.139 Authentication unsuccessful, user is locked by your organization''s security defaults policy. Contact your administrator.'; Id = 'SmtpAuthenticationBlockedByPolicy'; Fix = 'log in with OAuth'; Also = 'New-SmtpHandlerConfig -TenantId -ClientId' }
        @{ Verb = 'AUTH'; Login = 'Token'; Reply = '535 5.7.3 Authentication unsuccessful [DM6PR01CA0001.namprd01.prod.outlook.com]'; Id = 'AuthenticationFailed'; Fix = 'New-ServicePrincipal -AppId 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'; Also = 'Add-MailboxPermission -Identity ''reports@contoso.test'' -User <the service principal''s id> -AccessRights FullAccess' }
        @{ Verb = 'AUTH'; Login = 'Password'; Reply = '550 5.7.30 Basic authentication is not supported for Client Submission.'; Id = 'BasicAuthenticationNotSupported'; Fix = 'SMTP.SendAsApp'; Also = 'New-ServicePrincipal' }
        @{ Verb = 'MAIL'; Login = 'Token'; Reply = '550 5.7.60 SMTP; Client does not have permissions to send as this sender [DM6PR01CA0001.namprd01.prod.outlook.com]'; Id = 'SendAsDenied'; Fix = 'Add-RecipientPermission -Identity ''shared@contoso.test'' -Trustee ''reports@contoso.test'' -AccessRights SendAs'; Also = 'From header' }
        @{ Verb = 'MAIL'; Login = 'Token'; Reply = '554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception'; Id = 'SendAsDenied'; Fix = 'Add-RecipientPermission'; Also = 'SendAs' }
        @{ Verb = 'MAIL'; Login = 'Token'; Reply = '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=DM6PR01MB0001.namprd01.prod.outlook.com]'; Id = 'ConcurrentConnectionLimit'; Fix = '-ConnectionCount 3 or fewer'; Also = '3 connections at once' }
        @{ Verb = 'MAIL'; Login = 'Token'; Reply = '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception'; Id = 'SubmissionQuotaExceeded'; Fix = 'High Volume Email'; Also = '10,000 recipients' }
        @{ Verb = 'RCPT'; Login = 'Token'; Reply = '550 5.5.105 External recipients are not allowed for this sender'; Id = 'ExternalRecipientNotAllowed'; Fix = 'Azure Communication Services Email'; Also = 'inside the organization' }
    ) {
        $smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $User
        try {
            $Endpoint.TokenSink = $smtp.Options.AcceptedTokens
            $smtp.Options.Users['reports@contoso.test'] = 'p@ss'
            $smtp.Options.Script = [SmtpHandler.Testing.ServerScript]::At($Verb, [SmtpHandler.Testing.ServerAction]::Reply($Reply))
            $config = if ($Login -eq 'Token') { New-ClientCredentialsConfig $smtp $Endpoint }
                else { New-DoctorConfig -Server $smtp -Extra @{ Credential = [pscredential]::new($User, (ConvertTo-Secure 'p@ss')) } }

            $report = Test-SmtpConnection -Config $config -From 'shared@contoso.test' -To 'ann@fabrikam.test'

            $finding = Get-Finding $report $Id
            $finding | Should -HaveCount 1
            $finding.Message | Should -Match ([regex]::Escape(($Reply -replace '\s+$', '')))
            $finding.Advice | Should -Match ([regex]::Escape($Fix))
            $finding.Advice + ' ' + $finding.Message | Should -Match ([regex]::Escape($Also))
            $report.Success | Should -Be ($finding.Severity -ne 'Error')
            @($smtp.Commands.Verb) | Should -Not -Contain 'DATA' -Because 'the doctor never sends a message'
        }
        finally { $smtp.Dispose() }
    }

    It 'has Send-SmtpMessage''s error for <Id> point to Test-SmtpConnection' -ForEach @(
        @{ Verb = 'AUTH'; Reply = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.'; Id = 'SmtpClientAuthenticationDisabled'; ErrorId = 'AuthenticationFailed' }
        @{ Verb = 'MAIL'; Reply = '550 5.7.60 SMTP; Client does not have permissions to send as this sender'; Id = 'SendAsDenied'; ErrorId = 'RecipientRejected' }
    ) {
        $smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $User
        try {
            $Endpoint.TokenSink = $smtp.Options.AcceptedTokens
            $smtp.Options.Script = [SmtpHandler.Testing.ServerScript]::At($Verb, [SmtpHandler.Testing.ServerAction]::Reply($Reply))
            $result = Send-SmtpMessage -Config (New-ClientCredentialsConfig $smtp $Endpoint) -From 'shared@contoso.test' -To 'ann@fabrikam.test' -Subject 'Hint' -Body 'x' -ErrorVariable errors -ErrorAction SilentlyContinue

            $result.Status | Should -Not -Be 'Sent'
            $errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
            $errors[0].Exception.Message | Should -Match ([regex]::Escape("Exchange Online refusal ($Id): Test-SmtpConnection with this configuration"))
            $smtp.Delivered.Count | Should -Be 0
        }
        finally { $smtp.Dispose() }
    }
}

Describe 'No access token in any output stream' {
    It 'shows no token (nor its signature or XOAUTH2 response) in output, error, warning, verbose, debug, information or the protocol log' {
        $endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert, $Tenant)
        $smtp = Start-XOAuth2TestServer -Certificate $ServerCert -User $User
        try {
            $endpoint.Claims = $GoodClaims
            $endpoint.TokenSink = $smtp.Options.AcceptedTokens
            $ready = $endpoint.NextToken()
            $graph = [SmtpHandler.Testing.TestTokenEndpoint]::Jwt("{`"aud`":`"https://graph.microsoft.com`",`"tid`":`"$Tenant`",`"roles`":[`"Mail.Send`"]}", 3599)
            $expired = [SmtpHandler.Testing.TestTokenEndpoint]::Jwt($GoodClaims, -600)
            # With the ready token, a server that quotes it back in its refusal: the one way a token could come back from outside.
            $quiet = [SmtpHandler.Testing.ServerScript]::At('RCPT', [SmtpHandler.Testing.ServerAction]::Reply('550 5.5.105 no external recipients'))
            $echo = [SmtpHandler.Testing.ServerScript]::At('RCPT', [SmtpHandler.Testing.ServerAction]::Reply("550 5.5.105 no external recipients for $ready"))

            $captured = & {
                $ErrorActionPreference = 'Continue'
                $DebugPreference = 'Continue'
                $InformationPreference = 'Continue'
                $WarningPreference = 'Continue'
                $runs = @(
                    @{ Config = New-ClientCredentialsConfig $smtp $endpoint; Script = $quiet }
                    @{ Config = New-DoctorConfig -Server $smtp -Extra @{ OAuthUserName = $User; AccessToken = (ConvertTo-Secure $ready) }; Script = $echo }
                    @{ Config = New-DoctorConfig -Server $smtp -Extra @{ OAuthUserName = $User; AccessToken = (ConvertTo-Secure $graph) }; Script = $quiet }
                    @{ Config = New-DoctorConfig -Server $smtp -Extra @{ OAuthUserName = $User; AccessToken = (ConvertTo-Secure $expired) }; Script = $quiet }
                )
                foreach ($run in $runs) {
                    $config = $run.Config
                    $smtp.Options.Script = $run.Script
                    $report = Test-SmtpConnection -Config $config -From $User -To 'ann@fabrikam.test' -Verbose -Debug
                    $report | Format-List * | Out-String
                    $report | Out-String
                    $report.Transcript -join "`n"
                    $report.Findings | Format-List * | Out-String
                    "$($report.TokenClaims)"
                    Send-SmtpMessage -Config $config -To 'ann@fabrikam.test' -Subject 'Leak check' -Body 'x' -Verbose -Debug | Format-List * | Out-String
                }
            } *>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.Exception.ToString(); $_.ToString() } else { "$_" } } | Out-String -Width 100000

            $captured | Should -Match 'AUTH XOAUTH2 \*{8}' -Because 'the verbose protocol log was captured, the login masked'
            $captured | Should -Match 'AccessTokenWrongAudience' -Because 'the Graph token''s finding was captured'
            $captured | Should -Match 'AccessTokenExpired'
            $captured | Should -Match 'ExternalRecipientNotAllowed'
            $captured | Should -Match 'no external recipients for \*{8}' -Because 'the quoted token was captured, masked'
            $captured | Should -Match 'aud=https://outlook\.office365\.com; roles=SMTP\.SendAsApp' -Because 'the claims are shown, never the token'
            $tokens = @($endpoint.IssuedTokens) + $graph + $expired
            $tokens.Count | Should -BeGreaterOrEqual 4
            foreach ($token in $tokens) {
                $xoauth2 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($User, $token)))
                foreach ($secret in $token, $token.Split('.')[1], $token.Split('.')[2], $xoauth2) {
                    $captured.Contains($secret) | Should -BeFalse -Because "no token, nor its claims' or signature's text, nor its XOAUTH2 response ($($secret.Length) characters) may reach any output"
                }
            }
        }
        finally {
            $endpoint.Dispose()
            $smtp.Dispose()
        }
    }
}
