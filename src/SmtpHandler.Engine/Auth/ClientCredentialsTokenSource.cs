using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// Microsoft Entra ID app-only access (the OAuth 2.0 client-credentials grant) for SMTP AUTH: posts the
    /// client id and a client secret or a certificate-signed client assertion to the tenant's token endpoint,
    /// and keeps the token in memory until shortly before it expires.
    /// </summary>
    public sealed class ClientCredentialsTokenSource : IOAuthTokenSource, IDisposable
    {
        /// <summary>The scope Exchange Online's SMTP AUTH takes for app-only access.</summary>
        public const string DefaultScope = "https://outlook.office365.com/.default";

        /// <summary>The public cloud's authority; sovereign clouds give their token endpoint instead.</summary>
        public const string DefaultAuthority = "https://login.microsoftonline.com";

        /// <summary>A cached token is renewed this long before it expires.</summary>
        public static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromMinutes(5);

        private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        private readonly SecureString? clientSecret;
        private readonly X509Certificate2? certificate;
        private readonly IReadOnlyList<string> trustedCertificatePaths;
        private readonly TimeSpan timeout;
        private readonly SmtpProxy? proxy;
        private HttpClient? http;
        private readonly object gate = new();
        private OAuthToken? cached;
        private DateTimeOffset renewAfter;

        /// <summary>
        /// Checks the settings (throws <see cref="SmtpHandlerException"/> naming the parameter at fault) and loads
        /// the certificate. The token endpoint's TLS certificate is verified against the operating system's trust
        /// store and <paramref name="trustedCertificatePaths"/>, as the SMTP server's is.
        /// </summary>
        public ClientCredentialsTokenSource(
            string? tenantId,
            string clientId,
            SecureString? clientSecret = null,
            string? certificatePath = null,
            SecureString? certificatePassword = null,
            string? scope = null,
            Uri? tokenEndpoint = null,
            IReadOnlyList<string>? trustedCertificatePaths = null,
            TimeSpan? timeout = null,
            SmtpProxy? proxy = null)
        {
            if (string.IsNullOrWhiteSpace(tenantId) && tokenEndpoint == null)
            {
                throw SmtpHandlerConfig.Invalid("TenantId", tenantId, "A tenant id (a GUID or a domain such as contoso.onmicrosoft.com) is needed unless -TokenEndpoint is given.");
            }

            if (tenantId != null && tenantId.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/' || c == '?' || c == '#'))
            {
                throw SmtpHandlerConfig.Invalid("TenantId", tenantId, $"'{tenantId}' is not a tenant id or domain.");
            }

            if (string.IsNullOrWhiteSpace(clientId))
            {
                throw SmtpHandlerConfig.Invalid("ClientId", clientId, "The application (client) id of the app registration is needed.");
            }

            if ((clientSecret == null) == (certificatePath == null))
            {
                throw SmtpHandlerConfig.Invalid("ClientSecret", null, "Give either -ClientSecret or -OAuthCertificatePath for the client-credentials flow, not both and not neither.");
            }

            TokenEndpoint = tokenEndpoint ?? new Uri($"{DefaultAuthority}/{Uri.EscapeDataString(tenantId!)}/oauth2/v2.0/token");
            if (!TokenEndpoint.IsAbsoluteUri || TokenEndpoint.Scheme != Uri.UriSchemeHttps)
            {
                throw SmtpHandlerConfig.Invalid("TokenEndpoint", TokenEndpoint.ToString(), "The token endpoint must be an https:// address: the client secret or assertion is never sent unencrypted.");
            }

            TenantId = tenantId;
            ClientId = clientId;
            Scope = string.IsNullOrWhiteSpace(scope) ? DefaultScope : scope!;
            this.clientSecret = clientSecret?.Copy();
            this.clientSecret?.MakeReadOnly();
            if (certificatePath != null)
            {
                certificate = LoadCertificate(certificatePath, certificatePassword);
                CertificateThumbprint = certificate.Thumbprint;
            }

            this.trustedCertificatePaths = trustedCertificatePaths ?? Array.Empty<string>();
            this.timeout = timeout ?? SmtpHandlerConfig.DefaultTimeout;
            this.proxy = proxy;
            if (proxy != null && proxy.Kind != SmtpProxyKind.Http && RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                // HttpClient on .NET Framework speaks to HTTP proxies only; SOCKS came with .NET 6's SocketsHttpHandler.
                throw SmtpHandlerConfig.Invalid(
                    SmtpProxy.ParameterName,
                    proxy.Address,
                    $"Windows PowerShell (.NET Framework) reaches the token endpoint through an http:// proxy only, not {proxy.Address}: use PowerShell 7, or an http:// proxy.");
            }
        }

        public string? TenantId { get; }

        public string ClientId { get; }

        public string Scope { get; }

        public Uri TokenEndpoint { get; }

        /// <summary>The thumbprint of the certificate that signs the client assertion; null with a client secret.</summary>
        public string? CertificateThumbprint { get; }

        /// <summary>How many tokens were fetched from the endpoint (the rest came from the cache).</summary>
        public int TokensRequested { get; private set; }

        public string Description => $"Microsoft Entra ID client credentials (client {ClientId}, {(certificate != null ? $"certificate {CertificateThumbprint}" : "client secret")}, token endpoint {TokenEndpoint})";

        public OAuthToken GetToken(ISmtpLog log, CancellationToken cancellationToken)
        {
            lock (gate)
            {
                if (cached != null && DateTimeOffset.UtcNow < renewAfter)
                {
                    log.Step($"Using the cached access token for client {ClientId} (expires {cached.ExpiresOn:yyyy-MM-dd HH:mm:ss} UTC)");
                    return cached;
                }

                log.Step($"Requesting an access token from {TokenEndpoint} for client {ClientId} (scope {Scope}, {(certificate != null ? "signed client assertion" : "client secret")})");
                var token = Request(cancellationToken);
                TokensRequested++;
                var expires = token.ExpiresOn ?? DateTimeOffset.UtcNow.AddMinutes(10);
                var lifetime = expires - DateTimeOffset.UtcNow;
                renewAfter = expires - (lifetime > TimeSpan.FromTicks(RenewBeforeExpiry.Ticks * 2) ? RenewBeforeExpiry : TimeSpan.FromTicks(lifetime.Ticks / 2));
                cached = token;
                log.Step($"Got an access token for client {ClientId} that expires {expires:yyyy-MM-dd HH:mm:ss} UTC");
                return token;
            }
        }

        public void Dispose()
        {
            http?.Dispose();
            certificate?.Dispose();
        }

        public override string ToString() => Description;

        /// <summary>The signed JWT that proves possession of the certificate (RFC 7523), valid for 10 minutes.</summary>
        internal string CreateClientAssertion(DateTimeOffset now)
        {
            if (certificate == null)
            {
                throw new InvalidOperationException("No certificate.");
            }

            var header = $"{{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"{Jwt.Base64Url(certificate.GetCertHash())}\"}}";
            var issued = now.ToUnixTimeSeconds();
            var payload = "{" +
                $"\"aud\":{Quote(TokenEndpoint.AbsoluteUri)}," +
                $"\"iss\":{Quote(ClientId)}," +
                $"\"sub\":{Quote(ClientId)}," +
                $"\"jti\":\"{Guid.NewGuid():D}\"," +
                $"\"nbf\":{issued},\"iat\":{issued},\"exp\":{issued + 600}" +
                "}";
            var signingInput = Jwt.Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Jwt.Base64Url(Encoding.UTF8.GetBytes(payload));
            using var rsa = certificate.GetRSAPrivateKey();
            if (rsa == null)
            {
                throw SmtpHandlerConfig.Invalid("OAuthCertificatePath", null, $"The certificate {certificate.Thumbprint} has no RSA private key to sign the client assertion with.");
            }

            var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return signingInput + "." + Jwt.Base64Url(signature);
        }

        private OAuthToken Request(CancellationToken cancellationToken)
        {
            string? secret = null;
            string? assertion = null;
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "client_credentials"),
                new("client_id", ClientId),
                new("scope", Scope),
            };
            if (clientSecret != null)
            {
                secret = new NetworkCredential(string.Empty, clientSecret).Password;
                form.Add(new("client_secret", secret));
            }
            else
            {
                assertion = CreateClientAssertion(DateTimeOffset.UtcNow);
                form.Add(new("client_assertion_type", AssertionType));
                form.Add(new("client_assertion", assertion));
            }

            int status;
            string body;
            Uri? redirect;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
                request.Headers.Accept.ParseAdd("application/json");
                http ??= new HttpClient(CreateHandler(trustedCertificatePaths, proxy), disposeHandler: true) { Timeout = timeout };
                using var response = http.SendAsync(request, cancellationToken).ConfigureAwait(false).GetAwaiter().GetResult();
                status = (int)response.StatusCode;
                redirect = response.Headers.Location;
                body = response.Content.ReadAsStringAsync().ConfigureAwait(false).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException || ex is IOException)
            {
                var why = ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : Innermost(ex);
                throw new SmtpHandlerException(
                    "TokenEndpointUnreachable",
                    SmtpFailureKind.ConnectionFailed,
                    $"Could not get an access token from {TokenEndpoint}: {Scrub(why, secret, assertion)}. If the endpoint's certificate comes from a private CA, give it with -TrustedCertificatePath.",
                    TokenEndpoint.ToString(),
                    ex) { Transient = true };
            }

            if (status >= 300 && status <= 399)
            {
                // The redirect was not followed (the request carries the secret); it is the user's to decide whether to trust the new address.
                var where = redirect == null ? "no Location" : redirect.IsAbsoluteUri ? redirect.AbsoluteUri : redirect.OriginalString;
                throw new SmtpHandlerException(
                    "TokenEndpointRedirected",
                    SmtpFailureKind.ProtocolError,
                    $"The token endpoint {TokenEndpoint} answered HTTP {status}, a redirect to {Shorten(Scrub(where, secret, assertion))}. A request that carries the client secret or assertion is never sent on to another address: if that address is the right token endpoint, give it with -TokenEndpoint.",
                    TokenEndpoint.ToString());
            }

            var json = JsonReader.TryParseObject(body);
            if (status < 200 || status > 299)
            {
                var error = json?.GetString("error");
                var description = json?.GetString("error_description");
                var what = error != null
                    ? $"{error}: {description ?? "(no description)"}"
                    : $"HTTP {status}{(body.Length > 0 ? ": " + body : string.Empty)}";

                // Redacted before it is cut: a cut would leave a part of the secret that no longer matches it.
                throw new SmtpHandlerException(
                    "TokenEndpointRefused",
                    status >= 500 ? SmtpFailureKind.ConnectionFailed : SmtpFailureKind.AuthenticationFailed,
                    $"The token endpoint {TokenEndpoint} refused to issue a token for client {ClientId} (HTTP {status}): {Shorten(Scrub(what, secret, assertion))}",
                    ClientId) { Transient = status >= 500 || status == 429 };
            }

            var accessToken = json?.GetString("access_token");
            if (string.IsNullOrWhiteSpace(accessToken))
            {
                throw new SmtpHandlerException(
                    "TokenEndpointInvalidResponse",
                    SmtpFailureKind.ProtocolError,
                    $"The token endpoint {TokenEndpoint} answered HTTP {status} without an access_token{(json == null ? " (the answer is not JSON)" : string.Empty)}.",
                    TokenEndpoint.ToString());
            }

            var expiresIn = json!.GetNumber("expires_in");
            return new OAuthToken(accessToken!, expiresIn is double seconds && seconds > 0 ? DateTimeOffset.UtcNow.AddSeconds(seconds) : null);
        }

        private static HttpMessageHandler CreateHandler(IReadOnlyList<string> trustedCertificatePaths, SmtpProxy? proxy)
        {
            var trust = TlsTrust.CreateAddingToSystemStore(trustedCertificatePaths);
            var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (request, certificate, chain, errors) => trust.Validate(request, certificate, chain, errors),
                CheckCertificateRevocationList = false,

                // A 307/308 would post the secret again to wherever the endpoint points: a redirect is reported instead.
                AllowAutoRedirect = false,
            };
            if (proxy != null)
            {
                // The same proxy as the SMTP connection (http:// everywhere; socks on .NET 6+, whose handler speaks it).
                handler.UseProxy = true;
                handler.Proxy = new WebProxy(new Uri(proxy.Address))
                {
                    BypassProxyOnLocal = false,
                    Credentials = proxy.UserName == null ? null : new NetworkCredential(proxy.UserName, proxy.Password),
                };
            }

            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                // Windows PowerShell's default may still be TLS 1.0, which Entra ID refuses; elsewhere the OS decides.
                handler.SslProtocols = SslProtocols.Tls12;
            }

            return handler;
        }

        private static X509Certificate2 LoadCertificate(string path, SecureString? password)
        {
            // The same guard as every other certificate file: a regular file of sane size, never a pipe or a device.
            var bytes = RegularFile.TryReadAll(path, CertificateFiles.MaxFileBytes, out var why)
                ?? throw SmtpHandlerConfig.Invalid("OAuthCertificatePath", path, $"The certificate file '{path}' {why}.");
            X509Certificate2 loaded;
            try
            {
                loaded = password == null ? new X509Certificate2(bytes) : new X509Certificate2(bytes, password);
            }
            catch (CryptographicException ex)
            {
                throw SmtpHandlerConfig.Invalid("OAuthCertificatePath", path, $"Could not read the certificate '{path}' ({ex.Message}). Give a .pfx/.p12 file with its private key, and its password with -OAuthCertificatePassword.");
            }

            if (!loaded.HasPrivateKey)
            {
                loaded.Dispose();
                throw SmtpHandlerConfig.Invalid("OAuthCertificatePath", path, $"The certificate '{path}' has no private key: give the .pfx/.p12 file that holds the key, not the public certificate uploaded to the app registration.");
            }

            return loaded;
        }

        private static string Quote(string value) => new StringBuilder().AppendQuoted(value).ToString();

        private static string Innermost(Exception ex)
        {
            var messages = new List<string>();
            for (var e = ex; e != null; e = e.InnerException)
            {
                messages.Add(e.Message.TrimEnd('.'));
            }

            return string.Join(": ", messages.Distinct());
        }

        private static string Shorten(string text) => text.Length > 300 ? text.Substring(0, 300) + "..." : text;

        // An endpoint should never echo what it was sent; if one does, it still does not reach the output. Its words
        // are a server's words like an SMTP reply's: shown with their control characters made visible.
        private static string Scrub(string text, string? secret, string? assertion) => ServerText.Neutralise(SecretRedactor.Redact(text, secret, assertion));
    }
}
