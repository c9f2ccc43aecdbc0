BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    # The package exactly as build.ps1 -Task Package makes it, from the module under test.
    $script:PackageFolder = Join-Path $TestDrive 'package'
    $script:Package = & (Join-Path $RepoRoot 'tools/New-ModulePackage.ps1') -ModulePath $ModulePath -Destination $PackageFolder
    $script:Manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'SmtpHandler.psd1')
    $script:Server = Start-Smtp4dev

    # Another module's MailKit: an older version, restored by tests/tools/TestTools.csproj.
    $packages = ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    $script:OtherMailKit = Join-Path $packages 'mailkit/4.2.0/lib/net6.0/MailKit.dll'

    function Invoke-PwshJson {
        # Runs a script in a new pwsh and returns the object its last output line holds as JSON.
        param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
        $preamble = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'`n"
        $run = Invoke-NewPwsh -Script ($preamble + $Script) -Environment $Environment
        if ($run.ExitCode -ne 0) { throw "The new pwsh failed (exit $($run.ExitCode)): $($run.Error)`n$($run.Output)" }
        $last = @($run.Output -split "`r?`n" | Where-Object { $_.Trim() })[-1]
        $last | ConvertFrom-Json
    }

    function ConvertTo-Literal([string] $Text) { "'" + ($Text -replace "'", "''") + "'" }

    function Get-SendScript([string] $Subject) {
        "Send-SmtpMessage -SmtpServer 127.0.0.1 -Port $($Server.SmtpPort) -From 'package@example.test' -To 'ann@example.test' -Subject $(ConvertTo-Literal $Subject) -Body 'x'"
    }

    function Test-Arrived([string] $Subject) {
        @(Get-Smtp4devMessage -Server $Server | Where-Object subject -EQ $Subject).Count -eq 1
    }

    # What a new pwsh reports about the MailKit assemblies it holds and the engine's load context.
    $script:Inspect = @'
