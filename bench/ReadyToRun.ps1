# ReadyToRun helpers of bench/Invoke-Benchmark.ps1, dot-sourced by it.
# Released PowerShell packages (MSI, deb, rpm, tar.gz, zip) are ReadyToRun-compiled; the dotnet tool's pwsh, the
# only one the build installs, is IL only, so a new tool pwsh JIT-compiles thousands of PowerShell's own methods
# that no user's pwsh compiles. The benchmark therefore runs its PowerShell clients on a ReadyToRun copy of the
# tool's pwsh, made here once with the crossgen2 of the SDK's own NuGet package and kept in bench/out.

function Test-ReadyToRunImage {
    <#
    .SYNOPSIS
        Whether a file is a managed assembly with a ReadyToRun header ('RTR' signature), and whether it is managed.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        $cor = $null
        try { $cor = $pe.PEHeaders.CorHeader } catch { }
        if (-not $cor) { return [pscustomobject]@{ Managed = $false; ReadyToRun = $false } }
        $native = $cor.ManagedNativeHeaderDirectory
        $r2r = $false
        if ($native.Size -gt 0) {
            $offset = 0
            if ($pe.PEHeaders.TryGetDirectoryOffset($native, [ref] $offset)) {
                $bytes = [byte[]]::new(4)
                $null = $stream.Seek($offset, 'Begin')
                $null = $stream.Read($bytes, 0, 4)
                $r2r = [BitConverter]::ToUInt32($bytes, 0) -eq 0x00525452  # READYTORUN_SIGNATURE, 'RTR'
            }
        }
        [pscustomobject]@{ Managed = $true; ReadyToRun = $r2r }
    }
    finally { $stream.Dispose() }
}

function Get-Crossgen2 {
    <#
    .SYNOPSIS
        The crossgen2 that the SDK resolves for a ReadyToRun publish of bench/RawMailKit on this host (its restore
        brings the package), with its version and target.
    #>
    param([Parameter(Mandatory)] [string] $Project)
    $rid = (& dotnet msbuild $Project -nologo -getProperty:NETCoreSdkRuntimeIdentifier).Trim()
    $json = & dotnet msbuild $Project -nologo -restore "-p:RuntimeIdentifier=$rid" -p:Configuration=Release `
        '-t:ResolveTargetingPackAssets;ResolveReadyToRunCompilers' -getItem:Crossgen2Tool -getItem:ResolvedCrossgen2Pack
    if ($LASTEXITCODE -ne 0) { throw "Resolving crossgen2 through $Project failed:`n$($json -join "`n")" }
    $items = ($json -join "`n" | ConvertFrom-Json).Items
    $tool = @($items.Crossgen2Tool)[0]
    $pack = @($items.ResolvedCrossgen2Pack)[0]
    if (-not $tool -or -not (Test-Path $tool.FullPath)) { throw "The SDK resolved no crossgen2 for $rid." }
    [pscustomobject]@{
        Path       = $tool.FullPath
        Version    = $pack.NuGetPackageVersion
        TargetOS   = $tool.TargetOS
        TargetArch = $tool.TargetArch
        Rid        = $rid
    }
}

function Get-ReadyToRunPwsh {
    <#
    .SYNOPSIS
        A ReadyToRun copy of the PowerShell at $PSHOME, made once and cached under -CacheRoot (keyed by the
        PowerShell version and the crossgen2 version), or $PSHOME itself when it is already ReadyToRun (an
        installed release). Returns the directory and what was compiled.
    #>
    param([Parameter(Mandatory)] [string] $CacheRoot, [Parameter(Mandatory)] [string] $Project)
    if ((Test-ReadyToRunImage ([psobject].Assembly.Location)).ReadyToRun) {
        return [pscustomobject]@{ Directory = $PSHOME; Made = $false; Compiled = @(); Crossgen2 = $null }
    }
    $crossgen = Get-Crossgen2 -Project $Project
    $target = Join-Path $CacheRoot "pwsh-$($PSVersionTable.PSVersion)-r2r-crossgen2-$($crossgen.Version)"
    $stamp = Join-Path $target '.readytorun-complete'
    if (Test-Path $stamp) {
        return [pscustomobject]@{ Directory = $target; Made = $false; Compiled = @(Get-Content $stamp); Crossgen2 = $crossgen }
    }

    # The whole of $PSHOME (modules, types, formats, runtimeconfig) is copied, then every IL-only assembly at its
    # top is replaced by its ReadyToRun image, as a release publish does; ref/ holds reference assemblies for
    # Add-Type and stays as it is.
    $work = "$target.partial"
    if (Test-Path $work) { Remove-Item $work -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $CacheRoot | Out-Null
    Copy-Item -Path $PSHOME -Destination $work -Recurse
    $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $compiled = [System.Collections.Generic.List[string]]::new()
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($file in Get-ChildItem -Path $PSHOME -Filter *.dll -File) {
        $image = Test-ReadyToRunImage $file.FullName
        if (-not $image.Managed -or $image.ReadyToRun) { continue }
        $output = Join-Path $work $file.Name
        # A response file, as the SDK gives crossgen2: on Unix pwsh would expand the '*.dll' of a native argument.
        $rsp = Join-Path $work "$($file.Name).rsp"
        Set-Content -Path $rsp -Value @(
            $file.FullName, "-o:$output", "-r:$(Join-Path $runtime '*.dll')", "-r:$(Join-Path $PSHOME '*.dll')",
            "--targetos:$($crossgen.TargetOS)", "--targetarch:$($crossgen.TargetArch)", '-O')
        $log = & $crossgen.Path "@$rsp" 2>&1
        if ($LASTEXITCODE -ne 0) { throw "crossgen2 failed on $($file.Name):`n$($log -join "`n")" }
        Remove-Item $rsp
        if (-not (Test-ReadyToRunImage $output).ReadyToRun) { throw "crossgen2 wrote no ReadyToRun image for $($file.Name)." }
        $compiled.Add($file.Name)
    }
    Write-Host "  crossgen2 $($crossgen.Version) compiled $($compiled.Count) assemblies of PowerShell $($PSVersionTable.PSVersion) in $([math]::Round($clock.Elapsed.TotalSeconds)) s"
    Set-Content -Path (Join-Path $work '.readytorun-complete') -Value $compiled
    Move-Item -Path $work -Destination $target
    [pscustomobject]@{ Directory = $target; Made = $true; Compiled = $compiled.ToArray(); Crossgen2 = $crossgen }
}
