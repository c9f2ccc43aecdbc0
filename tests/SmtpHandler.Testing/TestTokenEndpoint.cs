using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpHandler.Testing
{
    /// <summary>
    /// A minimal HTTPS OAuth 2.0 token endpoint (TcpListener + SslStream) on a free loopback port: it records the
    /// form fields of every POST and answers with <see cref="Respond"/> (by default a fresh bearer token valid
    /// for an hour, in the shape Microsoft Entra ID uses). Used by xunit and, through Add-Type, by Pester.
    /// </summary>
    public sealed class TestTokenEndpoint : IDisposable
    {
        private readonly TcpListener listener;
        private readonly X509Certificate2 certificate;
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        private int issued;

        public TestTokenEndpoint(X509Certificate2 certificate, string tenant = "contoso.test")
        {
            this.certificate = certificate;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Url = new Uri($"https://127.0.0.1:{Port}/{tenant}/oauth2/v2.0/token");
            Respond = form => Refusal ?? Success(NextToken(), Lifetime);
            Task.Run(AcceptLoop);
        }

        public int Port { get; }

        /// <summary>The token endpoint's address.</summary>
        public Uri Url { get; }

        /// <summary>The form fields of every request, in order.</summary>
        public ConcurrentQueue<Dictionary<string, string>> Requests { get; } = new ConcurrentQueue<Dictionary<string, string>>();

        /// <summary>The raw (form-encoded) body of every request, in order: what went over the wire, spelled as it went.</summary>
        public ConcurrentQueue<string> RawBodies { get; } = new ConcurrentQueue<string>();

        /// <summary>
        /// When set, turns a request's raw body into the whole HTTP response (status line, headers, body) in place of
        /// <see cref="Respond"/>: an endpoint that echoes what it got, or redirects elsewhere.
        /// </summary>
        public Func<string, string>? RespondRaw { get; set; }

        /// <summary>Every token handed out, in order.</summary>
        public ConcurrentQueue<string> IssuedTokens { get; } = new ConcurrentQueue<string>();

        /// <summary>When set, the default <see cref="Respond"/> answers every request with it instead of a token.</summary>
        public Tuple<int, string>? Refusal { get; set; }

        /// <summary>When set, every token handed out is added here too (say, a scripted SMTP server's accepted tokens).</summary>
        public ConcurrentDictionary<string, int>? TokenSink { get; set; }

        /// <summary>
        /// Turns a request's form into (HTTP status, JSON body). It runs on a thread-pool thread: from PowerShell,
        /// use <see cref="Refusal"/> and <see cref="TokenSink"/> rather than a script block.
        /// </summary>
        public Func<Dictionary<string, string>, Tuple<int, string>> Respond { get; set; }

        /// <summary>
        /// When set (a JSON object, e.g. <c>{"aud":"https://graph.microsoft.com","roles":["Mail.Send"]}</c>), tokens are
        /// JWTs carrying these claims, as Microsoft Entra ID issues them, with <c>iat</c>, <c>nbf</c> and <c>exp</c> from
        /// <see cref="Lifetime"/> unless the claims give their own. Their signature is random: the test server does not check
        /// it. When null (the default), tokens are opaque strings.
        /// </summary>
        public string? Claims { get; set; }

        /// <summary>How long tokens handed out live, in seconds (expires_in, and exp of a JWT); 0 or less: already expired (expires_in is then not positive, so a client goes by exp).</summary>
        public int Lifetime { get; set; } = 3599;

        /// <summary>A new token, remembered in <see cref="IssuedTokens"/>.</summary>
        public string NextToken()
        {
            var number = Interlocked.Increment(ref issued);
            var token = Claims == null ? $"test-access-token-{number}-{Guid.NewGuid():N}" : Jwt(Claims, Lifetime);
            IssuedTokens.Enqueue(token);
            TokenSink?.TryAdd(token, 0);
            return token;
        }

        public static Tuple<int, string> Success(string token, int expiresIn) =>
            Tuple.Create(200, $"{{\"token_type\":\"Bearer\",\"expires_in\":{expiresIn},\"ext_expires_in\":{expiresIn},\"access_token\":\"{token}\"}}");

        /// <summary>
        /// A JWT with <paramref name="claims"/> (a JSON object) and the times of a token living <paramref name="lifetime"/>
        /// seconds from now; a random signature. Each token is unique (a <c>uti</c> claim, as Entra ID adds).
        /// </summary>
        public static string Jwt(string claims, int lifetime)
        {
            var given = claims.Trim();
            if (!given.StartsWith("{", StringComparison.Ordinal) || !given.EndsWith("}", StringComparison.Ordinal))
            {
                throw new ArgumentException("The claims must be a JSON object.", nameof(claims));
            }

            var inner = given.Substring(1, given.Length - 2).Trim();
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

            // Ours first: a claim given twice is read last-wins, so the caller's own exp or nbf prevails.
            var payload = $"{{\"iat\":{now - 60},\"nbf\":{now - 60},\"exp\":{now + lifetime},\"uti\":\"{Guid.NewGuid():N}\"{(inner.Length > 0 ? "," + inner : string.Empty)}}}";
            var signature = new byte[64];
            using (var random = RandomNumberGenerator.Create())
            {
                random.GetBytes(signature);
            }

            return $"{Base64Url(Encoding.UTF8.GetBytes("{\"typ\":\"JWT\",\"alg\":\"RS256\"}"))}.{Base64Url(Encoding.UTF8.GetBytes(payload))}.{Base64Url(signature)}";
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        /// <summary>An error in the shape Entra ID sends (RFC 6749 section 5.2 plus its extra fields).</summary>
        public static Tuple<int, string> Error(int status, string error, string description) =>
            Tuple.Create(status, $"{{\"error\":\"{error}\",\"error_description\":\"{description}\",\"error_codes\":[7000215],\"timestamp\":\"2026-01-01 00:00:00Z\",\"trace_id\":\"{Guid.NewGuid()}\",\"correlation_id\":\"{Guid.NewGuid()}\"}}");

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
        }

        private async Task AcceptLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(() => Serve(client));
            }
        }

        private async Task Serve(TcpClient client)
        {
            try
            {
                using (client)
                using (var tls = new SslStream(client.GetStream(), false))
                {
                    await tls.AuthenticateAsServerAsync(certificate, false, SslProtocols.Tls12 | SslProtocols.Tls13, false).ConfigureAwait(false);
                    var head = await ReadHead(tls).ConfigureAwait(false);
                    if (!head.EndsWith("\r\n\r\n", StringComparison.Ordinal))
                    {
                        // No request: the client refused our certificate after the handshake, or gave up.
                        return;
                    }

                    var length = 0;
                    foreach (var header in head.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        {
                            length = int.Parse(header.Substring(15).Trim());
                        }
                    }

                    var body = new byte[length];
                    var read = 0;
                    while (read < length)
                    {
                        var n = await tls.ReadAsync(body, read, length - read).ConfigureAwait(false);
                        if (n == 0)
                        {
                            return;
                        }

                        read += n;
                    }

                    var raw = Encoding.ASCII.GetString(body);
                    RawBodies.Enqueue(raw);
                    var form = ParseForm(raw);
                    Requests.Enqueue(form);
                    if (RespondRaw is { } respondRaw)
                    {
                        var whole = Encoding.UTF8.GetBytes(respondRaw(raw));
                        await tls.WriteAsync(whole, 0, whole.Length).ConfigureAwait(false);
                        await tls.FlushAsync().ConfigureAwait(false);
                        return;
                    }

                    var answer = head.StartsWith("POST ", StringComparison.Ordinal) ? Respond(form) : Tuple.Create(405, "{\"error\":\"invalid_request\"}");
                    var content = Encoding.UTF8.GetBytes(answer.Item2);
                    var response = $"HTTP/1.1 {answer.Item1} {(answer.Item1 == 200 ? "OK" : "Error")}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n";
                    var bytes = Encoding.ASCII.GetBytes(response);
                    await tls.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
                    await tls.WriteAsync(content, 0, content.Length).ConfigureAwait(false);
                    await tls.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is AuthenticationException || ex is SocketException)
            {
                // The client went away (or refused our certificate), or the test ended.
            }
        }

        private static async Task<string> ReadHead(Stream stream)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (head.Length < 65536)
            {
                if (await stream.ReadAsync(one, 0, 1).ConfigureAwait(false) == 0)
                {
                    break;
                }

                head.Append((char)one[0]);
                if (head.Length >= 4 && head[head.Length - 1] == '\n' && head.ToString(head.Length - 4, 4) == "\r\n\r\n")
                {
                    break;
                }
            }

            return head.ToString();
        }

        private static Dictionary<string, string> ParseForm(string body)
        {
            var form = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in body.Split(new[] { '&' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=');
                var name = WebUtility.UrlDecode(equals < 0 ? pair : pair.Substring(0, equals));
                form[name] = equals < 0 ? string.Empty : WebUtility.UrlDecode(pair.Substring(equals + 1));
            }

            return form;
        }
    }
}
