# Reads and writes the platyPS-format cmdlet pages in docs/. Used by tools/Update-CommandDocs.ps1 (which
# refreshes the parts a compiled cmdlet determines) and by tests/Help.Tests.ps1 (which reads the pages).
#
# A page is split into sections at headings outside fenced code blocks, line by line, so that every
# human-written line survives an update byte for byte. (tools/HelpBuilder reads the same pages with
# Markdig to write MAML; this module never renders markdown, it only cuts and reassembles it.)
Set-StrictMode -Version Latest

$script:CommonParametersText = 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, ' +
    '-InformationAction, -InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, ' +
    '-Verbose, -WarningAction, and -WarningVariable. For more information, see ' +
    '[about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).'

# Descriptions PowerShell itself defines: a new page gets these instead of a placeholder.
$script:StandardDescriptions = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

$script:KnownSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'

function Get-ParameterPlaceholder([string] $Name) { "{{ Fill $Name Description }}" }

function Test-DocPlaceholder {
    <# .SYNOPSIS True when a piece of help text is empty or still a {{ placeholder }}. #>
    param([Parameter(Position = 0, ValueFromPipeline)] [AllowNull()] [AllowEmptyString()] [string] $Text)
    # The placeholders this module and platyPS write: {{ Fill ... }}, {{ Add ... }}. Literal {{ }} in text is fine.
    process { [string]::IsNullOrWhiteSpace($Text) -or $Text -match '\{\{\s*(Fill|Add)\b[^}]*\}\}' }
}

function Split-MarkdownSection {
    <#
    .SYNOPSIS
        Cuts markdown lines into sections at headings of one level ("## " or "### "), ignoring lines
        inside fenced code blocks. The first section (Heading $null) holds the lines before any heading.
    #>
    param([AllowEmptyCollection()] [string[]] $Lines, [ValidateRange(1, 6)] [int] $Level)
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Heading = $null; Lines = [System.Collections.Generic.List[string]]::new() }
    $sections.Add($current)
    $fence = $null
    $prefix = ('#' * $Level) + ' '
    foreach ($line in $Lines) {
        if ($fence) {
            if ($line -match '^ {0,3}(`{3,}|~{3,})\s*$' -and $Matches[1][0] -eq $fence[0] -and $Matches[1].Length -ge $fence.Length) { $fence = $null }
        }
        elseif ($line -match '^ {0,3}(`{3,}|~{3,})') {
            $fence = $Matches[1]
        }
        elseif ($line.StartsWith($prefix)) {
            $current = [pscustomobject]@{ Heading = $line.Substring($prefix.Length).Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            $sections.Add($current)
            continue
        }
        $current.Lines.Add($line)
    }
    $sections
}

function Get-FencedBlock {
    <# .SYNOPSIS The fenced code blocks among some lines: Info (the word after the fence), Code, and the line range. #>
    param([AllowEmptyCollection()] [string[]] $Lines)
    $open = $null
    for ($i = 0; $i -lt $Lines.Count; $i++) {
        $line = $Lines[$i]
        if ($open) {
            if ($line -match '^ {0,3}(`{3,}|~{3,})\s*$' -and $Matches[1][0] -eq $open.Fence[0] -and $Matches[1].Length -ge $open.Fence.Length) {
                $code = if ($i -gt $open.Start + 1) { $Lines[($open.Start + 1)..($i - 1)] -join "`n" } else { '' }
                [pscustomobject]@{ Info = $open.Info; Code = $code; Start = $open.Start; End = $i }
                $open = $null
            }
        }
        elseif ($line -match '^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)') {
            $open = @{ Fence = $Matches[1]; Info = $Matches[2]; Start = $i }
        }
    }
}

function ConvertFrom-ParameterYaml {
    <# .SYNOPSIS The key: value lines of a parameter's yaml block as an ordered dictionary. #>
    param([string] $Yaml)
    $values = [ordered]@{}
    foreach ($line in $Yaml -split "`n") {
        $colon = $line.IndexOf(':')
        if ($colon -gt 0) { $values[$line.Substring(0, $colon).Trim()] = $line.Substring($colon + 1).Trim() }
    }
    $values
}

