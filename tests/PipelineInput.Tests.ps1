BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    # A pickup folder shows exactly what would have been sent, without a server.
    $script:Pickup = Join-Path $TestDrive 'pickup'
    $null = New-Item -ItemType Directory -Path $Pickup
    $script:Config = New-SmtpHandlerConfig -PickupDirectory $Pickup -DefaultFrom 'reports@example.test'

    # Files a row of data could name: nobody asked for them to be mailed.
    $script:Private = foreach ($name in 'alice', 'carol') {
        $path = Join-Path $TestDrive "private-$name.txt"
        Set-Content -Path $path -Value "TOP-SECRET-$name-payroll"
        $path
    }
    $script:Rows = @(
        @"
Email,Attachments
alice@example.test,$($Private[0])
bob@example.test,
"@ | ConvertFrom-Csv
        @"
Email,PsPath
carol@example.test,$($Private[1])
dave@example.test,
"@ | ConvertFrom-Csv
    )

    function script:Get-PickupText {
        param([Parameter(Mandatory)] $Result)
        @($Result | ForEach-Object { $_.PickupFiles } | ForEach-Object { Get-Content -Raw -Path $_ })
    }

    function script:Should-AttachNothing {
        param([Parameter(Mandatory)] [string[]] $Text)
        foreach ($eml in $Text) {
            $eml | Should -Not -Match 'Content-Disposition: attachment'
            $eml | Should -Not -Match 'private-(alice|carol)'
            $eml | Should -Not -Match 'TOP-SECRET'
        }
    }
}

Describe 'Attachments come from the pipeline only when asked for' {
    BeforeEach { Get-ChildItem -Path $Pickup | Remove-Item }

    It 'attaches nothing from a column named Attachments or PsPath, and keeps the rows whose cell is empty' {
        $result = $Rows | Send-SmtpMessage -Config $Config -Subject 'Payslips' -Body 'x' -ErrorVariable problems -WarningVariable warnings -WarningAction SilentlyContinue
        $problems | Should -BeNullOrEmpty
        $result.Status | Should -Be 'WrittenToPickup'
        ($result.Recipients.Address | Sort-Object) | Should -Be @('alice@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test')
        Should-AttachNothing (Get-PickupText $result)
        # The user learns why nothing was attached, once.
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match '-Attachments \{'
    }

    It 'attaches nothing from those columns with -Individual either, and sends every row its message' {
        $result = $Rows | Send-SmtpMessage -Config $Config -Individual -Subject 'Payslip for {Email}' -Body 'x' -ErrorVariable problems -WarningAction SilentlyContinue
        $problems | Should -BeNullOrEmpty
        @($result).Count | Should -Be 4
        ($result | ForEach-Object { $_.Recipients } | ForEach-Object Address | Sort-Object) | Should -Be @('alice@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test')
        Should-AttachNothing (Get-PickupText $result)
    }

    It 'still attaches a file piped in, as Send-MailMessage does' {
        $report = Join-Path $TestDrive 'report.txt'
        Set-Content -Path $report -Value 'DISK-REPORT-BODY'
        $result = Get-ChildItem -Path $report | Send-SmtpMessage -Config $Config -To 'ops@example.test' -Subject 'Report' -Body 'x' -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        $eml = Get-PickupText $result
        $eml | Should -Match 'Content-Disposition: attachment; filename=report.txt'
        $eml | Should -Match 'ops@example.test'
    }

    It 'attaches each row''s file when asked with a script block, and reports a row whose script block gives no file' {
        $result = $Rows[0..1] | Send-SmtpMessage -Config $Config -Individual -Subject 'Payslip' -Body 'x' -Attachments { $_.Attachments } -ErrorVariable problems -ErrorAction SilentlyContinue
        @($result).Count | Should -Be 1
        $result.Recipients.Address | Should -Be 'alice@example.test'
        Get-PickupText $result | Should -Match 'filename=private-alice.txt'
        @($problems).Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'AttachmentNotFound,*'
        "$($problems[0])" | Should -Match 'bob@example.test'
    }

    It 'still refuses an empty -Attachments on the command line' -ForEach @(@{ Value = '' }, @{ Value = $null }, @{ Value = @() }) {
        { Send-SmtpMessage -Config $Config -To 'ops@example.test' -Subject 'x' -Body 'x' -Attachments $Value } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        @(Get-ChildItem -Path $Pickup).Count | Should -Be 0
    }
}
