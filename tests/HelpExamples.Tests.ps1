<#
Every example in docs/<Cmdlet>.md runs here, against local smtp4dev servers, so the help never shows code
that does not work. The convention an example follows:

- What runs: the ```powershell (or pwsh, ps1) blocks under "### Example N", joined, as one script. Other
  blocks (```output, ```text) are shown in help but not run. A leading "PS C:\> " prompt is removed.
- Write it as a user would run it, with real-looking host names. In the -SmtpServer argument (named or
  positional) of New-SmtpHandlerConfig, Send-SmtpMessage and Test-SmtpConnection, these hosts are taken
  as the test servers: smtp.office365.com, smtp.gmail.com and any *.example.com. The host must be a
  literal there; a listed host anywhere else in the code (say in a variable) fails the test, so that an
  example never reaches out to the network.
- The port on that same command picks the server:
      25, or no -Port   -> a smtp4dev that speaks plain SMTP (and offers STARTTLS)
      587               -> the same server, for STARTTLS (-UseStartTls, or Send-SmtpMessage -UseSsl)
      465               -> a smtp4dev with implicit TLS; "-Port 465" becomes "-Port <its port> -UseTls",
                           because only the number 465 means implicit TLS by itself
      any other number  -> left alone: a closed port, for examples that show a failure
- Trust: the servers' certificates are issued by a test CA. An example without -TrustedCertificatePath
  runs in a pwsh whose operating-system trust store holds that CA (SSL_CERT_FILE: Linux only; elsewhere
  such examples are skipped when they use TLS), just as smtp.office365.com is trusted through the OS.
  An example with -TrustedCertificatePath runs with the ordinary trust store, so only the file it names
  can make the server trusted.
- New-SmtpHandlerConfig -Service (a service's endpoint, STARTTLS on 587) without -SmtpServer is taken as
  the plain smtp4dev on its port, for STARTTLS: "-SmtpServer 127.0.0.1 -Port <its port>" is added.
- A configuration read with New-SmtpHandlerConfig -Path, -LiteralPath or -FromHashtable is not rewritten:
  an example may show one, but must not send with it.
- Get-Credential (any parameters) and Get-Secret (SecretManagement) return a test PSCredential; no prompt.
  Connect-AzAccount does nothing, and Get-AzAccessToken returns a made-up token (smtp4dev takes any).
- The working folder is a new empty folder per example holding these files, and nothing else:
      distribution-list.csv  Name,Email of 5 people          all-staff.csv     Name,Email of 450 people
      nightly-report.html    an HTML report                   announcement.txt  a plain-text notice
      corp-root-ca.pem       the test CA (a private CA's root certificate, PEM)
      logo.png               a small image                    disk-report.csv   a CSV report to attach
      reports-smime.pfx      an S/MIME certificate for reports@example.com, with its key; the password is
                             Get-Secret's                     dkim-private.pem  an RSA DKIM key (PKCS#8 PEM)
      ann.lee.cer, bob.ray.cer  S/MIME certificates (PEM) of ann.lee@ and bob.ray@example.com
- It passes when it writes no error record, throws nothing and ends within 90 s, and every result of
  Send-SmtpMessage and every report of Test-SmtpConnection that involved a test server says Success,
  however the example formats them. When it calls Send-SmtpMessage without -WhatIf and without a
  pickup folder, at least one message must arrive. ```output blocks are shown, not compared.
- -Proxy: a literal 'socks5://proxy.example.com:PORT' becomes a local microsocks without a login, and a literal
  'http://proxy.example.com:PORT' a local tinyproxy that wants the login (Get-Credential -UserName svc-proxy) returns:
  both real proxies (Debian packages, see Proxies.ps1), started only when an example uses them.