function Read-CommandDoc {
    <#
    .SYNOPSIS
        Reads a platyPS-format cmdlet page: front matter, the H2 sections (raw lines), and the parsed
        parts tests and the updater need (syntax blocks, parameters with description and yaml blocks,
        examples, input and output types).
    #>
    param([Parameter(Mandatory, ParameterSetName = 'Path')] [string] $Path, [Parameter(Mandatory, ParameterSetName = 'Text')] [string] $Text)
    if ($Path) { $Text = [System.IO.File]::ReadAllText($Path) }
    $text = $Text -replace "`r`n", "`n"
    $lines = $text -split "`n"
    $front = [ordered]@{}
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i].Trim() -eq '---') { $start = $i + 1; break }
            $colon = $lines[$i].IndexOf(':')
            if ($colon -gt 0) { $front[$lines[$i].Substring(0, $colon).Trim()] = $lines[$i].Substring($colon + 1).Trim() }
        }
    }
    $body = if ($start -lt $lines.Count) { $lines[$start..($lines.Count - 1)] } else { @() }
    $top = Split-MarkdownSection -Lines $body -Level 1
    $title = ($top | Where-Object Heading | Select-Object -First 1)
    $h2Lines = if ($title) { $title.Lines } else { $body }
    $sections = [ordered]@{}
    $extra = [System.Collections.Generic.List[object]]::new()
    foreach ($section in (Split-MarkdownSection -Lines $h2Lines -Level 2 | Where-Object Heading)) {
        $key = $section.Heading.ToUpperInvariant()
        if ($key -in $script:KnownSections -and -not $sections.Contains($key)) { $sections[$key] = $section.Lines } else { $extra.Add($section) }
    }

    $doc = [pscustomobject]@{
        Path          = $Path
        FrontMatter   = $front
        Name          = if ($title) { $title.Heading } else { $null }
        Sections      = $sections
        ExtraSections = $extra
        Synopsis      = Get-SectionText $sections 'SYNOPSIS'
        Description   = Get-SectionText $sections 'DESCRIPTION'
        Syntax        = @()
        Parameters    = [ordered]@{}
        Examples      = @()
        Inputs        = @()
        Outputs       = @()
    }
    if ($sections.Contains('SYNTAX')) {
        $doc.Syntax = @($(foreach ($sub in (Split-MarkdownSection -Lines $sections['SYNTAX'] -Level 3)) {
                $set = if ($sub.Heading) { $sub.Heading -replace '\s*\(Default\)\s*$', '' } else { '__AllParameterSets' }
                [pscustomobject]@{
                    ParameterSet = $set
                    IsDefault    = [bool]($sub.Heading -and $sub.Heading -match '\(Default\)\s*$')
                    Lines        = @(Get-FencedBlock $sub.Lines | ForEach-Object { $_.Code -split "`n" } | Where-Object { $_.Trim() })
                }
            }) | Where-Object { $_.Lines.Count -gt 0 })
    }
    if ($sections.Contains('PARAMETERS')) {
        foreach ($sub in (Split-MarkdownSection -Lines $sections['PARAMETERS'] -Level 3 | Where-Object { $_.Heading -and $_.Heading.StartsWith('-') })) {
            $blocks = @(Get-FencedBlock $sub.Lines | Where-Object Info -EQ 'yaml')
            $inYaml = [System.Collections.Generic.HashSet[int]]::new()
            foreach ($block in $blocks) { foreach ($i in $block.Start..$block.End) { [void]$inYaml.Add($i) } }
            $descriptionLines = for ($i = 0; $i -lt $sub.Lines.Count; $i++) { if (-not $inYaml.Contains($i)) { $sub.Lines[$i] } }
            $doc.Parameters[$sub.Heading.Substring(1)] = [pscustomobject]@{
                Name        = $sub.Heading.Substring(1)
                Description = (@($descriptionLines) -join "`n").Trim()
                Yaml        = @($blocks | ForEach-Object { ConvertFrom-ParameterYaml $_.Code })
            }
        }
    }
    if ($sections.Contains('EXAMPLES')) {
        $doc.Examples = @(foreach ($sub in (Split-MarkdownSection -Lines $sections['EXAMPLES'] -Level 3 | Where-Object Heading)) {
                [pscustomobject]@{ Title = $sub.Heading; Blocks = @(Get-FencedBlock $sub.Lines); Lines = $sub.Lines }
            })
    }
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if (-not $sections.Contains($kind)) { continue }
        $types = @(foreach ($sub in (Split-MarkdownSection -Lines $sections[$kind] -Level 3 | Where-Object Heading)) {
                [pscustomobject]@{ Name = $sub.Heading; Description = ($sub.Lines -join "`n").Trim(); Lines = $sub.Lines }
            })
        if ($kind -eq 'INPUTS') { $doc.Inputs = $types } else { $doc.Outputs = $types }
    }
    $doc
}