$engine = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($sent.GetType().Assembly)
[pscustomobject]@{
    Status        = @($results | ForEach-Object { "$($_.Status)" })
    EngineContext = $engine.Name
    MailKit       = @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'MailKit' } | ForEach-Object {
        [pscustomobject]@{ Version = $_.GetName().Version.ToString(2); Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name; Location = $_.Location }
    })
    Private       = @($engine.Assemblies | ForEach-Object { [pscustomobject]@{ Name = $_.GetName().Name; Location = $_.Location } })
    Visible       = [MailKit.Net.Smtp.SmtpClient].Assembly.GetName().Version.ToString(2)
    Extra         = $extra
} | ConvertTo-Json -Compress -Depth 4
'@

    function Assert-Isolated($Report) {
        # Our MailKit in our own context, from our bin/; the other one in the default context, where PowerShell sees it.
        $Report.EngineContext | Should -Be 'SmtpHandler'
        $ours = @($Report.MailKit | Where-Object Context -EQ 'SmtpHandler')
        $ours.Count | Should -Be 1
        $ours[0].Version | Should -Be '4.18'
        $ours[0].Location | Should -BeLike (Join-Path $ModulePath 'bin/*')
        $theirs = @($Report.MailKit | Where-Object Context -EQ 'Default')
        $theirs.Count | Should -Be 1
        $theirs[0].Version | Should -Be '4.2'
        $Report.Visible | Should -Be '4.2'
        # The private context holds only what bin/ brings that the platform lacks: never a framework polyfill.
        foreach ($assembly in $Report.Private) {
            $assembly.Location | Should -BeLike (Join-Path $ModulePath 'bin/*')
            $assembly.Name | Should -Not -BeLike 'System.*'
        }
        $Report.Private.Name | Should -Contain 'MimeKit'
    }

    # This machine's ReadyToRun folder, named as the loader names it: .NET 10, then the OS and architecture.
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $script:ReadyToRunFolder = "bin/net10.0-$os-$([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())"

    # Where a new pwsh that imported the module at $Path and sent one message got the engine's assemblies from.
    function Get-EngineLocations([string] $Path, [string] $Subject) {
        Invoke-PwshJson -Script @"
Import-Module $(ConvertTo-Literal $Path)
`$result = $(Get-SendScript $Subject)
`$engine = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$result.GetType().Assembly)
[pscustomobject]@{
    Status  = "`$(`$result.Status)"
    Runtime = [System.Environment]::Version.Major
    Loaded  = @(`$engine.Assemblies | ForEach-Object { [pscustomobject]@{ Name = `$_.GetName().Name; Location = `$_.Location } })
} | ConvertTo-Json -Compress -Depth 3
"@
    }

    function Get-TypeClosure([type] $Type) {
        # A type with its element and generic argument types, so List[MimeMessage] or MailboxAddress[] are seen too.
        if ($null -eq $Type) { return }
        $Type
        if ($Type.HasElementType) { Get-TypeClosure $Type.GetElementType() }
        if ($Type.IsGenericType) { foreach ($t in $Type.GetGenericArguments()) { Get-TypeClosure $t } }
    }
}

AfterAll {
    Stop-Smtp4dev $Server
}

Describe 'The package made by build.ps1 -Task Package' {
    It 'is named after the module and the manifest version' {
        $Package.Name | Should -Be "SmtpHandler.$($Manifest.ModuleVersion).nupkg"
    }

    It 'holds the manifest, root module, assemblies, help, format files and license, and nothing else' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package.FullName)
        try { $entries = @($zip.Entries | ForEach-Object FullName) } finally { $zip.Dispose() }
        $expected = @(
            # NuGet's own parts
            '[Content_Types].xml', '_rels/.rels', 'SmtpHandler.nuspec'
            # the module
            'SmtpHandler.psd1', 'SmtpHandler.dll', 'LICENSE'
            'bin/SmtpHandler.Engine.dll', 'bin/SmtpHandler.Loader.dll'
            'bin/MailKit.dll', 'bin/MimeKit.dll', 'bin/BouncyCastle.Cryptography.dll'
            # netstandard2.0 dependencies of MailKit/MimeKit, for Windows PowerShell (PowerShell 7 uses its own)
            'bin/Microsoft.Bcl.Cryptography.dll', 'bin/System.Buffers.dll', 'bin/System.Data.DataSetExtensions.dll'
            'bin/System.Formats.Asn1.dll', 'bin/System.Memory.dll', 'bin/System.Numerics.Vectors.dll'
            'bin/System.Runtime.CompilerServices.Unsafe.dll', 'bin/System.Security.Cryptography.Cng.dll'
            'bin/System.Security.Cryptography.Pkcs.dll', 'bin/System.Text.Encoding.CodePages.dll'
            'bin/System.Threading.Tasks.Extensions.dll'
            # ReadyToRun (precompiled for .NET 10, PowerShell 7.6) copies of what every send runs, per platform
            'bin/net10.0-win-x64/SmtpHandler.Engine.dll', 'bin/net10.0-win-x64/MailKit.dll', 'bin/net10.0-win-x64/MimeKit.dll'
            'bin/net10.0-linux-x64/SmtpHandler.Engine.dll', 'bin/net10.0-linux-x64/MailKit.dll', 'bin/net10.0-linux-x64/MimeKit.dll'
            'bin/net10.0-osx-arm64/SmtpHandler.Engine.dll', 'bin/net10.0-osx-arm64/MailKit.dll', 'bin/net10.0-osx-arm64/MimeKit.dll'
        )
        # Format files and help come from the repository's src/*.ps1xml and en-US/ as they are added.
        $expected += @(Get-ChildItem (Join-Path $RepoRoot 'src') -Filter *.ps1xml | ForEach-Object Name)
        $expected += @(Get-ChildItem (Join-Path $RepoRoot 'en-US') -File -ErrorAction SilentlyContinue | ForEach-Object { "en-US/$($_.Name)" })

        $metadata = @($entries | Where-Object { $_ -like 'package/services/metadata/core-properties/*.psmdcp' })
        $metadata.Count | Should -Be 1
        $files = $entries | Where-Object { $_ -notin $metadata } | Sort-Object
        $files | Should -Be ($expected | Sort-Object)
    }

    It 'carries the manifest version and, as release notes, the CHANGELOG.md section of that version' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package.FullName)
        try {
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('SmtpHandler.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $changelog = Get-Content (Join-Path $RepoRoot 'CHANGELOG.md') -Raw
        $section = [regex]::Match($changelog, "(?ms)^##\s+\[?$([regex]::Escape($Manifest.ModuleVersion))\]?[^\n]*\n(.*?)(?=^##\s|\z)").Groups[1].Value.Trim()
        $section | Should -Not -BeNullOrEmpty

        $nuspec.package.metadata.version | Should -Be $Manifest.ModuleVersion
        $Manifest.PrivateData.PSData.ReleaseNotes | Should -Be ($section -replace "`r`n", "`n")
        $nuspec.package.metadata.releaseNotes | Should -Be ($section -replace "`r`n", "`n")
    }

    It 'installs with Install-PSResource from a local repository, then imports alone, shows its help and sends' {
        # A home of its own: PSResourceGet registers the repository in its data folder and installs for the
        # CurrentUser scope under it, so the user's own repositories and modules are never touched.
        $testHome = Join-Path $TestDrive 'home'
        $data = Join-Path $testHome '.local/share'
        $modules = Join-Path $data 'powershell/Modules'
        New-Item -ItemType Directory -Path $data | Out-Null
        $environment = @{ HOME = $testHome; XDG_DATA_HOME = $data; LOCALAPPDATA = $data }
        $installed = Invoke-PwshJson -Environment $environment -Script @"
# .NET gives an empty data folder, and PSResourceGet then falls back to another, when it does not exist.
if ([Environment]::GetFolderPath('LocalApplicationData') -ne $(ConvertTo-Literal $data)) { throw 'The data folder is not the test one' }
Register-PSResourceRepository -Name SmtpHandlerTest -Uri $(ConvertTo-Literal $PackageFolder) -Trusted
Install-PSResource -Name SmtpHandler -Repository SmtpHandlerTest -Scope CurrentUser -TrustRepository -Quiet
Get-InstalledPSResource -Name SmtpHandler | Select-Object Name, @{ n = 'Version'; e = { `$_.Version.ToString() } }, InstalledLocation | ConvertTo-Json -Compress
"@
        $installed.Version | Should -Be $Manifest.ModuleVersion
        $installed.InstalledLocation | Should -Be $modules

        $subject = "Installed from the package $(New-Guid)"
        $environment.PSModulePath = $modules
        $report = Invoke-PwshJson -Environment $environment -Script @"
Import-Module SmtpHandler
`$module = Get-Module SmtpHandler
`$manifest = Test-ModuleManifest (Join-Path `$module.ModuleBase 'SmtpHandler.psd1')
`$help = Get-Help Send-SmtpMessage
`$result = $(Get-SendScript $subject)
[pscustomobject]@{
    ModuleBase = `$module.ModuleBase
    Version    = `$manifest.Version.ToString()
    Commands   = @(Get-Command -Module SmtpHandler | ForEach-Object Name)
    HelpName   = `$help.Name
    Synopsis   = `$help.Synopsis
    Status     = "`$(`$result.Status)"
    # Each about_ topic the package brings, as Get-Help finds it: name and whether its text names the topic.
    About      = @(Get-ChildItem (Join-Path `$module.ModuleBase 'en-US') -Filter 'about_*.help.txt' -ErrorAction SilentlyContinue | ForEach-Object {
        `$topic = `$_.Name -replace '\.help\.txt$'
        [pscustomobject]@{ Name = `$topic; Found = "`$(Get-Help `$topic)" -match [regex]::Escape(`$topic) }
    })
} | ConvertTo-Json -Compress -Depth 3
"@
        $report.ModuleBase | Should -Be (Join-Path $modules "SmtpHandler/$($Manifest.ModuleVersion)")
        $report.Version | Should -Be $Manifest.ModuleVersion
        $report.Commands | Should -Be @('New-SmtpHandlerConfig', 'Send-SmtpMessage', 'Test-SmtpConnection')
        $report.HelpName | Should -Be 'Send-SmtpMessage'
        $maml = Join-Path $ModulePath 'en-US/SmtpHandler.dll-Help.xml'
        $ns = @{ command = 'http://schemas.microsoft.com/maml/dev/command/2004/10' }
        $details = if (Test-Path $maml) { Select-Xml -Path $maml -Namespace $ns -XPath "//command:details[command:name='Send-SmtpMessage']" | Select-Object -First 1 }
        if ($details) {
            # The real help: the synopsis the MAML file has for Send-SmtpMessage.
            $synopsis = (@($details.Node.SelectNodes('*[local-name()="description"]/*[local-name()="para"]') | ForEach-Object InnerText) -join "`n").Trim()
            $synopsis | Should -Not -BeNullOrEmpty
            $report.Synopsis.Trim() | Should -Be $synopsis
        }
        else {
            # No MAML for it yet: PowerShell's generated help, whose synopsis is the syntax.
            $report.Synopsis | Should -Match 'Send-SmtpMessage \[\[-To\] <string\[\]>\]'
        }
        $about = @(Get-ChildItem (Join-Path $ModulePath 'en-US') -Filter 'about_*.help.txt' -ErrorAction SilentlyContinue | ForEach-Object { $_.Name -replace '\.help\.txt$' })
        @($report.About | ForEach-Object Name) | Should -Be $about
        foreach ($topic in $report.About) { $topic.Found | Should -BeTrue -Because "Get-Help $($topic.Name) shows the topic" }
        $report.Status | Should -Be 'Sent'
        Test-Arrived $subject | Should -BeTrue
    }
}

Describe 'Dependency isolation on PowerShell 7' {
    It 'sends when another MailKit was loaded first, with its own MailKit in its own load context' {
        $subject = "MailKit 4.2.0 first $(New-Guid)"
        $report = Invoke-PwshJson -Script @"
Add-Type -LiteralPath $(ConvertTo-Literal $OtherMailKit)
Import-Module $(ConvertTo-Literal $ModulePath)
`$results = @($(Get-SendScript $subject))
`$sent = `$results[0]
`$extra = `$null
$Inspect
"@
        $report.Status | Should -Be @('Sent')
        Assert-Isolated $report
        Test-Arrived $subject | Should -BeTrue
    }

    It 'lets another MailKit load after it, and both work' {
        $subjects = "SmtpHandler first $(New-Guid)", "Then both $(New-Guid)"
        $report = Invoke-PwshJson -Script @"
Import-Module $(ConvertTo-Literal $ModulePath)
`$results = @($(Get-SendScript $subjects[0]))
Add-Type -LiteralPath $(ConvertTo-Literal $OtherMailKit)
# The other MailKit at work: its SASL PLAIN mechanism (MimeKit 4.2.0, which most of it needs, is not at hand).
`$extra = [MailKit.Security.SaslMechanismPlain]::new('user', 'secret').Challenge('')
`$results += $(Get-SendScript $subjects[1])
`$sent = `$results[1]
$Inspect
"@
        $report.Status | Should -Be @('Sent', 'Sent')
        Assert-Isolated $report
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($report.Extra)) | Should -Be "`0user`0secret"
        foreach ($subject in $subjects) { Test-Arrived $subject | Should -BeTrue }
    }

    It 'loads no MailKit, MimeKit or BouncyCastle on import, keeps working after Remove-Module and Import-Module, drops and names again its type accelerators, and resolves its type literals' {
        $subjects = "Before removal $(New-Guid)", "After re-import $(New-Guid)"
        $report = Invoke-PwshJson -Script @"
`$libraries = { @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'MailKit', 'MimeKit', 'BouncyCastle.Cryptography' }).Count }
Import-Module $(ConvertTo-Literal $ModulePath)
`$afterImport = & `$libraries
`$first = $(Get-SendScript $subjects[0])
`$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get
`$named = @(`$accelerators.ContainsKey('SmtpHandler.SmtpSendResult'))
Remove-Module SmtpHandler
`$afterRemove = @(Get-Module SmtpHandler -All).Count + @(Get-Command -Module SmtpHandler -ListImported).Count
`$named += `$accelerators.ContainsKey('SmtpHandler.SmtpSendResult')
Import-Module $(ConvertTo-Literal $ModulePath)
`$named += `$accelerators.ContainsKey('SmtpHandler.SmtpSendResult')
`$second = $(Get-SendScript $subjects[1])
# Type literals of engine types, whose assembly PowerShell 7 does not search (type accelerators stand in).
`$literals = @((`$second -is [SmtpHandler.SmtpSendResult]), "`$([SmtpHandler.SmtpTlsVersion]::Tls13)", [SmtpHandler.SmtpHandlerConfig].Name)
[pscustomobject]@{
    Literals    = `$literals
    AfterImport = `$afterImport
    AfterRemove = `$afterRemove
    Named       = `$named
    Commands    = @(Get-Command -Module SmtpHandler | ForEach-Object Name)
    Status      = @("`$(`$first.Status)", "`$(`$second.Status)")
    Engines     = @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'SmtpHandler.Engine' }).Count
    Contexts    = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SmtpHandler').Count
} | ConvertTo-Json -Compress
"@
        $report.AfterImport | Should -Be 0
        $report.AfterRemove | Should -Be 0
        # The type accelerators: named on import, gone with Remove-Module (IModuleAssemblyCleanup), named again.
        $report.Named | Should -Be @($true, $false, $true)
        $report.Commands | Should -Be @('New-SmtpHandlerConfig', 'Send-SmtpMessage', 'Test-SmtpConnection')
        $report.Status | Should -Be @('Sent', 'Sent')
        $report.Literals | Should -Be @($true, 'Tls13', 'SmtpHandlerConfig')
        $report.Engines | Should -Be 1
        $report.Contexts | Should -Be 1
        foreach ($subject in $subjects) { Test-Arrived $subject | Should -BeTrue }
    }

    It 'loads the precompiled engine, MailKit and MimeKit from its ReadyToRun folder for this platform on .NET 10' {
        $subject = "ReadyToRun $(New-Guid)"
        $report = Get-EngineLocations -Path $ModulePath -Subject $subject
        $report.Status | Should -Be 'Sent'
        $report.Runtime | Should -Be 10
        foreach ($name in 'SmtpHandler.Engine', 'MailKit', 'MimeKit') {
            @($report.Loaded | Where-Object Name -EQ $name).Location | Should -Be (Join-Path $ModulePath "$ReadyToRunFolder/$name.dll")
        }
        # Anything else the private context holds (BouncyCastle when a send needs it) is bin/'s IL.
        foreach ($other in @($report.Loaded | Where-Object Name -NotIn 'SmtpHandler.Engine', 'MailKit', 'MimeKit')) {
            $other.Location | Should -Be (Join-Path $ModulePath "bin/$($other.Name).dll")
        }
        Test-Arrived $subject | Should -BeTrue
    }

    It 'loads the IL from bin/ when there is no ReadyToRun folder for this platform' {
        $copy = Join-Path $TestDrive 'il/SmtpHandler'
        New-Item -ItemType Directory -Path (Split-Path $copy) | Out-Null
        Copy-Item $ModulePath -Destination $copy -Recurse
        Get-ChildItem (Join-Path $copy 'bin') -Directory -Filter 'net10.0-*' | Remove-Item -Recurse -Force
        $subject = "IL only $(New-Guid)"
        $report = Get-EngineLocations -Path $copy -Subject $subject
        $report.Status | Should -Be 'Sent'
        $names = @($report.Loaded | ForEach-Object Name)
        foreach ($name in 'SmtpHandler.Engine', 'MailKit', 'MimeKit') { $names | Should -Contain $name }
        foreach ($assembly in $report.Loaded) {
            $assembly.Location | Should -Be (Join-Path $copy "bin/$($assembly.Name).dll")
        }
        Test-Arrived $subject | Should -BeTrue
    }

    It 'names as type accelerators exactly the engine types that the parameters and outputs of the cmdlets reach' {
        # The import registers a written-out list (cheap); the walk over the cmdlets finds what it must be.
        $cmdlets = (Get-Command Send-SmtpMessage).ImplementingType.Assembly
        $accelerators = $cmdlets.GetType('SmtpHandler.Commands.EngineTypeAccelerators', $true)
        $flags = [System.Reflection.BindingFlags]'NonPublic, Static'
        $listed = @($accelerators.GetMethod('Types', $flags).Invoke($null, $null) | ForEach-Object FullName | Sort-Object)
        $walked = @($accelerators.GetMethod('Walk', $flags).Invoke($null, $null) | ForEach-Object FullName | Sort-Object)
        $walked.Count | Should -BeGreaterThan 10
        $listed | Should -Be $walked
        $registered = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get
        foreach ($name in $listed) { $registered[$name].FullName | Should -Be $name }
    }

    It 'shows no MailKit, MimeKit or BouncyCastle type in a parameter, an output type or a public engine member' {
        $isolated = 'MailKit', 'MimeKit', 'BouncyCastle.Cryptography'
        $commands = @(Get-Command -Module SmtpHandler)
        $seen = @(foreach ($command in $commands) {
                foreach ($parameter in $command.Parameters.Values) { Get-TypeClosure $parameter.ParameterType }
                foreach ($output in $command.OutputType) { Get-TypeClosure $output.Type }
            })
        $engineAssembly = @($seen | Where-Object { $_.Assembly.GetName().Name -eq 'SmtpHandler.Engine' })[0].Assembly
        $seen += @(foreach ($type in $engineAssembly.GetExportedTypes()) {
                $flags = [System.Reflection.BindingFlags]'Public, Instance, Static, DeclaredOnly'
                foreach ($property in $type.GetProperties($flags)) { Get-TypeClosure $property.PropertyType }
                foreach ($field in $type.GetFields($flags)) { Get-TypeClosure $field.FieldType }
                foreach ($method in $type.GetMethods($flags) + $type.GetConstructors($flags)) {
                    if ($method -is [System.Reflection.MethodInfo]) { Get-TypeClosure $method.ReturnType }
                    foreach ($p in $method.GetParameters()) { Get-TypeClosure $p.ParameterType }
                }
            })
        $seen.Count | Should -BeGreaterThan 20
        $leaks = $seen | Where-Object { $_.Assembly.GetName().Name -in $isolated } | ForEach-Object FullName | Sort-Object -Unique
        $leaks | Should -BeNullOrEmpty
    }
}