- To skip an example for a reason that will pass (a feature not merged yet), put a line
  "<!-- example-test: skip: the reason -->" in it; the test reports it as skipped, with the reason.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../tools/CommandDocs.psm1') -Force
    $script:Examples = @(Get-CommandDocExample -Path (Join-Path $PSScriptRoot '../docs'))
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestCertificates.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    . (Join-Path $PSScriptRoot 'Proxies.ps1')
    Import-Module (Join-Path $PSScriptRoot '../tools/CommandDocs.psm1') -Force
    $script:ExampleProxies = @{}

    function Get-ExampleProxy([string] $Scheme) {
        # The real proxy an example's -Proxy stands for, started the first time an example needs it.
        if (-not $ExampleProxies.ContainsKey($Scheme)) {
            Install-DebianPackage -Name microsocks, tinyproxy
            $ExampleProxies[$Scheme] = if ($Scheme -eq 'socks5') { Start-Microsocks } else {
                Start-Tinyproxy -ConnectPort $Plain.SmtpPort, $Tls.SmtpPort -User 'svc-proxy' -Password 'app-password-for-tests'
            }
        }
        $ExampleProxies[$Scheme]
    }
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-examples-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Force -Path $Work
    $script:HostPattern = '^(smtp\.office365\.com|smtp\.gmail\.com|([a-z0-9-]+\.)*example\.com)$'
    $script:OurCmdlets = 'New-SmtpHandlerConfig', 'Send-SmtpMessage', 'Test-SmtpConnection'

    function New-ExampleCertificate([string] $Directory) {
        # Only what the examples need (a CA and a server certificate for localhost and 127.0.0.1): two keys, not seven.
        $null = New-Item -ItemType Directory -Force -Path $Directory
        $now = [DateTimeOffset]::UtcNow
        $request = New-CertificateRequest -Subject 'CN=SmtpHandler Examples CA' -Key ([System.Security.Cryptography.RSA]::Create(2048))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
        $ca = $request.CreateSelfSigned($now.AddDays(-1), $now.AddYears(1))
        $server = New-LeafCertificate -Issuer $ca -Subject 'CN=localhost' -DnsName 'localhost' -IpAddress '127.0.0.1' -NotBefore $now.AddDays(-1) -NotAfter $now.AddYears(1) -Usage Server
        $paths = [pscustomobject]@{ CaPem = Join-Path $Directory 'ca.pem'; ServerPem = Join-Path $Directory 'server.pem'; ServerKey = Join-Path $Directory 'server.key' }
        Set-Content -Path $paths.CaPem -Value (ConvertTo-PemCertificate $ca) -NoNewline
        Export-PemPair $server $paths.ServerPem $paths.ServerKey
        $paths
    }

    function ConvertTo-TestExample {
        # Rewrites one example for the test servers (see the top of this file); returns the code, what
        # it needs, and any place where the code breaks the convention.
        param([string] $Code)
        $tokens = $null
        $parseErrors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$parseErrors)
        $problems = [System.Collections.Generic.List[string]]::new()
        foreach ($e in $parseErrors) { $problems.Add("does not parse: $($e.Message) (line $($e.Extent.StartLineNumber))") }
        $edits = [System.Collections.Generic.List[object]]::new()
        $rewritten = [System.Collections.Generic.List[object]]::new()
        $usesTls = $false
        $ownTrust = $false
        $sends = $false
        foreach ($command in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = "$($command.GetCommandName())" -replace '^SmtpHandler\\', ''
            if ($name -notin $OurCmdlets) { continue }
            $bound = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($command, $true).BoundParameters
            foreach ($switch in 'UseTls', 'UseStartTls', 'UseSsl') { if ($bound.ContainsKey($switch)) { $usesTls = $true } }
            if ($bound.ContainsKey('TrustedCertificatePath')) { $ownTrust = $true }
            if ($name -eq 'Send-SmtpMessage' -and -not $bound.ContainsKey('WhatIf')) { $sends = $true }
            if ($bound.ContainsKey('Proxy')) {
                $proxy = $bound['Proxy'].Value
                if ($proxy -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $proxy.Value -match '^(socks5|http)://proxy\.example\.com:\d+$') {
                    $edits.Add(@{ Start = $proxy.Extent.StartOffset; End = $proxy.Extent.EndOffset; Text = "'$((Get-ExampleProxy $Matches[1]).Url)'" })
                }
                else { $problems.Add("line $($command.Extent.StartLineNumber): $name -Proxy must be a literal 'socks5://proxy.example.com:PORT' or 'http://proxy.example.com:PORT'") }
            }

            $server = if ($bound.ContainsKey('SmtpServer')) { $bound['SmtpServer'].Value } else { $null }
            if (-not $server -and $name -eq 'New-SmtpHandlerConfig' -and $bound.ContainsKey('Service')) {
                # The service's host and port 587 with STARTTLS, moved to the test server.
                $usesTls = $true
                $edits.Add(@{ Start = $command.Extent.EndOffset; End = $command.Extent.EndOffset; Text = " -SmtpServer 127.0.0.1 -Port $($Plain.SmtpPort)" })
                continue
            }
            if (-not $server) {
                $first = $command.Parent -is [System.Management.Automation.Language.PipelineAst] -and $command.Parent.PipelineElements[0] -eq $command
                $elsewhere = 'Config', 'PickupDirectory', 'Path', 'LiteralPath', 'FromHashtable' | Where-Object { $bound.ContainsKey($_) }
                if ($first -and -not $elsewhere) {
                    $problems.Add("line $($command.Extent.StartLineNumber): $name needs -SmtpServer with a listed host, -Config or -PickupDirectory (it would reach localhost:25)")
                }
                continue
            }
            if (-not ($server -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $server.Value -match $HostPattern)) {
                $problems.Add("line $($command.Extent.StartLineNumber): $name -SmtpServer must be a literal listed host, not '$($server.Extent.Text)'")
                continue
            }
            $edits.Add(@{ Start = $server.Extent.StartOffset; End = $server.Extent.EndOffset; Text = '127.0.0.1' })
            $rewritten.Add($server)

            $port = if ($bound.ContainsKey('Port')) { $bound['Port'].Value } else { $null }
            if (-not $port) {
                $edits.Add(@{ Start = $command.Extent.EndOffset; End = $command.Extent.EndOffset; Text = " -Port $($Plain.SmtpPort)" })
                continue
            }
            $number = if ($port -is [System.Management.Automation.Language.ConstantExpressionAst]) { $port.Value } else { $null }
            $text = switch ($number) {
                25 { "$($Plain.SmtpPort)" }
                587 { "$($Plain.SmtpPort)" }
                465 {
                    $usesTls = $true
                    if ($bound.ContainsKey('UseTls')) { "$($Tls.SmtpPort)" }
                    elseif ((Get-Command $name).Parameters.ContainsKey('UseTls')) { "$($Tls.SmtpPort) -UseTls" }
                    else { $problems.Add("line $($command.Extent.StartLineNumber): $name has no -UseTls, so -Port 465 can't be moved to a test port; use a New-SmtpHandlerConfig configuration") }
                }
                default { $null }
            }
            if ($text) { $edits.Add(@{ Start = $port.Extent.StartOffset; End = $port.Extent.EndOffset; Text = $text }) }
        }
        foreach ($constant in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.StringConstantExpressionAst] }, $true)) {
            if ($constant.Value -match $HostPattern -and $constant -notin $rewritten) {
                $problems.Add("line $($constant.Extent.StartLineNumber): the host '$($constant.Value)' is outside a -SmtpServer argument the test rewrites")
            }
        }
        $builder = [System.Text.StringBuilder]::new($Code)
        foreach ($edit in ($edits | Sort-Object { $_.Start } -Descending)) {
            [void]$builder.Remove($edit.Start, $edit.End - $edit.Start).Insert($edit.Start, $edit.Text)
        }
        [pscustomobject]@{
            Code     = $builder.ToString()
            Problems = @($problems)
            UsesTls  = $usesTls
            OwnTrust = $ownTrust
            Sends    = $sends -and $Code -notmatch '-PickupDirectory'
        }
    }

    function New-ExampleFolder([string] $Path) {
        $null = New-Item -ItemType Directory -Force -Path $Path
        $people = 'Ann Lee', 'Bob Ray', 'Cem Yilmaz', 'Dana Cho', 'Eve Park'
        $people | ForEach-Object { [pscustomobject]@{ Name = $_; Email = ($_ -replace ' ', '.').ToLowerInvariant() + '@example.com' } } |
            Export-Csv (Join-Path $Path 'distribution-list.csv') -NoTypeInformation
        1..450 | ForEach-Object { [pscustomobject]@{ Name = "Staff $_"; Email = "staff$_@example.com" } } |
            Export-Csv (Join-Path $Path 'all-staff.csv') -NoTypeInformation
        Set-Content (Join-Path $Path 'nightly-report.html') '<html><body><h1>Nightly report</h1><p>All 42 jobs succeeded.</p></body></html>'
        Set-Content (Join-Path $Path 'announcement.txt') "The mail server is down for maintenance on Saturday, 06:00-08:00.`nNo action is needed."
        Copy-Item $Certs.CaPem (Join-Path $Path 'corp-root-ca.pem')
        # A 1x1 PNG.
        [System.IO.File]::WriteAllBytes((Join-Path $Path 'logo.png'), [Convert]::FromBase64String('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='))
        'C:', 'D:', 'E:' | ForEach-Object { [pscustomobject]@{ Volume = $_; SizeGB = 500; FreePercent = 42 } } |
            Export-Csv (Join-Path $Path 'disk-report.csv') -NoTypeInformation
        Get-ChildItem -Path $Secure.Directory -File | Copy-Item -Destination $Path
    }

    function New-ExampleSecureFile([string] $Directory) {
        # S/MIME certificates and a DKIM key for the examples, made once: keys are slow to make.
        $null = New-Item -ItemType Directory -Force -Path $Directory
        $now = [DateTimeOffset]::UtcNow
        foreach ($who in 'reports', 'ann.lee', 'bob.ray') {
            $key = [System.Security.Cryptography.RSA]::Create(2048)
            $request = New-CertificateRequest -Subject "CN=$who" -Key $key
            $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('DigitalSignature, KeyEncipherment', $true))
            $oids = [System.Security.Cryptography.OidCollection]::new()
            $null = $oids.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.4'))
            $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
            $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            $san.AddEmailAddress("$who@example.com")
            $request.CertificateExtensions.Add($san.Build())
            $certificate = $request.CreateSelfSigned($now.AddDays(-1), $now.AddYears(1))
            if ($who -eq 'reports') {
                [System.IO.File]::WriteAllBytes((Join-Path $Directory 'reports-smime.pfx'), $certificate.Export('Pfx', 'app-password-for-tests'))
            } else {
                Set-Content -Path (Join-Path $Directory "$who.cer") -Value (ConvertTo-PemCertificate $certificate) -NoNewline
            }
        }
        Set-Content -Path (Join-Path $Directory 'dkim-private.pem') -Value ([System.Security.Cryptography.RSA]::Create(2048).ExportPkcs8PrivateKeyPem()) -NoNewline
        [pscustomobject]@{ Directory = $Directory }
    }

    function Start-ExampleGroup {
        # Starts a new pwsh that runs some examples with the given environment; Receive-ExampleGroup waits for it.
        param([object[]] $Group, [hashtable] $Environment = @{})
        if (-not $Group) { return $null }
        $inputFile = Join-Path $Work "group-$([guid]::NewGuid().ToString('N')).json"
        ConvertTo-Json -InputObject @($Group | ForEach-Object { @{ Id = $_.Id; Code = $_.Code; WorkDir = $_.WorkDir } }) -Depth 3 | Set-Content $inputFile
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        $arguments = @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'HelpExampleRunner.ps1'),
            '-ModulePath', $ModulePath, '-InputFile', $inputFile, '-OutputFile', "$inputFile.out.json", '-PreludeFile', (Join-Path $Work 'prelude.ps1'),
            '-ApiUrl', "$($Plain.ApiUrl),$($Tls.ApiUrl)")
        foreach ($a in $arguments) { $info.ArgumentList.Add($a) }
        foreach ($k in $Environment.Keys) { $info.Environment[$k] = $Environment[$k] }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        [pscustomobject]@{ Process = $process; Output = $process.StandardOutput.ReadToEndAsync(); Error = $process.StandardError.ReadToEndAsync(); Result = "$inputFile.out.json" }
    }

    function Receive-ExampleGroup($Started) {
        $results = @{}
        if (-not $Started) { return $results }
        if (-not $Started.Process.WaitForExit(600000)) { $Started.Process.Kill($true); throw 'The example runner did not finish within 10 minutes.' }
        if (-not (Test-Path $Started.Result)) { throw "The example runner failed (exit $($Started.Process.ExitCode)): $($Started.Error.Result) $($Started.Output.Result)" }
        foreach ($r in (Get-Content $Started.Result -Raw | ConvertFrom-Json)) { $results[$r.Id] = $r }
        $results
    }

    Set-Content (Join-Path $Work 'prelude.ps1') @'
