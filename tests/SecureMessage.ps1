# Shared by Smime.Tests.ps1 and Dkim.Tests.ps1: the message exactly as the scripted test server received it.
Set-StrictMode -Version Latest

function Save-ReceivedMessage {
    <#
    .SYNOPSIS
        Writes a transaction's message as it came over the wire (the bytes after 354, without the final "." line and
        with dot-stuffing undone) to a file, and returns the file's path. Verifiers read this file, never MimeKit's view.
    #>
    param([Parameter(Mandatory)] $Transaction, [Parameter(Mandatory)] [string] $Path)
    $raw = [byte[]]$Transaction.RawData
    $text = [System.Text.Encoding]::Latin1.GetString($raw)
    if (-not $text.EndsWith("`r`n.`r`n")) { throw "The transaction's data does not end with CRLF.CRLF." }
    $text = $text.Substring(0, $text.Length - 3)
    $lines = $text -split "(?<=`r`n)"
    $unstuffed = foreach ($line in $lines) { if ($line.StartsWith('.')) { $line.Substring(1) } else { $line } }
    [System.IO.File]::WriteAllBytes($Path, [System.Text.Encoding]::Latin1.GetBytes(-join $unstuffed))
    $Path
}
