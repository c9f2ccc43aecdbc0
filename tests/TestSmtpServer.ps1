# The scriptable SMTP test server and test token endpoint (tests/SmtpHandler.Testing, the same ones the xunit tests
# use), for what smtp4dev and Postfix can't do on demand. build.ps1 -Task Test builds them into artifacts/testing
# before Pester runs. Each server binds 127.0.0.1 on a free port and stops on Dispose().
Set-StrictMode -Version Latest

if (-not ('SmtpHandler.Testing.SmtpTestServer' -as [type])) {
    $testSupport = Join-Path (Split-Path $PSScriptRoot -Parent) 'artifacts/testing/SmtpHandler.Testing.dll'
    if (-not (Test-Path $testSupport)) { throw "$testSupport is missing: 'build.ps1 -Task Test' builds it (or dotnet build tests/SmtpHandler.Testing -o artifacts/testing)." }
    Add-Type -Path $testSupport
}

function Start-TestSmtpServer {
    <#
    .SYNOPSIS
        Starts an SmtpHandler.Testing.SmtpTestServer: a plain MTA that takes every message, unless told otherwise.
        Its Commands, Sessions, Logins and Delivered record what it received.
    #>
    param(
        # The EHLO keywords in place of the default (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES); SMTPUTF8 only when listed.
        [string[]] $Extension,
        # The greeting in place of "220 smtp.test ESMTP ready" (a 421 greeting closes the connection after it).
        [string] $Greeting,
        # Accept TCP and never say a word.
        [switch] $Silent,
        # STARTTLS with this certificate (with its key), or TLS from the first byte with -ImplicitTls.
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
        [switch] $ImplicitTls,
        # Refuse recipients whose address matches this regular expression with 550 "User unknown".
        [string] $RejectRecipient,
        # Count each message's bytes but keep none of them: for very large messages.
        [switch] $DiscardData
    )
    $options = [SmtpHandler.Testing.SmtpTestServerOptions]::new()
    if ($PSBoundParameters.ContainsKey('Extension')) {
        $options.Extensions.Clear()
        $options.Extensions.AddRange([string[]]$Extension)
    }
    if ($Greeting) { $options.Greeting = $Greeting }
    if ($Silent) { $options.Script = [SmtpHandler.Testing.ServerScript]::At('CONNECT', [SmtpHandler.Testing.ServerAction]::Silence) }
    $options.Certificate = $Certificate
    $options.ImplicitTls = $ImplicitTls.IsPresent
    if ($RejectRecipient) { $options.RejectRecipients = [regex]::new($RejectRecipient) }
    $options.KeepData = -not $DiscardData
    [SmtpHandler.Testing.SmtpTestServer]::new($options)
}

function Start-XOAuth2TestServer {
    # A server like Exchange Online for OAuth: implicit TLS with -Certificate, AUTH XOAUTH2 for -User with one of
    # -Token (more may be added to its Options.AcceptedTokens while it runs), MAIL refused until logged in.
    param(
        [Parameter(Mandatory)] [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
        [Parameter(Mandatory)] [string] $User,
        [string[]] $Token = @()
    )
    [SmtpHandler.Testing.SmtpTestServer]::new([SmtpHandler.Testing.SmtpTestServerOptions]::XOAuth2($Certificate, $User, [string[]]$Token))
}

function ConvertFrom-SmtpData {
    # A transaction's DATA as the server received it (ending in CRLF.CRLF, lines starting with a dot doubled) back to
    # the message's own bytes: what verifiers and byte comparisons read, never MimeKit's view.
    param([Parameter(Mandatory)] [byte[]] $Raw)
    $text = [System.Text.Encoding]::Latin1.GetString($Raw)
    if (-not $text.EndsWith("`r`n.`r`n")) { throw "The transaction's data does not end with CRLF.CRLF." }
    $text = $text.Substring(0, $text.Length - 3)
    [System.Text.Encoding]::Latin1.GetBytes([regex]::Replace($text, '(?m)^\.', ''))
}