function Get-Credential {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [object] $Credential, [string] $UserName, [string] $Message, [string] $Title)
    $name = if ($UserName) { $UserName } elseif ($Credential -is [string]) { $Credential } else { 'reports@example.com' }
    [pscredential]::new($name, (ConvertTo-SecureString 'app-password-for-tests' -AsPlainText -Force))
}
function Get-Secret {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Name, [string] $Vault, [switch] $AsPlainText)
    [pscredential]::new('reports@example.com', (ConvertTo-SecureString 'app-password-for-tests' -AsPlainText -Force))
}
function Connect-AzAccount {
    [CmdletBinding()]
    param([switch] $Identity, [string] $AccountId, [string] $Tenant)
    [pscustomobject]@{ Context = 'test' }
}
function Get-AzAccessToken {
    [CmdletBinding()]
    param([string] $ResourceUrl, [string] $TenantId, [switch] $AsSecureString)
    [pscustomobject]@{ Token = 'eyJ0eXAiOiJKV1QifQ.test-token.signature'; ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1); UserId = 'test' }
}
'@

    $script:Certs = New-ExampleCertificate -Directory (Join-Path $Work 'certs')
    $script:Secure = New-ExampleSecureFile -Directory (Join-Path $Work 'secure')
    # Side by side: starting is most of their cost.
    $script:Plain = Start-Smtp4dev -TlsMode StartTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey -NoWait
    $script:Tls = Start-Smtp4dev -TlsMode ImplicitTls -CertificatePath $Certs.ServerPem -CertificateKeyPath $Certs.ServerKey -NoWait
    $null = Wait-Smtp4dev $Plain -StartTimeoutSeconds 180
    $null = Wait-Smtp4dev $Tls -StartTimeoutSeconds 180

    # Rewrite every example, then run them in two processes: the OS trust store with the test CA, and without.
    $script:Prepared = @{}
    $index = 0
    foreach ($example in (Get-CommandDocExample -Path (Join-Path $PSScriptRoot '../docs'))) {
        $index++
        $converted = ConvertTo-TestExample -Code $example.Code
        $folder = Join-Path $Work "example-$index"
        New-ExampleFolder $folder
        $Prepared["$($example.Page)|$($example.Title)"] = [pscustomobject]@{
            Id = "$($example.Page)|$($example.Title)"; Code = $converted.Code; WorkDir = $folder; Converted = $converted; Skip = $example.Skip
        }
    }
    $runnable = @($Prepared.Values | Where-Object { -not $_.Skip -and -not $_.Converted.Problems })
    # Both processes at once: each spends most of its time starting up.
    $osTrust = @($runnable | Where-Object { -not $_.Converted.OwnTrust -and ($IsLinux -or -not $_.Converted.UsesTls) })
    $withOsTrust = Start-ExampleGroup -Group $osTrust -Environment @{ SSL_CERT_FILE = $Certs.CaPem }
    $withOwnTrust = Start-ExampleGroup -Group @($runnable | Where-Object { $_.Converted.OwnTrust })
    $script:Results = Receive-ExampleGroup $withOwnTrust
    $more = Receive-ExampleGroup $withOsTrust
    foreach ($key in $more.Keys) { $Results[$key] = $more[$key] }
}

