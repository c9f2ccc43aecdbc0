# The help is part of the module: docs/*.md must describe the compiled cmdlets exactly, Get-Help must show
# it, and en-US/ must be what build.ps1 -Task Docs makes of docs/. When a parameter changes, run
#     dotnet pwsh ./build.ps1 -Task UpdateDocs
# then describe what it marks with {{ Fill ... Description }}, and commit docs/ and en-US/ together.

BeforeDiscovery {
    $modulePath = if ($env:SMTPHANDLER_MODULE_PATH) { $env:SMTPHANDLER_MODULE_PATH } else { Join-Path (Split-Path $PSScriptRoot -Parent) 'output/SmtpHandler' }
    Import-Module $modulePath
    Import-Module (Join-Path $PSScriptRoot '../tools/CommandDocs.psm1') -Force
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + 'UseTransaction'
    $script:Cmdlets = @(Get-Command -Module SmtpHandler -CommandType Cmdlet | Sort-Object Name | ForEach-Object Name)
    $script:ParameterCases = foreach ($name in $Cmdlets) {
        $page = Join-Path $PSScriptRoot "../docs/$name.md"
        $documented = if (Test-Path $page) { @((Read-CommandDoc -Path $page).Parameters.Keys) } else { @() }
        $compiled = @((Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $common })
        foreach ($parameter in @($compiled + $documented | Sort-Object -Unique)) { @{ Cmdlet = $name; Parameter = $parameter } }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../tools/CommandDocs.psm1') -Force
    $script:Root = Split-Path $PSScriptRoot -Parent
    $script:Docs = Join-Path $Root 'docs'
    $script:UpdateHint = 'run "dotnet pwsh ./build.ps1 -Task UpdateDocs" and describe what it marks'

    # Each page is read once.
    $script:Pages = @{}
    function Get-Page([string] $Cmdlet) {
        if (-not $Pages.ContainsKey($Cmdlet)) {
            $path = Join-Path $Docs "$Cmdlet.md"
            $Pages[$Cmdlet] = if (Test-Path $path) { Read-CommandDoc -Path $path } else { $null }
        }
        $Pages[$Cmdlet]
    }

    function Get-CompiledSets([string] $Cmdlet, [string] $Parameter) {
        # One line per parameter set the compiled parameter is in, worded as the yaml blocks word it.
        foreach ($set in (Get-Command $Cmdlet).ParameterSets) {
            $p = $set.Parameters | Where-Object Name -EQ $Parameter
            if (-not $p) { continue }
            $pipeline = @(if ($p.ValueFromPipeline) { 'ByValue' }; if ($p.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            $pipelineText = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
            $position = if ($p.Position -lt 0) { 'Named' } else { "$($p.Position)" }
            "$($set.Name): Required=$($p.IsMandatory) Position=$position Pipeline=$pipelineText"
        }
    }

    function Get-DocumentedSets([string] $Cmdlet, $Yaml) {
        $all = @((Get-Command $Cmdlet).ParameterSets.Name)
        foreach ($block in $Yaml) {
            $sets = if ($block['Parameter Sets'] -eq '(All)') { $all } else { $block['Parameter Sets'] -split ',\s*' }
            foreach ($set in $sets) {
                "${set}: Required=$([bool]::Parse($block['Required'])) Position=$($block['Position']) Pipeline=$($block['Accept pipeline input'])"
            }
        }
    }

    # What Get-Help shows, read in a new pwsh that imported only the built module.
    $probe = {
        param($ModulePath)
        Import-Module $ModulePath
        $report = @{}
        foreach ($name in (Get-Command -Module SmtpHandler -CommandType Cmdlet).Name) {
            $help = Get-Help $name -Full
            $report[$name] = @{
                Synopsis    = "$($help.Synopsis)"
                Description = (@($help.description | ForEach-Object Text) -join "`n")
                Parameters  = @($help.parameters.parameter | ForEach-Object {
                        @{
                            Name = $_.name; Description = (@($_.description | ForEach-Object Text) -join "`n"); Required = "$($_.required)"
                            Position = "$($_.position)"; PipelineInput = "$($_.pipelineInput)"; Aliases = "$($_.aliases)"; Type = "$($_.type.name)"
                        }
                    })
                Inputs      = @($help.inputTypes.inputType | ForEach-Object { "$($_.type.name)" })
                InputText   = (@($help.inputTypes.inputType | ForEach-Object { $_.description | ForEach-Object Text }) -join "`n")
                Outputs     = @($help.returnValues.returnValue | ForEach-Object { "$($_.type.name)" })
                OutputText  = (@($help.returnValues.returnValue | ForEach-Object { $_.description | ForEach-Object Text }) -join "`n")
                Examples    = @($help.examples.example | ForEach-Object { @{ Title = "$($_.title)"; Code = "$($_.code)" } })
                Text        = ($help | Out-String -Width 250)
            }
        }
        $report['about_SmtpHandler'] = @{ Text = (Get-Help about_SmtpHandler | Out-String -Width 250) }
        $to = Get-Help Send-SmtpMessage -Parameter To
        $report['Send-SmtpMessage -Parameter To'] = @{ Name = "$($to.name)"; Description = (@($to.description | ForEach-Object Text) -join "`n"); Text = ($to | Out-String -Width 250) }
        $report | ConvertTo-Json -Depth 6 -Compress
    }
    $run = Invoke-NewPwsh -Script "& { $probe } -ModulePath '$ModulePath'"
    if ($run.ExitCode -ne 0) { throw "Get-Help in a new pwsh failed: $($run.Error)" }
    $script:Help = $run.Output | ConvertFrom-Json
}

Describe 'Each page in docs/ matches its compiled cmdlet' {
    Context '<_>' -ForEach $Cmdlets {
        BeforeAll {
            $script:Cmdlet = $_
            $script:Page = Get-Page $Cmdlet
            $script:Command = Get-Command $Cmdlet
        }

        It 'has a page docs/<_>.md' {
            $Page | Should -Not -BeNullOrEmpty -Because "every cmdlet needs a help page: $UpdateHint"
            $Page.Name | Should -BeExactly $Cmdlet
            $Page.FrontMatter['external help file'] | Should -Be 'SmtpHandler.dll-Help.xml'
            $Page.FrontMatter['Module Name'] | Should -Be 'SmtpHandler'
            $Page.FrontMatter['schema'] | Should -Be '2.0.0'
        }

        It 'shows the syntax that Get-Command -Syntax shows, one block per parameter set' {
            $expected = @($Command.ParameterSets | ForEach-Object { "$($_.Name)|$Cmdlet $_" })
            $actual = @($Page.Syntax | ForEach-Object { $set = $_.ParameterSet; $_.Lines | ForEach-Object { "$(if ($Command.ParameterSets.Count -eq 1) { $Command.ParameterSets[0].Name } else { $set })|$_" } })
            $actual | Should -Be $expected -Because "docs/$Cmdlet.md SYNTAX is generated: $UpdateHint"
            if ($Command.ParameterSets.Count -gt 1) {
                ($Page.Syntax | Where-Object IsDefault).ParameterSet | Should -Be $Command.DefaultParameterSet
            }
        }

        It 'has a synopsis, a description and at least 4 examples, none a placeholder' {
            $Page.Synopsis | Test-DocPlaceholder | Should -BeFalse -Because "docs/$Cmdlet.md needs a SYNOPSIS"
            $Page.Description | Test-DocPlaceholder | Should -BeFalse -Because "docs/$Cmdlet.md needs a DESCRIPTION"
            $Page.Examples.Count | Should -BeGreaterOrEqual 4 -Because "docs/$Cmdlet.md needs at least 4 examples"
            foreach ($example in $Page.Examples) {
                ($example.Lines -join "`n") | Test-DocPlaceholder | Should -BeFalse -Because "docs/$Cmdlet.md '$($example.Title)' is still a placeholder"
            }
        }

        It 'describes every input type (pipeline by value) and every output type ([OutputType])' {
            $byValue = @($Command.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline } } |
                    ForEach-Object { $_.ParameterType.FullName } | Select-Object -Unique)
            $inputs = if ($byValue) { $byValue } else { @('None') }
            foreach ($type in $inputs) { $Page.Inputs.Name | Should -Contain $type -Because "docs/$Cmdlet.md INPUTS: $UpdateHint" }
            foreach ($type in @($Command.OutputType | ForEach-Object { $_.Type.FullName })) {
                $Page.Outputs.Name | Should -Contain $type -Because "docs/$Cmdlet.md OUTPUTS: $UpdateHint"
            }
            foreach ($type in @($Page.Inputs) + @($Page.Outputs)) {
                $type.Description | Test-DocPlaceholder | Should -BeFalse -Because "docs/$Cmdlet.md: describe the type $($type.Name)"
            }
        }
    }

    It '<Cmdlet> -<Parameter> is documented as compiled, with a description' -ForEach $ParameterCases {
        $command = Get-Command $Cmdlet
        $page = Get-Page $Cmdlet
        $command.Parameters.ContainsKey($Parameter) | Should -BeTrue -Because "docs/$Cmdlet.md documents -$Parameter, which $Cmdlet does not have: $UpdateHint"
        $page.Parameters.Contains($Parameter) | Should -BeTrue -Because "$Cmdlet has -$Parameter, which docs/$Cmdlet.md does not document: $UpdateHint"
        $doc = $page.Parameters[$Parameter]
        $doc.Description | Test-DocPlaceholder | Should -BeFalse -Because "$Cmdlet -$Parameter has no description in docs/$Cmdlet.md (empty or a {{ placeholder }})"

        $compiled = $command.Parameters[$Parameter]
        $doc.Yaml.Count | Should -BeGreaterThan 0 -Because "docs/$Cmdlet.md -$Parameter needs its yaml block: $UpdateHint"
        foreach ($block in $doc.Yaml) {
            $block['Type'] | Should -BeExactly $compiled.ParameterType.Name -Because "$Cmdlet -$Parameter's type"
            @($block['Aliases'] -split ',\s*' | Where-Object { $_ }) | Should -Be @($compiled.Aliases) -Because "$Cmdlet -$Parameter's aliases"
        }
        @(Get-DocumentedSets $Cmdlet $doc.Yaml | Sort-Object) | Should -Be @(Get-CompiledSets $Cmdlet $Parameter | Sort-Object) -Because "$Cmdlet -$Parameter's parameter sets, mandatory, position and pipeline input: $UpdateHint"
    }
}

Describe 'Get-Help in a new pwsh with the built module' {
    Context '<_>' -ForEach $Cmdlets {
        BeforeAll {
            $script:Cmdlet = $_
            $script:Shown = $Help.$Cmdlet
            $script:Page = Get-Page $Cmdlet
        }

        It 'shows the synopsis and the description of the page' {
            $Shown.Synopsis | Should -Be (($Page.Synopsis -replace '\s+', ' ').Trim())
            $firstParagraph = (($Page.Description -split "`n`n")[0] -replace '`', '' -replace '\s+', ' ').Trim()
            ($Shown.Description -replace '\s+', ' ') | Should -BeLike "*$firstParagraph*"
        }

        It 'shows every parameter with its description, as compiled' {
            $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + 'UseTransaction'
            $command = Get-Command $Cmdlet
            foreach ($name in ($command.Parameters.Keys | Where-Object { $_ -notin $common })) {
                $listed = $Shown.Parameters | Where-Object { $_.Name -eq $name }
                $listed | Should -Not -BeNullOrEmpty -Because "Get-Help $Cmdlet -Full should list -$name"
                $listed.Description | Test-DocPlaceholder | Should -BeFalse -Because "Get-Help $Cmdlet -Full should describe -$name"
                $Shown.Text | Should -Match "-$name\b"
                $compiled = $command.Parameters[$name]
                $listed.Type | Should -Be $compiled.ParameterType.Name
                $listed.Aliases | Should -Be $(if ($compiled.Aliases.Count) { $compiled.Aliases -join ', ' } else { 'none' })
                $sets = @(Get-CompiledSets $Cmdlet $name | ForEach-Object { $_ -replace '^[^:]*: ', '' } | Select-Object -Unique)
                if ($sets.Count -eq 1) {
                    "Required=$((Get-Culture).TextInfo.ToTitleCase($listed.Required)) Position=$($listed.Position -replace '^named$', 'Named') Pipeline=$($listed.PipelineInput)" |
                        Should -Be $sets[0] -Because "Get-Help $Cmdlet -Parameter $name"
                }
            }
        }

        It 'shows the inputs, the outputs and at least 4 examples with code' {
            $Shown.Inputs | Should -Not -BeNullOrEmpty
            $Shown.InputText | Should -Not -BeNullOrEmpty
            $Shown.Outputs | Should -Be @((Get-Command $Cmdlet).OutputType.Type.FullName)
            $Shown.OutputText | Should -Not -BeNullOrEmpty
            $Shown.Examples.Count | Should -BeGreaterOrEqual 4
            foreach ($example in $Shown.Examples) { $example.Code | Should -Not -BeNullOrEmpty }
            foreach ($section in 'NAME', 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'Example 1', 'RELATED LINKS') {
                $Shown.Text | Should -Match ([regex]::Escape($section))
            }
        }
    }

    It 'shows about_SmtpHandler' {
        $text = $Help.about_SmtpHandler.Text
        $text | Should -Match 'TOPIC\s+about_SmtpHandler'
        foreach ($heading in 'TLS versus STARTTLS', 'Trust and custom certificates', 'App passwords', 'personal account',
            'Local development servers', 'Recipient batching versus message batching', 'Results and errors', 'Migrating from Send-MailMessage') {
            $text | Should -Match $heading
        }
    }

    It 'shows one parameter: Get-Help Send-SmtpMessage -Parameter To' {
        $to = $Help.'Send-SmtpMessage -Parameter To'
        $to.Name | Should -Be 'To'
        $to.Description | Test-DocPlaceholder | Should -BeFalse
        $mandatory = "$((Get-Command Send-SmtpMessage).Parameters['To'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }, 'First').Mandatory)".ToLowerInvariant()
        $to.Text | Should -Match "Required\?\s+$mandatory"
        $to.Text | Should -Match 'Position\?\s+0'
    }
}

Describe 'en-US/ as committed' {
    It 'is exactly what build.ps1 -Task Docs makes of docs/ (never edited by hand, never stale)' {
        $git = Get-Command git -ErrorAction SilentlyContinue
        if (-not $git -or -not (Test-Path (Join-Path $Root '.git'))) {
            Set-ItResult -Skipped -Because 'this is not a git checkout'
            return
        }
        $generated = Join-Path ([System.IO.Path]::GetTempPath()) "smtphandler-help-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        try {
            # The HelpBuilder that Docs just built, when it is newer than its sources; else build it.
            $tool = Join-Path $Root 'tools/HelpBuilder/bin/Release/net10.0/HelpBuilder.dll'
            $sources = Get-ChildItem (Join-Path $Root 'tools/HelpBuilder') -File | Where-Object Extension -In '.cs', '.csproj'
            $fresh = (Test-Path $tool) -and -not ($sources | Where-Object LastWriteTimeUtc -GT (Get-Item $tool).LastWriteTimeUtc)
            $build = if ($fresh) { & dotnet $tool $Docs $generated 'SmtpHandler.dll' 2>&1 }
            else { & dotnet run --project (Join-Path $Root 'tools/HelpBuilder') -c Release -v quiet -- $Docs $generated 'SmtpHandler.dll' 2>&1 }
            $LASTEXITCODE | Should -Be 0 -Because "HelpBuilder said: $build"
            $committed = @(& git -C $Root ls-files -- en-US | ForEach-Object { ($_ -split '/')[-1] } | Sort-Object)
            $made = @(Get-ChildItem $generated -File | ForEach-Object Name | Sort-Object)
            $committed | Should -Be $made -Because 'en-US/ in git should hold the files Docs writes; commit en-US/ with docs/'
            foreach ($name in $made) {
                # The index: what the next commit holds. Line endings aside (a checkout may convert them).
                $inGit = (& git -C $Root show ":en-US/$name" | Out-String) -replace "`r`n", "`n"
                $text = [System.IO.File]::ReadAllText((Join-Path $generated $name)) -replace "`r`n", "`n"
                $inGit.TrimEnd() | Should -BeExactly $text.TrimEnd() -Because "en-US/$name must be regenerated from docs/ (build.ps1 -Task Docs) and committed, never edited by hand"
            }
        }
        finally {
            Remove-Item $generated -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'The updater (tools/CommandDocs.psm1) keeps written text and refreshes the rest' {
    BeforeAll {
        # A command with two parameter sets in which -Name behaves differently.
        function Test-DocSample {
            [CmdletBinding(DefaultParameterSetName = 'ByName')]
            [OutputType([string])]
            param(
                [Parameter(Mandatory, Position = 0, ParameterSetName = 'ByName')]
                [Parameter(ParameterSetName = 'ById', ValueFromPipelineByPropertyName)]
                [Alias('N')]
                [string] $Name,
                [Parameter(Mandatory, ParameterSetName = 'ById', ValueFromPipeline)]
                [int] $Id,
                [switch] $Force
            )
        }
        $script:Facts = Get-CommandDocFacts -Command (Get-Command Test-DocSample)
        $script:Written = @'
---
external help file: Old.dll-Help.xml
Module Name: Old
online version:
schema: 2.0.0
---

# Test-DocSample

## SYNOPSIS
Does a sample thing.

## SYNTAX

```
Test-DocSample -Whatever
```

## DESCRIPTION
A description written by a person,

over two paragraphs.

## EXAMPLES

### Example 1: By name
```powershell
Test-DocSample -Name x
```

It does x.

## PARAMETERS

### -Name
The name, written by a person.

```yaml
Type: Object
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: The computer's name
Accept pipeline input: False
Accept wildcard characters: False
```

### -Old
A parameter that is gone.

```yaml
Type: String
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

## INPUTS

### System.Object
Objects with a Name property.

## OUTPUTS

### System.String
A string.

## NOTES
A note.

## RELATED LINKS

[about_Sample](https://example.com/about_Sample)
'@
        $script:Updated = ConvertTo-CommandDocMarkdown -Facts $Facts -Existing (Read-CommandDoc -Text $Written)
        $script:Page = Read-CommandDoc -Text $Updated
    }

    It 'keeps the synopsis, description, examples, notes, links and type descriptions as written' {
        $Page.Synopsis | Should -Be 'Does a sample thing.'
        $Page.Description | Should -Be "A description written by a person,`n`nover two paragraphs."
        $Page.Examples.Title | Should -Be 'Example 1: By name'
        $Page.Examples[0].Blocks[0].Code | Should -Be 'Test-DocSample -Name x'
        $Updated | Should -Match '(?s)## NOTES\nA note\.\n'
        $Updated | Should -Match ([regex]::Escape('[about_Sample](https://example.com/about_Sample)'))
        ($Page.Inputs | Where-Object Name -EQ 'System.Object').Description | Should -Be 'Objects with a Name property.'
        ($Page.Outputs | Where-Object Name -EQ 'System.String').Description | Should -Be 'A string.'
    }

    It 'keeps a parameter description, gives a new parameter a placeholder and drops a removed one' {
        $Page.Parameters['Name'].Description | Should -Be 'The name, written by a person.'
        $Page.Parameters['Id'].Description | Should -Be '{{ Fill Id Description }}'
        $Page.Parameters.Contains('Old') | Should -BeFalse
        @($Page.Parameters.Keys) | Should -Be @('Force', 'Id', 'Name')
    }

    It 'writes one yaml block per group of parameter sets in which a parameter differs' {
        $blocks = $Page.Parameters['Name'].Yaml
        $blocks.Count | Should -Be 2
        $blocks[0]['Parameter Sets'] | Should -Be 'ByName'
        $blocks[0]['Required'] | Should -Be 'True'
        $blocks[0]['Position'] | Should -Be '0'
        $blocks[1]['Parameter Sets'] | Should -Be 'ById'
        $blocks[1]['Accept pipeline input'] | Should -Be 'True (ByPropertyName)'
        $blocks | ForEach-Object { $_['Type'] | Should -Be 'String'; $_['Aliases'] | Should -Be 'N' }
        $Page.Parameters['Force'].Yaml[0]['Parameter Sets'] | Should -Be '(All)'
        $Page.Parameters['Id'].Yaml[0]['Accept pipeline input'] | Should -Be 'True (ByValue)'
    }

    It 'keeps a default value a person wrote where the compiled command has none' {
        $Page.Parameters['Name'].Yaml | ForEach-Object { $_['Default value'] | Should -Be "The computer's name" }
        $Page.Parameters['Force'].Yaml[0]['Default value'] | Should -Be 'False'
    }

    It 'rewrites the front matter and the syntax, the default set marked, and adds the new input type' {
        $Page.FrontMatter['external help file'] | Should -Be '.dll-Help.xml' -Because 'a function has no module here'
        $Page.Syntax.ParameterSet | Should -Be @('ByName', 'ById')
        ($Page.Syntax | Where-Object IsDefault).ParameterSet | Should -Be 'ByName'
        $Page.Syntax[0].Lines | Should -Be @("Test-DocSample [-Name] <string> [-Force] [<CommonParameters>]")
        $Page.Inputs.Name | Should -Be @('System.Object', 'System.Int32')
    }

    It 'changes nothing when run again' {
        ConvertTo-CommandDocMarkdown -Facts $Facts -Existing $Page | Should -BeExactly $Updated
    }
}
