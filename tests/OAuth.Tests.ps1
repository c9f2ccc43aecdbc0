# OAuth 2.0 (SASL XOAUTH2) through the cmdlets: the test SMTP server checking the exact XOAUTH2 initial
# response and a local HTTPS token endpoint (both from tests/SmtpHandler.Testing, see TestSmtpServer.ps1), TLS certificates
# made at run time and trusted through the module's own -TrustedCertificatePath.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')

    $script:Certs = New-TestCertificateSet -Directory (Join-Path ([IO.Path]::GetTempPath()) "smtphandler-oauth-$([guid]::NewGuid().ToString('N'))")
    $script:ServerCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ServerPfx)
    $script:User = 'reports@contoso.test'

    function New-ScriptedServer([string[]] $Token = @()) {
        Start-XOAuth2TestServer -Certificate $ServerCert -User $User -Token $Token
    }

    function New-OAuthConfig {
        # Implicit TLS to a scripted server, its CA trusted through the module's own parameter.
        param([Parameter(Mandatory)] $Server, [hashtable] $Extra = @{})
        New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port -UseTls -TrustedCertificatePath $Certs.CaPem `
            -OAuthUserName $User -DefaultFrom $User -RetryDelay 0 -Timeout 10 @Extra
    }

    function ConvertTo-Secure([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }

    function ConvertFrom-Base64Url([string] $Text) {
        $b64 = $Text.Replace('-', '+').Replace('_', '/')
        [Convert]::FromBase64String($b64.PadRight($b64.Length + (4 - $b64.Length % 4) % 4, '='))
    }

    function Get-Base64InitialResponse($Server, [string] $Token) {
        [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($User, $Token)))
    }

    function Assert-NoSecret {
        # Fails when any secret (or the base64 XOAUTH2 initial response of a token) appears in the text.
        param([string] $Text, [string[]] $Secret)
        foreach ($s in $Secret | Where-Object { $_ }) {
            $Text.Contains($s) | Should -BeFalse -Because "a secret ($($s.Length) characters, starting '$($s.Substring(0, [Math]::Min(6, $s.Length)))') must never reach any output"
        }
    }
}

AfterAll {
    if ($Certs) { Remove-Item $Certs.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'XOAUTH2 login with a ready token and a token script' {
    It 'logs in with -AccessToken over implicit TLS, sending exactly user=...^Aauth=Bearer TOKEN^A^A' {
        $token = 'ready-token-' + [guid]::NewGuid().ToString('N')
        $server = New-ScriptedServer -Token $token
        try {
            $config = New-OAuthConfig -Server $server -Extra @{ AccessToken = (ConvertTo-Secure $token) }
            $result = Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Static token' -Body 'x'
            $result.Status | Should -Be 'Sent'
            @($server.Logins.Response) | Should -Be @("user=$User$([char]1)auth=Bearer $token$([char]1)$([char]1)")
            @($server.Logins | Where-Object Succeeded).Count | Should -Be 1
        }
        finally { $server.Dispose() }
    }

    It 'calls -AccessTokenScript on the pipeline thread again on each reconnect: 5 transactions, MaxMessagesPerConnection 2, 3 calls' {
        $server = New-ScriptedServer
        $state = @{ Calls = 0; Threads = [System.Collections.Generic.List[int]]::new(); Tokens = [System.Collections.Generic.List[string]]::new() }
        $script = {
            $state.Calls++
            $state.Threads.Add([Environment]::CurrentManagedThreadId)
            $token = "script-token-$($state.Calls)-" + [guid]::NewGuid().ToString('N')
            $state.Tokens.Add($token)
            $null = $server.Options.AcceptedTokens.TryAdd($token, 0)
            ConvertTo-SecureString $token -AsPlainText -Force
        }.GetNewClosure()
        try {
            $config = New-OAuthConfig -Server $server -Extra @{ AccessTokenScript = $script; MaxMessagesPerConnection = 2 }
            $state.Calls | Should -Be 0 -Because 'the script runs when a connection logs in, not when the config is made'
            $result = 'a@example.test', 'b@example.test', 'c@example.test', 'd@example.test', 'e@example.test' |
                Send-SmtpMessage -Config $config -Subject 'Token script' -Body 'x' -RecipientsPerMessage 1
            $result.Status | Should -Be 'Sent'
            $result.Transactions | Should -Be 5
            $server.Delivered.Count | Should -Be 5
            $server.Connections | Should -Be 3
            $state.Calls | Should -Be 3
            @($server.Logins.Response) | Should -Be @($state.Tokens | ForEach-Object { [SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($User, $_) })
            $state.Threads | Select-Object -Unique | Should -Be ([Environment]::CurrentManagedThreadId)
        }
        finally { $server.Dispose() }
    }

    It 'calls -AccessTokenScript on the pipeline thread once per connection with -ConnectionCount 3' {
        $server = New-ScriptedServer
        $state = @{ Calls = 0; Threads = [System.Collections.Generic.List[int]]::new() }
        $script = {
            $state.Calls++
            $state.Threads.Add([Environment]::CurrentManagedThreadId)
            $token = "parallel-token-$($state.Calls)-" + [guid]::NewGuid().ToString('N')
            $null = $server.Options.AcceptedTokens.TryAdd($token, 0)
            ConvertTo-SecureString $token -AsPlainText -Force
        }.GetNewClosure()
        try {
            $config = New-OAuthConfig -Server $server -Extra @{ AccessTokenScript = $script }
            $results = 1..9 | ForEach-Object { "p$_@example.test" } | Send-SmtpMessage -Config $config -Individual -Subject 'Parallel token' -Body 'x' -ConnectionCount 3
            ($results.Status | Sort-Object -Unique) | Should -Be 'Sent'
            $server.Delivered.Count | Should -Be 9
            $server.Connections | Should -Be 3
            $state.Calls | Should -Be 3
            $state.Threads | Select-Object -Unique | Should -Be ([Environment]::CurrentManagedThreadId)
        }
        finally { $server.Dispose() }
    }

    It 'takes the token and expiry from an object with Token and ExpiresOn, as Get-AzAccessToken returns' {
        $token = 'az-style-token-' + [guid]::NewGuid().ToString('N')
        $server = New-ScriptedServer -Token $token
        $expires = [DateTimeOffset]::UtcNow.AddMinutes(42)
        $script = { [pscustomobject]@{ Token = $token; ExpiresOn = $expires; TenantId = 'contoso' } }.GetNewClosure()
        try {
            $config = New-OAuthConfig -Server $server -Extra @{ AccessTokenScript = $script }
            $report = Test-SmtpConnection -Config $config
            $report.Success | Should -BeTrue
            $report.AuthenticationMechanism | Should -Be 'XOAUTH2'
            $report.TokenExpiresOn | Should -Be $expires
            ($report | Format-List * | Out-String) | Should -Not -Match $token
        }
        finally { $server.Dispose() }
    }

    It 'fails a wrong token with the server''s reply as an AuthenticationFailed error' {
        $wrong = 'wrong-token-' + [guid]::NewGuid().ToString('N')
        $server = New-ScriptedServer -Token 'the-right-token'
        try {
            $config = New-OAuthConfig -Server $server -Extra @{ AccessToken = (ConvertTo-Secure $wrong) }
            $result = Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Wrong' -Body 'x' -ErrorVariable errors -ErrorAction SilentlyContinue
            $result.Status | Should -Be 'Failed'
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*'
            $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            $result.FailureKind | Should -Be 'AuthenticationFailed'
            $errors[0].Exception.Message | Should -Match '535'
            $errors[0].Exception.Message | Should -Match 'Authentication unsuccessful'
            $server.Delivered.Count | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'reports a token script that throws, returns nothing, or returns two things, each with its ErrorId' {
        $server = New-ScriptedServer -Token 't'
        try {
            $cases = @(
                @{ Script = { throw 'vault is locked' }; Id = 'TokenScriptFailed'; Text = 'vault is locked' }
                @{ Script = { $null }; Id = 'TokenScriptReturnedNothing'; Text = 'returned no access token' }
                @{ Script = { 'one'; 'two' }; Id = 'TokenScriptInvalidOutput'; Text = 'returned 2 objects' }
            )
            foreach ($case in $cases) {
                $config = New-OAuthConfig -Server $server -Extra @{ AccessTokenScript = $case.Script }
                $report = Test-SmtpConnection -Config $config
                $report.Success | Should -BeFalse
                $report.ErrorId | Should -Be $case.Id
                $report.Findings -join ' ' | Should -Match ([regex]::Escape($case.Text))
                $null = Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'x' -Body 'x' -ErrorVariable errors -ErrorAction SilentlyContinue
                $errors[0].FullyQualifiedErrorId | Should -BeLike "$($case.Id)*"
            }
            $server.Logins.Count | Should -Be 0
        }
        finally { $server.Dispose() }
    }

    It 'says so when the server does not offer XOAUTH2' {
        $server = New-ScriptedServer -Token 't'
        $server.Options.AuthMechanisms = 'PLAIN LOGIN'
        try {
            $report = Test-SmtpConnection -Config (New-OAuthConfig -Server $server -Extra @{ AccessToken = (ConvertTo-Secure 't') })
            $report.ErrorId | Should -Be 'XOAuth2NotOffered'
            $report.Findings -join ' ' | Should -Match 'AUTH PLAIN LOGIN'
        }
        finally { $server.Dispose() }
    }
}

Describe 'OAuth configuration rules' {
    It 'never sends a token in plaintext, even with -AllowUnencryptedAuthentication' {
        $err = { New-SmtpHandlerConfig -SmtpServer mail.example.test -Port 25 -OAuthUserName $User -AccessToken (ConvertTo-Secure 'tok') -AllowUnencryptedAuthentication } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'UnencryptedAuthenticationRefused*'
        $err.Exception.Message | Should -Match 'only ever sent over TLS'
    }

    It 'wants -OAuthUserName and exactly one token source' {
        ({ New-SmtpHandlerConfig -Port 465 -AccessToken (ConvertTo-Secure 'tok') } | Should -Throw -PassThru).Exception.Message | Should -Match 'OAuthUserName'
        ({ New-SmtpHandlerConfig -Port 465 -OAuthUserName $User } | Should -Throw -PassThru).Exception.Message | Should -Match 'token source'
        ({ New-SmtpHandlerConfig -Port 465 -OAuthUserName $User -AccessToken (ConvertTo-Secure 'tok') -AccessTokenScript { 'tok' } } | Should -Throw -PassThru).Exception.Message | Should -Match 'one token source'
        ({ New-SmtpHandlerConfig -Port 465 -OAuthUserName $User -TenantId contoso.test -ClientId app } | Should -Throw -PassThru).FullyQualifiedErrorId | Should -BeLike 'InvalidConfiguration*'
        ({ New-SmtpHandlerConfig -Port 465 -OAuthUserName $User -TenantId contoso.test -ClientId app -ClientSecret (ConvertTo-Secure 's') -TokenEndpoint 'http://login.example.test/t' } | Should -Throw -PassThru).Exception.Message | Should -Match 'https'
    }

    It 'derives the Entra ID token endpoint from the tenant, with the Exchange Online scope by default' {
        $config = New-SmtpHandlerConfig -Port 465 -OAuthUserName $User -TenantId contoso.onmicrosoft.com -ClientId app -ClientSecret (ConvertTo-Secure 's')
        $config.TokenSource.TokenEndpoint | Should -Be 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token'
        $config.TokenSource.Scope | Should -Be 'https://outlook.office365.com/.default'
        "$config" | Should -Be "smtps://$User@localhost:465"
    }
}

Describe 'Microsoft Entra ID client credentials against a local HTTPS token endpoint' {
    BeforeEach {
        $script:Endpoint = [SmtpHandler.Testing.TestTokenEndpoint]::new($ServerCert)
        $script:Smtp = New-ScriptedServer
        # Every token the endpoint issues is one the SMTP server accepts.
        $Endpoint.TokenSink = $Smtp.Options.AcceptedTokens
    }

    AfterEach {
        $Endpoint.Dispose()
        $Smtp.Dispose()
    }

    It 'posts grant type, client id, scope and secret, and reuses the cached token across sends' {
        $secret = 'client-secret-' + [guid]::NewGuid().ToString('N')
        $config = New-OAuthConfig -Server $Smtp -Extra @{ TenantId = 'contoso.test'; ClientId = 'app-id-1'; ClientSecret = (ConvertTo-Secure $secret); TokenEndpoint = $Endpoint.Url }
        (Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'First' -Body 'x').Status | Should -Be 'Sent'
        (Send-SmtpMessage -Config $config -To 'bob@example.test' -Subject 'Second' -Body 'x').Status | Should -Be 'Sent'

        $Endpoint.Requests.Count | Should -Be 1
        $form = @($Endpoint.Requests)[0]
        $form['grant_type'] | Should -Be 'client_credentials'
        $form['client_id'] | Should -Be 'app-id-1'
        $form['scope'] | Should -Be 'https://outlook.office365.com/.default'
        $form['client_secret'] | Should -Be $secret
        $token = @($Endpoint.IssuedTokens)[0]
        @($Smtp.Logins.Response) | Should -Be @([SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($User, $token), [SmtpHandler.Testing.SmtpTestServer]::XOAuth2Response($User, $token))
    }

    It 'signs a client assertion with the -OAuthCertificatePath certificate (RS256, x5t), verifiable with its public key' {
        $config = New-OAuthConfig -Server $Smtp -Extra @{
            TenantId = 'contoso.test'; ClientId = 'app-id-2'; TokenEndpoint = $Endpoint.Url; OAuthScope = 'https://outlook.office365.us/.default'
            OAuthCertificatePath = $Certs.ClientPfx; OAuthCertificatePassword = (ConvertTo-Secure $Certs.ClientPassword)
        }
        (Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Signed' -Body 'x').Status | Should -Be 'Sent'

        $form = @($Endpoint.Requests)[0]
        $form.ContainsKey('client_secret') | Should -BeFalse
        $form['scope'] | Should -Be 'https://outlook.office365.us/.default'
        $form['client_assertion_type'] | Should -Be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
        $parts = $form['client_assertion'].Split('.')
        $public = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certs.ClientPem)
        $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPublicKey($public)
        $rsa.VerifyData([Text.Encoding]::ASCII.GetBytes("$($parts[0]).$($parts[1])"), (ConvertFrom-Base64Url $parts[2]),
            [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1) | Should -BeTrue
        $header = [Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url $parts[0])) | ConvertFrom-Json
        $header.alg | Should -Be 'RS256'
        $header.x5t | Should -Be ([Convert]::ToBase64String($public.GetCertHash()).TrimEnd('=').Replace('+', '-').Replace('/', '_'))
        $claims = [Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url $parts[1])) | ConvertFrom-Json
        $claims.aud | Should -Be $Endpoint.Url.AbsoluteUri
        $claims.iss | Should -Be 'app-id-2'
        $claims.sub | Should -Be 'app-id-2'
        ($claims.exp - $claims.nbf) | Should -Be 600
    }

    It 'turns an endpoint refusal into a TokenEndpointRefused error with the endpoint''s error code and text' {
        $Endpoint.Refusal = [SmtpHandler.Testing.TestTokenEndpoint]::Error(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.')
        $config = New-OAuthConfig -Server $Smtp -Extra @{ TenantId = 'contoso.test'; ClientId = 'app-id-3'; ClientSecret = (ConvertTo-Secure 'bad'); TokenEndpoint = $Endpoint.Url }
        $result = Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Refused' -Body 'x' -ErrorVariable errors -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'TokenEndpointRefused*'
        $errors[0].Exception.Message | Should -Match 'invalid_client: AADSTS7000215: Invalid client secret provided\.'
        $report = Test-SmtpConnection -Config $config
        $report.ErrorId | Should -Be 'TokenEndpointRefused'
        $Smtp.Logins.Count | Should -Be 0
    }

    It 'lets no token, secret or assertion reach any output stream, result, verbose text or error' {
        $secret = 'leak-check-secret-' + [guid]::NewGuid().ToString('N')
        $ready = 'leak-check-ready-' + [guid]::NewGuid().ToString('N')
        $null = $Smtp.Options.AcceptedTokens.TryAdd($ready, 0)
        $captured = & {
            $ErrorActionPreference = 'Continue'
            $readyToken = $ready
            $withSecret = New-OAuthConfig -Server $Smtp -Extra @{ TenantId = 'contoso.test'; ClientId = 'app-id-4'; ClientSecret = (ConvertTo-Secure $secret); TokenEndpoint = $Endpoint.Url }
            $withCert = New-OAuthConfig -Server $Smtp -Extra @{ TenantId = 'contoso.test'; ClientId = 'app-id-5'; TokenEndpoint = $Endpoint.Url; OAuthCertificatePath = $Certs.ClientPfx; OAuthCertificatePassword = (ConvertTo-Secure $Certs.ClientPassword) }
            $withReady = New-OAuthConfig -Server $Smtp -Extra @{ AccessToken = (ConvertTo-Secure $ready) }
            $withScript = New-OAuthConfig -Server $Smtp -Extra @{ AccessTokenScript = { $readyToken }.GetNewClosure() }
            $wrong = New-OAuthConfig -Server $Smtp -Extra @{ AccessToken = (ConvertTo-Secure "$ready-wrong") }
            foreach ($config in $withSecret, $withCert, $withReady, $withScript, $wrong) {
                $config
                $config | Format-List * | Out-String
                Send-SmtpMessage -Config $config -To 'ann@example.test' -Subject 'Leak check' -Body 'x' -Verbose | Format-List * | Out-String
                Test-SmtpConnection -Config $config -Verbose | Format-List * | Out-String
            }
        } *>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.Exception.ToString(); $_.ToString() } else { "$_" } } | Out-String -Width 100000

        $captured | Should -Match 'AUTH XOAUTH2 \*\*\*' -Because 'the verbose protocol log shows the AUTH command, redacted'
        $captured | Should -Match 'Requesting an access token from https://127\.0\.0\.1' -Because 'verbose output was captured'
        $captured | Should -Match 'AuthenticationFailed|Authentication unsuccessful' -Because 'the wrong token''s error record was captured'
        $secrets = @($secret, $ready, "$ready-wrong") + @($Endpoint.IssuedTokens) + @($Endpoint.Requests | ForEach-Object { $_['client_assertion'] })
        $secrets += @($Endpoint.IssuedTokens) + $ready | ForEach-Object { Get-Base64InitialResponse $Smtp $_ }
        $Endpoint.Requests.Count | Should -Be 2
        @($Smtp.Logins | Where-Object Succeeded).Count | Should -BeGreaterOrEqual 8
        Assert-NoSecret -Text $captured -Secret $secrets
    }
}
