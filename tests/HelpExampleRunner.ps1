# Runs documentation examples for tests/HelpExamples.Tests.ps1, in the new pwsh process that test starts
# (so that its environment, such as the trust store, is the example's own). Each example gets a fresh
# runspace with the module imported, the stubs of -Prelude defined, and its own working folder.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # JSON: [{ Id, Code, WorkDir }]
    [Parameter(Mandatory)] [string] $InputFile,
    [Parameter(Mandatory)] [string] $OutputFile,
    # Code run before each example in its runspace (stubs for Get-Credential and the like).
    [string] $PreludeFile,
    # smtp4dev API addresses, comma-separated: the messages they hold are counted before and after each example.
    [string] $ApiUrl = '',
    [int] $TimeoutSeconds = 90
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$prelude = if ($PreludeFile) { Get-Content $PreludeFile -Raw } else { '' }

function Get-DeliveredCount {
    $total = 0
    foreach ($api in ($ApiUrl -split ',' | Where-Object { $_ })) {
        $response = Invoke-RestMethod "$api/messages?page=1&pageSize=1" -TimeoutSec 10
        $total += [int]$response.rowCount
    }
    $total
}

$results = foreach ($example in (Get-Content $InputFile -Raw | ConvertFrom-Json)) {
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule($ModulePath)
    $runspace = [runspacefactory]::CreateRunspace($state)
    $runspace.Open()
    $runspace.SessionStateProxy.Path.SetLocation($example.WorkDir) | Out-Null
    # Every object our cmdlets write is kept (whatever the example does with it), for the test to judge.
    $runspace.SessionStateProxy.SetVariable('PSDefaultParameterValues', @{
            'Send-SmtpMessage:OutVariable'      = '+SmtpHandlerExampleOutput'
            'Test-SmtpConnection:OutVariable'   = '+SmtpHandlerExampleOutput'
        })
    $shell = [powershell]::Create($runspace)
    $null = $shell.AddScript($prelude).AddStatement().AddScript($example.Code).AddCommand('Out-String').AddParameter('Width', 160)
    $before = Get-DeliveredCount
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $output = ''
    $terminating = $null
    $timedOut = $false
    try {
        $async = $shell.BeginInvoke()
        if ($async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))) {
            $output = (@($shell.EndInvoke($async)) -join '')
        }
        else {
            $timedOut = $true
            $shell.Stop()
        }
    }
    catch {
        $inner = $_.Exception
        while ($inner.InnerException -and $inner -is [System.Management.Automation.MethodInvocationException]) { $inner = $inner.InnerException }
        $record = if ($inner -is [System.Management.Automation.IContainsErrorRecord]) { $inner.ErrorRecord } else { $null }
        $terminating = if ($record) { "$($record.FullyQualifiedErrorId): $($inner.Message)" } else { "$($inner.GetType().Name): $($inner.Message)" }
    }
    $seconds = $clock.Elapsed.TotalSeconds
    $outcomes = foreach ($item in @($runspace.SessionStateProxy.GetVariable('SmtpHandlerExampleOutput'))) {
        switch ($item) {
            { $_ -is [SmtpHandler.SmtpSendResult] } { [pscustomobject]@{ Kind = 'SendResult'; Endpoint = $_.Server; Success = $_.Success; Detail = "$($_.Status) $($_.ErrorId) $($_.Error)" } }
            { $_ -is [SmtpHandler.SmtpConnectionReport] } { [pscustomobject]@{ Kind = 'ConnectionReport'; Endpoint = "$($_.SmtpServer):$($_.Port)"; Success = $_.Success; Detail = "$($_.ErrorId) $($_.Findings -join ' ')" } }
        }
    }
    [pscustomobject]@{
        Id          = $example.Id
        Output      = $output
        Errors      = @($shell.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" })
        Terminating = $terminating
        TimedOut    = $timedOut
        Seconds     = [math]::Round($seconds, 1)
        Delivered   = (Get-DeliveredCount) - $before
        Outcomes    = @($outcomes)
    }
    $shell.Dispose()
    $runspace.Dispose()
}
ConvertTo-Json -InputObject @($results) -Depth 4 | Set-Content -Path $OutputFile
