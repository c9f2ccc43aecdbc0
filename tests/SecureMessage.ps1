# Shared by Smime.Tests.ps1 and Dkim.Tests.ps1 (with TestSmtpServer.ps1): the message exactly as the scripted test
# server received it.
Set-StrictMode -Version Latest

function Save-ReceivedMessage {
    <#
    .SYNOPSIS
        Writes a transaction's message as it came over the wire (the bytes after 354, without the final "." line and
        with dot-stuffing undone) to a file, and returns the file's path. Verifiers read this file, never MimeKit's view.
    #>
    param([Parameter(Mandatory)] $Transaction, [Parameter(Mandatory)] [string] $Path)
    [System.IO.File]::WriteAllBytes($Path, (ConvertFrom-SmtpData ([byte[]]$Transaction.RawData)))
    $Path
}
