# Debian packages the tests need (Postfix, verifiers, proxies), installed by the tests themselves with apt-get
# when missing: CI starts from a machine with only the .NET SDK. Dot-source this file.
Set-StrictMode -Version Latest

function Invoke-AsRoot {
    # Runs a native command as root: directly when this process is root, else through sudo -n (never a prompt).
    param([Parameter(Mandatory)] [string] $Command, [string[]] $Arguments = @(), [hashtable] $Environment = @{}, [switch] $AllowFailure)
    $envArgs = @($Environment.Keys | ForEach-Object { "$_=$($Environment[$_])" })
    if ((& id -u) -eq '0') {
        $output = if ($envArgs) { & env @envArgs $Command @Arguments 2>&1 } else { & $Command @Arguments 2>&1 }
    }
    elseif (Get-Command sudo -ErrorAction SilentlyContinue) {
        $output = & sudo -n env @envArgs $Command @Arguments 2>&1
    }
    else {
        throw "Running '$Command' needs root, and this process is neither root nor allowed to use sudo."
    }
    $exit = $LASTEXITCODE
    $text = ($output | ForEach-Object { "$_" }) -join "`n"
    $stdout = ($output | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" }) -join "`n"
    if ($exit -ne 0 -and -not $AllowFailure) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code ${exit}: $text"
    }
    [pscustomobject]@{ ExitCode = $exit; Output = $text; StdOut = $stdout }
}

function Test-DebianPackageInstalled {
    param([Parameter(Mandatory)] [string] $Name)
    $status = & dpkg-query -W '-f=${Status}' $Name 2>$null
    $LASTEXITCODE -eq 0 -and $status -eq 'install ok installed'
}

function Install-DebianPackage {
    <#
    .SYNOPSIS
        Installs the Debian packages named that are missing, unattended (debconf answers given as
        -DebconfSelection lines), without recommends. Waits for apt/dpkg locks held by others (another test run)
        and retries; a package someone else installed meanwhile counts as installed.
    #>
    param([Parameter(Mandatory)] [string[]] $Name, [string[]] $DebconfSelection = @())
    $missing = @($Name | Where-Object { -not (Test-DebianPackageInstalled $_) })
    if (-not $missing) { return }
    if (-not $IsLinux -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        throw "$($missing -join ', ') not installed, and can only be installed here with apt-get (Debian or Ubuntu)."
    }
    $noninteractive = @{ DEBIAN_FRONTEND = 'noninteractive' }
    $lockWait = @('-o', 'DPkg::Lock::Timeout=300')
    $lastError = $null
    foreach ($attempt in 1..3) {
        try {
            Invoke-AsRoot apt-get (@('update', '-q') + $lockWait) -Environment $noninteractive | Out-Null
            if ($DebconfSelection) {
                $selection = Join-Path ([System.IO.Path]::GetTempPath()) "debconf-$PID.txt"
                Set-Content -Path $selection -Value $DebconfSelection
                try { Invoke-AsRoot debconf-set-selections @($selection) | Out-Null } finally { Remove-Item $selection -ErrorAction SilentlyContinue }
            }
            Invoke-AsRoot apt-get (@('install', '-y', '-q', '--no-install-recommends') + $missing + $lockWait) -Environment $noninteractive | Out-Null
        }
        catch { $lastError = $_.Exception.Message }
        $missing = @($missing | Where-Object { -not (Test-DebianPackageInstalled $_) })
        if (-not $missing) { return }
        if (-not $lastError) { $lastError = "apt-get finished but $($missing -join ', ') is not installed." }
        Start-Sleep -Seconds (5 * $attempt)
    }
    throw "Could not install $($missing -join ', '): $lastError"
}