AfterAll {
    if (Get-Variable Plain -Scope Script -ErrorAction SilentlyContinue) { Stop-Smtp4dev $Plain }
    if (Get-Variable Tls -Scope Script -ErrorAction SilentlyContinue) { Stop-Smtp4dev $Tls }
    if (Get-Variable ExampleProxies -Scope Script -ErrorAction SilentlyContinue) { foreach ($proxy in $ExampleProxies.Values) { Stop-TestProxy $proxy } }
    if ($Work -and (Test-Path $Work)) { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Examples in docs/' {
    It '<Page>: <Title> runs against the test servers' -ForEach $Examples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $example = $Prepared["$Page|$Title"]
        $example.Converted.Problems | Should -BeNullOrEmpty -Because "the example must follow the convention at the top of tests/HelpExamples.Tests.ps1"
        if (-not $Results.ContainsKey($example.Id)) {
            Set-ItResult -Skipped -Because 'it relies on the operating-system trust store, which the test can set only on Linux'
            return
        }
        $result = $Results[$example.Id]
        $because = "docs/$Page.md '$Title' ran as:`n$($example.Code)`nand printed:`n$($result.Output)"
        $result.TimedOut | Should -BeFalse -Because $because
        $result.Terminating | Should -BeNullOrEmpty -Because $because
        @($result.Errors) | Should -BeNullOrEmpty -Because $because
        if ($example.Converted.Sends) { $result.Delivered | Should -BeGreaterThan 0 -Because "it sends mail: $because" }
        # A send or a connection test that reached a test server must succeed; one aimed at another port may fail.
        $servers = "127.0.0.1:$($Plain.SmtpPort)", "127.0.0.1:$($Tls.SmtpPort)"
        foreach ($outcome in @($result.Outcomes | Where-Object { $_.Endpoint -in $servers })) {
            $outcome.Success | Should -BeTrue -Because "$($outcome.Kind) from $($outcome.Endpoint): $($outcome.Detail). $because"
        }
    }
}
