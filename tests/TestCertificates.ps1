# Test certificates made at run time (no private key is committed): a private CA, server certificates
# signed by it (good, expired, wrong name), a self-signed server certificate and a client certificate,
# each written as PEM, DER and PFX where a test needs that form.
Set-StrictMode -Version Latest

function New-TestCertificateSet {
    <#
    .SYNOPSIS
        Writes a set of test certificates into -Directory and returns their paths.
    .OUTPUTS
        An object with paths: CaPem, CaCer (DER), CaPfx, ServerPem/ServerKey/ServerPfx, ExpiredPem/ExpiredKey,
        WrongNamePem/WrongNameKey, SelfSignedPem/SelfSignedKey, ClientPfx (password in ClientPassword), ClientPem/ClientKey,
        and the server certificate's Thumbprint.
    #>
    param([Parameter(Mandatory)] [string] $Directory)
    $null = New-Item -ItemType Directory -Force -Path $Directory
    $now = [DateTimeOffset]::UtcNow

    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = New-CertificateRequest -Subject 'CN=SmtpHandler Test CA, O=SmtpHandler Tests' -Key $caKey
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($caRequest.PublicKey, $false))
    $ca = $caRequest.CreateSelfSigned($now.AddDays(-365), $now.AddYears(2))

    $server = New-LeafCertificate -Issuer $ca -Subject 'CN=localhost' -DnsName 'localhost' -IpAddress '127.0.0.1' -NotBefore $now.AddDays(-1) -NotAfter $now.AddYears(1) -Usage Server
    $expired = New-LeafCertificate -Issuer $ca -Subject 'CN=localhost' -DnsName 'localhost' -IpAddress '127.0.0.1' -NotBefore $now.AddDays(-60) -NotAfter $now.AddDays(-1) -Usage Server
    $wrongName = New-LeafCertificate -Issuer $ca -Subject 'CN=wrong.example.test' -DnsName 'wrong.example.test' -NotBefore $now.AddDays(-1) -NotAfter $now.AddYears(1) -Usage Server
    $expiringSoon = New-LeafCertificate -Issuer $ca -Subject 'CN=localhost' -DnsName 'localhost' -IpAddress '127.0.0.1' -NotBefore $now.AddDays(-1) -NotAfter $now.AddDays(10) -Usage Server
    $selfSigned = New-LeafCertificate -Subject 'CN=localhost' -DnsName 'localhost' -IpAddress '127.0.0.1' -NotBefore $now.AddDays(-1) -NotAfter $now.AddYears(1) -Usage Server
    $client = New-LeafCertificate -Issuer $ca -Subject 'CN=smtphandler-client' -NotBefore $now.AddDays(-1) -NotAfter $now.AddYears(1) -Usage Client

    $clientPassword = 'client-pfx-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $paths = [ordered]@{
        Directory      = $Directory
        CaPem          = Join-Path $Directory 'ca.pem'
        CaCer          = Join-Path $Directory 'ca.cer'
        CaPfx          = Join-Path $Directory 'ca.pfx'
        ServerPem      = Join-Path $Directory 'server.pem'
        ServerKey      = Join-Path $Directory 'server.key'
        ServerPfx      = Join-Path $Directory 'server.pfx'
        ExpiredPem     = Join-Path $Directory 'expired.pem'
        ExpiredKey     = Join-Path $Directory 'expired.key'
        WrongNamePem   = Join-Path $Directory 'wrongname.pem'
        WrongNameKey   = Join-Path $Directory 'wrongname.key'
        ExpiringPem    = Join-Path $Directory 'expiring.pem'
        ExpiringKey    = Join-Path $Directory 'expiring.key'
        SelfSignedPem  = Join-Path $Directory 'selfsigned.pem'
        SelfSignedKey  = Join-Path $Directory 'selfsigned.key'
        ClientPem      = Join-Path $Directory 'client.pem'
        ClientKey      = Join-Path $Directory 'client.key'
        ClientPfx      = Join-Path $Directory 'client.pfx'
        ClientPassword = $clientPassword
        Thumbprint     = $server.Thumbprint
        CaThumbprint   = $ca.Thumbprint
    }
    Set-Content -Path $paths.CaPem -Value (ConvertTo-PemCertificate $ca) -NoNewline
    [System.IO.File]::WriteAllBytes($paths.CaCer, $ca.RawData)
    [System.IO.File]::WriteAllBytes($paths.CaPfx, $ca.Export('Pfx'))
    Export-PemPair $server $paths.ServerPem $paths.ServerKey
    [System.IO.File]::WriteAllBytes($paths.ServerPfx, $server.Export('Pfx'))
    Export-PemPair $expired $paths.ExpiredPem $paths.ExpiredKey
    Export-PemPair $wrongName $paths.WrongNamePem $paths.WrongNameKey
    Export-PemPair $expiringSoon $paths.ExpiringPem $paths.ExpiringKey
    Export-PemPair $selfSigned $paths.SelfSignedPem $paths.SelfSignedKey
    Export-PemPair $client $paths.ClientPem $paths.ClientKey
    [System.IO.File]::WriteAllBytes($paths.ClientPfx, $client.Export('Pfx', $clientPassword))
    [pscustomobject]$paths
}

function New-CertificateRequest([string] $Subject, $Key) {
    [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        $Subject, $Key, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
}

function New-LeafCertificate {
    param(
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Issuer,
        [Parameter(Mandatory)] [string] $Subject,
        [string[]] $DnsName,
        [string[]] $IpAddress,
        [DateTimeOffset] $NotBefore,
        [DateTimeOffset] $NotAfter,
        [ValidateSet('Server', 'Client')] [string] $Usage
    )
    $key = [System.Security.Cryptography.RSA]::Create(2048)
    $request = New-CertificateRequest -Subject $Subject -Key $key
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $false))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('DigitalSignature, KeyEncipherment', $true))
    $oids = [System.Security.Cryptography.OidCollection]::new()
    $null = $oids.Add([System.Security.Cryptography.Oid]::new($(if ($Usage -eq 'Server') { '1.3.6.1.5.5.7.3.1' } else { '1.3.6.1.5.5.7.3.2' })))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
    if ($DnsName -or $IpAddress) {
        $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
        foreach ($name in $DnsName) { $san.AddDnsName($name) }
        foreach ($ip in $IpAddress) { $san.AddIpAddress([System.Net.IPAddress]::Parse($ip)) }
        $request.CertificateExtensions.Add($san.Build())
    }
    if (-not $Issuer) {
        return $request.CreateSelfSigned($NotBefore, $NotAfter)
    }
    $serial = [byte[]]::new(12)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
    $serial[0] = $serial[0] -band 0x7F
    $signed = $request.Create($Issuer, $NotBefore, $NotAfter, $serial)
    [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($signed, $key)
}

function ConvertTo-PemCertificate($Certificate) {
    "-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($Certificate.RawData, 'InsertLineBreaks').Replace("`r`n", "`n") + "`n-----END CERTIFICATE-----`n"
}

function Export-PemPair($Certificate, [string] $CertificatePath, [string] $KeyPath) {
    Set-Content -Path $CertificatePath -Value (ConvertTo-PemCertificate $Certificate) -NoNewline
    $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
    Set-Content -Path $KeyPath -Value $key.ExportPkcs8PrivateKeyPem() -NoNewline
}