function Get-CommandDocExample {
    <#
    .SYNOPSIS
        The examples of every cmdlet page in a folder, as tests/HelpExamples.Tests.ps1 runs them: the
        PowerShell blocks of each "### Example" joined (prompts removed), and its skip reason, if any.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    foreach ($page in Get-ChildItem $Path -Filter *.md | Where-Object Name -NotLike 'about_*' | Sort-Object Name) {
        foreach ($example in (Read-CommandDoc -Path $page.FullName).Examples) {
            $skip = $example.Lines | Select-String '<!--\s*example-test:\s*skip:\s*(.*?)\s*-->' | Select-Object -First 1
            $code = @($example.Blocks | Where-Object Info -In 'powershell', 'pwsh', 'ps1', 'ps' | ForEach-Object Code) -join "`n"
            @{
                Page  = $page.BaseName
                Title = $example.Title
                Code  = $code -replace '(?m)^PS [^>\r\n]*> ?', ''
                Skip  = if ($skip) { $skip.Matches[0].Groups[1].Value } else { $null }
            }
        }
    }
}

function Get-SectionText($Sections, [string] $Name) {
    if ($Sections.Contains($Name)) { ($Sections[$Name] -join "`n").Trim() } else { $null }
}

function Get-CommandDocFacts {
    <#
    .SYNOPSIS
        What a compiled cmdlet says about itself, in the terms of a platyPS page: syntax per parameter
        set, and per parameter its type, aliases, default and one entry per group of parameter sets in
        which it behaves alike (required, position, pipeline input).
    #>
    param([Parameter(Mandatory)] [System.Management.Automation.CommandInfo] $Command)
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + 'UseTransaction'
    $sets = @($Command.ParameterSets)
    $multi = $sets.Count -gt 1
    $defaults = Get-CompiledDefault $Command

    $syntax = @(foreach ($set in $sets) {
            [pscustomobject]@{ ParameterSet = $set.Name; IsDefault = $multi -and $set.IsDefault; Line = "$($Command.Name) $set" }
        })

    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($set in $sets) { foreach ($p in $set.Parameters) { if ($p.Name -notin $common -and -not $names.Contains($p.Name)) { $names.Add($p.Name) } } }
    $parameters = foreach ($name in ($names | Sort-Object { $_.ToLowerInvariant() })) {
        $perSet = foreach ($set in $sets) {
            $p = $set.Parameters | Where-Object Name -EQ $name
            if (-not $p) { continue }
            $pipeline = @(if ($p.ValueFromPipeline) { 'ByValue' }; if ($p.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            [pscustomobject]@{
                ParameterSet = $set.Name
                Required     = [bool]$p.IsMandatory
                Position     = if ($p.Position -lt 0) { 'Named' } else { [string]$p.Position }
                Pipeline     = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
                Parameter    = $p
            }
        }
        $first = @($perSet)[0].Parameter
        # Groups in the order of their first parameter set, as the syntax lists the sets.
        $groups = @($perSet | Group-Object { "$($_.Required)|$($_.Position)|$($_.Pipeline)" } |
                Sort-Object { [array]::IndexOf(@($sets.Name), $_.Group[0].ParameterSet) })
        $blocks = foreach ($group in $groups) {
            $g = $group.Group[0]
            [pscustomobject]@{
                ParameterSets = if ($groups.Count -eq 1 -and @($perSet).Count -eq $sets.Count) { '(All)' } else { ($group.Group.ParameterSet) -join ', ' }
                Required      = $g.Required
                Position      = $g.Position
                Pipeline      = $g.Pipeline
            }
        }
        [pscustomobject]@{
            Name      = $name
            Type      = $first.ParameterType.Name
            FullType  = $first.ParameterType
            Aliases   = @($first.Aliases)
            Wildcards = [bool]($first.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            Default   = if ($first.ParameterType -eq [System.Management.Automation.SwitchParameter]) { 'False' } else { $defaults[$name] }
            Blocks    = @($blocks)
            ByValue   = [bool](@($perSet | Where-Object { $_.Parameter.ValueFromPipeline }).Count)
        }
    }

    $inputs = @($parameters | Where-Object ByValue | ForEach-Object { $_.FullType.FullName } | Select-Object -Unique)
    [pscustomobject]@{
        Name          = $Command.Name
        ModuleName    = $Command.ModuleName
        OnlineVersion = Get-OnlineVersion $Command
        MultipleSets  = $multi
        Syntax        = $syntax
        Parameters    = @($parameters)
        Inputs        = if ($inputs) { $inputs } else { @('None') }
        Outputs       = @($Command.OutputType | ForEach-Object { if ($_.Type) { $_.Type.FullName } else { $_.Name } } | Select-Object -Unique)
    }
}

function Get-CompiledDefault {
    <#
    .SYNOPSIS
        Each parameter's default as the compiled cmdlet sets it (a new instance's property values).
        Only meaningful defaults count: a switch is "False", an enum its name; null, empty and a value
        type's zero are left to the page, where a person can explain a default computed at run time.
    #>
    param([System.Management.Automation.CommandInfo] $Command)
    $defaults = @{}
    if (-not ($Command -is [System.Management.Automation.CmdletInfo] -and $Command.ImplementingType)) { return $defaults }
    try { $instance = [Activator]::CreateInstance($Command.ImplementingType) } catch { return $defaults }
    try {
        foreach ($p in $Command.Parameters.Values) {
            $property = $Command.ImplementingType.GetProperty($p.Name)
            if (-not $property) { continue }
            $value = $property.GetValue($instance)
            $type = $p.ParameterType
            $defaults[$p.Name] = if ($type -eq [System.Management.Automation.SwitchParameter]) { 'False' }
            elseif ($type.IsEnum) { [string]$value }
            elseif ($null -eq $value) { $null }
            elseif ($value -is [array]) { if ($value.Count) { $value -join ', ' } else { $null } }
            elseif ($type.IsValueType -and $value -eq [Activator]::CreateInstance($type)) { $null }
            elseif ($value -is [string] -and $value.Length -eq 0) { $null }
            else { [System.Convert]::ToString($value, [cultureinfo]::InvariantCulture) }
        }
    }
    finally {
        if ($instance -is [System.IDisposable]) { $instance.Dispose() }
    }
    $defaults
}

function Get-OnlineVersion([System.Management.Automation.CommandInfo] $Command) {
    $project = $null
    if ($Command.Module -and $Command.Module.PrivateData -is [hashtable] -and $Command.Module.PrivateData['PSData'] -is [hashtable]) {
        $project = $Command.Module.PrivateData['PSData']['ProjectUri']
    }
    if ($project) { "$($project.TrimEnd('/'))/blob/main/docs/$($Command.Name).md" } else { '' }
}

function ConvertTo-CommandDocMarkdown {
    <#
    .SYNOPSIS
        The page for -Facts: the machine-derived parts (front matter, SYNTAX, parameter yaml blocks, the
        list of input and output types) from the compiled cmdlet; every human-written part from -Existing
        (a Read-CommandDoc result), or a placeholder where there is none yet.
    #>
    param([Parameter(Mandatory)] $Facts, $Existing)
    $out = [System.Text.StringBuilder]::new()
    $sections = if ($Existing) { $Existing.Sections } else { [ordered]@{} }
    function Line([string] $Text = '') { [void]$out.Append($Text).Append("`n") }
    function Human([string] $Name, [string[]] $Default) {
        # A section's own lines, without the blank lines around them.
        $lines = if ($sections.Contains($Name)) { @(Get-TrimmedLines $sections[$Name]) } else { @() }
        if (-not $lines) { $lines = $Default }
        foreach ($l in $lines) { Line $l }
        Line
    }

    Line '---'
    Line "external help file: $($Facts.ModuleName).dll-Help.xml"
    Line "Module Name: $($Facts.ModuleName)"
    Line "online version: $($Facts.OnlineVersion)"
    Line 'schema: 2.0.0'
    if ($Existing) {
        foreach ($key in $Existing.FrontMatter.Keys) {
            if ($key -notin 'external help file', 'Module Name', 'online version', 'schema') { Line "${key}: $($Existing.FrontMatter[$key])" }
        }
    }
    Line '---'
    Line
    Line "# $($Facts.Name)"
    Line
    Line '## SYNOPSIS'
    Human 'SYNOPSIS' @('{{ Fill in the Synopsis }}')

    Line '## SYNTAX'
    Line
    foreach ($set in $Facts.Syntax) {
        if ($Facts.MultipleSets) {
            Line "### $($set.ParameterSet)$(if ($set.IsDefault) { ' (Default)' })"
        }
        Line '```'
        Line $set.Line
        Line '```'
        Line
    }

    Line '## DESCRIPTION'
    Human 'DESCRIPTION' @('{{ Fill in the Description }}')

    Line '## EXAMPLES'
    Line
    Human 'EXAMPLES' @('### Example 1', '```powershell', '{{ Add example code here }}', '```', '', '{{ Add example description here }}')

    Line '## PARAMETERS'
    Line
    foreach ($p in $Facts.Parameters) {
        $old = if ($Existing -and $Existing.Parameters.Contains($p.Name)) { $Existing.Parameters[$p.Name] } else { $null }
        $description = if ($old -and $old.Description) { $old.Description }
        elseif ($script:StandardDescriptions.ContainsKey($p.Name)) { $script:StandardDescriptions[$p.Name] }
        else { Get-ParameterPlaceholder $p.Name }
        # A default the compiled cmdlet can't show (computed at run time) stays as a person wrote it.
        $default = if ($p.Default) { $p.Default } elseif ($old -and $old.Yaml.Count -and $old.Yaml[0]['Default value']) { $old.Yaml[0]['Default value'] } else { 'None' }
        Line "### -$($p.Name)"
        Line $description
        Line
        foreach ($block in $p.Blocks) {
            Line '```yaml'
            Line "Type: $($p.Type)"
            Line "Parameter Sets: $($block.ParameterSets)"
            Line ("Aliases: $($p.Aliases -join ', ')".TrimEnd())
            Line
            Line "Required: $($block.Required)"
            Line "Position: $($block.Position)"
            Line "Default value: $default"
            Line "Accept pipeline input: $($block.Pipeline)"
            Line "Accept wildcard characters: $($p.Wildcards)"
            Line '```'
            Line
        }
    }
    Line '### CommonParameters'
    Line $script:CommonParametersText
    Line

    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        Line "## $kind"
        Line
        $machine = if ($kind -eq 'INPUTS') { $Facts.Inputs } else { $Facts.Outputs }
        $written = if ($Existing) { if ($kind -eq 'INPUTS') { $Existing.Inputs } else { $Existing.Outputs } } else { @() }
        # Types a person described stay (an object with a property, say); "None" goes when there is input.
        $types = [System.Collections.Generic.List[object]]::new()
        foreach ($t in $written) { if (-not ($t.Name -eq 'None' -and $machine -notcontains 'None')) { $types.Add($t) } }
        foreach ($name in $machine) {
            if (-not ($types | Where-Object Name -EQ $name)) { $types.Add([pscustomobject]@{ Name = $name; Lines = @('{{ Fill in the type description }}') }) }
        }
        foreach ($t in $types) {
            Line "### $($t.Name)"
            foreach ($l in @(Get-TrimmedLines $t.Lines)) { Line $l }
            Line
        }
    }

    Line '## NOTES'
    Human 'NOTES' @()
    if ($Existing) {
        foreach ($section in $Existing.ExtraSections) {
            Line "## $($section.Heading)"
            foreach ($l in @(Get-TrimmedLines $section.Lines)) { Line $l }
            Line
        }
    }
    Line '## RELATED LINKS'
    Human 'RELATED LINKS' @('[about_SmtpHandler](about_SmtpHandler.md)')
    # One newline at the end of the file.
    $out.ToString().TrimEnd("`n") + "`n"
}

function Get-TrimmedLines([AllowEmptyCollection()] [string[]] $Lines) {
    $list = @($Lines)
    $first = 0
    while ($first -lt $list.Count -and -not $list[$first].Trim()) { $first++ }
    $last = $list.Count - 1
    while ($last -ge $first -and -not $list[$last].Trim()) { $last-- }
    if ($first -le $last) { $list[$first..$last] }
}

Export-ModuleMember -Function Read-CommandDoc, Get-CommandDocExample, Get-CommandDocFacts, ConvertTo-CommandDocMarkdown, Test-DocPlaceholder, Get-ParameterPlaceholder, Split-MarkdownSection, Get-FencedBlock
