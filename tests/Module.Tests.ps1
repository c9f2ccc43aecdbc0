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

    It 'ships the engine, MailKit and MimeKit ReadyToRun for .NET 10 per platform, made from the very IL in bin/' {
        function Get-Image([string] $Path) {
            # A ReadyToRun image has a managed native header; an IL-only assembly has none. The module version id
            # tells whether two files were compiled from the same IL.
            $stream = [System.IO.File]::OpenRead($Path)
            try {
                $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
                $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
                [pscustomobject]@{
                    ReadyToRun = $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
                    Mvid       = $metadata.GetGuid($metadata.GetModuleDefinition().Mvid)
                }
            }
            finally { $stream.Dispose() }
        }
        foreach ($name in 'SmtpHandler.Engine', 'MailKit', 'MimeKit') {
            $il = Get-Image (Join-Path $ModulePath "bin/$name.dll")
            $il.ReadyToRun | Should -BeFalse
            foreach ($rid in 'win-x64', 'linux-x64', 'osx-arm64') {
                $image = Get-Image (Join-Path $ModulePath "bin/net10.0-$rid/$name.dll")
                $image.ReadyToRun | Should -BeTrue -Because "$rid/$name"
                # The same build as bin/'s, so it agrees with the BouncyCastle and the rest that bin/ serves beside it.
                $image.Mvid | Should -Be $il.Mvid -Because "$rid/$name"
            }
        }
    }

    It 'imports in a new pwsh with only its folder given' {
        $run = Invoke-NewPwsh -Script "Import-Module '$ModulePath'; (Get-Command -Module SmtpHandler).Count"
        $run.ExitCode | Should -Be 0
        $run.Output.Trim() | Should -Be '3'
    }
}
