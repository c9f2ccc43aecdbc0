@{
    # The one place the version lives: Directory.Build.props stamps it into every assembly.
    ModuleVersion        = '0.1.0'
    RootModule           = 'SmtpHandler.dll'
    GUID                 = 'd5c77a7a-0404-426c-ac1b-ec2b927da0b1'
    Author               = 'SmtpHandler contributors'
    CompanyName          = 'SmtpHandler contributors'
    Copyright            = '(c) SmtpHandler contributors. MIT License.'
    Description          = 'Sends mail over SMTP with MailKit: a safe, fast replacement for the obsolete Send-MailMessage. Validated reusable configurations, TLS and STARTTLS with real certificate trust (custom CAs by file path), automatic recipient batching, many messages over one connection, a result object per message, and connection diagnostics.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('SmtpHandlerConfig.Format.ps1xml', 'SmtpConnectionReport.Format.ps1xml', 'SmtpHandler.Format.ps1xml')
    CmdletsToExport      = @('New-SmtpHandlerConfig', 'Send-SmtpMessage', 'Test-SmtpConnection')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('SMTP', 'Mail', 'Email', 'MailKit', 'Send-MailMessage', 'TLS', 'STARTTLS', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/smtphandler/SmtpHandler'
            LicenseUri   = 'https://github.com/smtphandler/SmtpHandler/blob/main/LICENSE'
            # build.ps1 fills this in from the section of CHANGELOG.md for ModuleVersion.
            ReleaseNotes = ''
        }
    }
}
