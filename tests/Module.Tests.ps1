BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:Manifest = Join-Path $ModulePath 'SmtpHandler.psd1'
}

Describe 'The built module in output/' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $Manifest
        $info.Name | Should -Be 'SmtpHandler'
        $info.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $info.PowerShellVersion | Should -Be ([version]'5.1')
    }

    It 'exports exactly the three cmdlets and nothing else' {
        $commands = Get-Command -Module SmtpHandler | Sort-Object Name
        $commands.Name | Should -Be @('New-SmtpHandlerConfig', 'Send-SmtpMessage', 'Test-SmtpConnection')
        $commands.CommandType | Sort-Object -Unique | Should -Be 'Cmdlet'
    }

    It 'ships no System.Management.Automation.dll' {
        Get-ChildItem $ModulePath -Recurse -Filter 'System.Management.Automation.dll' | Should -BeNullOrEmpty
    }

    It 'stamps the manifest version into its assemblies' {
        $version = (Import-PowerShellDataFile $Manifest).ModuleVersion
        foreach ($name in 'SmtpHandler.dll', 'bin/SmtpHandler.Engine.dll', 'bin/SmtpHandler.Loader.dll') {
            $assembly = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModulePath $name))
            $assembly.Version.ToString(3) | Should -Be $version
        }
    }

    It 'ships the engine, MailKit and MimeKit ReadyToRun for .NET 10 per platform, and IL in bin/' {
        function Test-ReadyToRun([string] $Path) {
            # A ReadyToRun image has a managed native header; an IL-only assembly has none.
            $stream = [System.IO.File]::OpenRead($Path)
            try { ([System.Reflection.PortableExecutable.PEReader]::new($stream)).PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0 }
            finally { $stream.Dispose() }
        }
        foreach ($name in 'SmtpHandler.Engine', 'MailKit', 'MimeKit') {
            Test-ReadyToRun (Join-Path $ModulePath "bin/$name.dll") | Should -BeFalse
            foreach ($rid in 'win-x64', 'linux-x64', 'osx-arm64') {
                Test-ReadyToRun (Join-Path $ModulePath "bin/net10.0-$rid/$name.dll") | Should -BeTrue -Because "$rid/$name"
            }
        }
    }

    It 'imports in a new pwsh with only its folder given' {
        $run = Invoke-NewPwsh -Script "Import-Module '$ModulePath'; (Get-Command -Module SmtpHandler).Count"
        $run.ExitCode | Should -Be 0
        $run.Output.Trim() | Should -Be '3'
    }
}
