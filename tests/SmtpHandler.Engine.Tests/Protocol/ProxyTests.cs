using System;
using System.Linq;
using System.Net;
using System.Security;
using System.Text;
using SmtpHandler.Testing;
using Xunit;
using static SmtpHandler.Tests.Battery;

namespace SmtpHandler.Tests
{
    /// <summary>
    /// The proxy handshakes byte by byte against scripted proxies (the real microsocks and tinyproxy are in
    /// tests/Proxy.Tests.ps1), each relaying to the real test server once the tunnel is open.
    /// </summary>
    public sealed class ProxyTests
    {
        [Fact]
        public void Socks4a_sends_the_user_id_and_the_server_name_and_the_message_arrives()
        {
            using var server = new SmtpTestServer();
            byte[]? request = null;
            using var proxy = new ScriptedProxy(stream =>
            {
                var head = ScriptedProxy.ReadExactly(stream, 8);
                var user = ScriptedProxy.ReadUntil(stream, 0);
                var name = ScriptedProxy.ReadUntil(stream, 0);
                request = head.Concat(user).Concat(name).ToArray();
                stream.Write(new byte[] { 0, 90, 0, 0, 0, 0, 0, 0 }, 0, 8);
                return server.Port;
            });

            var config = Config(server.Port) with { SmtpServer = "mail.example.test", Proxy = SmtpProxy.Parse($"socks4a://127.0.0.1:{proxy.Port}", "ops") };
            var result = Send(config, Message("Via SOCKS 4a", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Single(server.Delivered);
            var expected = new byte[] { 4, 1, (byte)(server.Port >> 8), (byte)server.Port, 0, 0, 0, 1 }
                .Concat(Encoding.ASCII.GetBytes("ops\0mail.example.test\0")).ToArray();
            Assert.Equal(expected, request);
        }

        [Fact]
        public void Socks4_sends_an_IPv4_address_resolved_here()
        {
            using var server = new SmtpTestServer();
            byte[]? head = null;
            using var proxy = new ScriptedProxy(stream =>
            {
                head = ScriptedProxy.ReadExactly(stream, 8);
                ScriptedProxy.ReadUntil(stream, 0);
                stream.Write(new byte[] { 0, 90, 0, 0, 0, 0, 0, 0 }, 0, 8);
                return server.Port;
            });

            var config = Config(server.Port) with { SmtpServer = "127.0.0.1", Proxy = SmtpProxy.Parse($"socks4://127.0.0.1:{proxy.Port}") };
            Assert.Equal(SmtpSendStatus.Sent, Send(config, Message("Via SOCKS 4", "ann@example.test")).Single().Status);
            Assert.Equal(new byte[] { 4, 1, (byte)(server.Port >> 8), (byte)server.Port, 127, 0, 0, 1 }, head);
        }

        [Fact]
        public void A_SOCKS4_rejection_is_ProxyRefused_naming_the_proxy_and_not_retried()
        {
            var connections = 0;
            using var proxy = new ScriptedProxy(stream =>
            {
                connections++;
                ScriptedProxy.ReadExactly(stream, 8);
                ScriptedProxy.ReadUntil(stream, 0);
                stream.Write(new byte[] { 0, 91, 0, 0, 0, 0, 0, 0 }, 0, 8);
                return null;
            });

            var config = Config(25) with { Proxy = SmtpProxy.Parse($"socks4://127.0.0.1:{proxy.Port}") };
            var result = Send(config, Message("Refused", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Failed, result.Status);
            Assert.Equal("ProxyRefused", result.ErrorId);
            Assert.Equal(SmtpFailureKind.ProxyFailed, result.FailureKind);
            Assert.StartsWith($"The proxy socks4://127.0.0.1:{proxy.Port} refused to open a tunnel to 127.0.0.1:25: SOCKS 4 reply 91", result.Error);
            Assert.Equal(1, connections);
        }

        [Fact]
        public void An_HTTP_proxy_whose_200_comes_in_one_packet_with_the_greeting_leaves_the_greeting_to_SMTP()
        {
            using var server = new SmtpTestServer();
            string? connect = null;
            using var proxy = new ScriptedProxy(stream =>
            {
                var head = new StringBuilder();
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    head.Append((char)stream.ReadByte());
                }

                connect = head.ToString();

                // The server's greeting read ahead and written with the reply, as a proxy may.
                using var peek = new System.Net.Sockets.TcpClient();
                peek.Connect(IPAddress.Loopback, server.Port);
                var greeting = ScriptedProxy.ReadUntil(peek.GetStream(), (byte)'\n');
                var reply = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n").Concat(greeting).ToArray();
                stream.Write(reply, 0, reply.Length);

                // The rest of that connection to the server is relayed by hand.
                var up = stream.CopyToAsync(peek.GetStream());
                var down = peek.GetStream().CopyToAsync(stream);
                System.Threading.Tasks.Task.WaitAny(up, down);
                return null;
            });

            var config = Config(server.Port) with { Proxy = SmtpProxy.Parse($"http://127.0.0.1:{proxy.Port}", "ops", Secure("pw:with colon")) };
            var result = Send(config, Message("Glued greeting", "ann@example.test")).Single();

            Assert.Equal(SmtpSendStatus.Sent, result.Status);
            Assert.Single(server.Delivered);
            Assert.StartsWith($"CONNECT 127.0.0.1:{server.Port} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nProxy-Authorization: Basic ", connect);
            Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:pw:with colon")), connect);
        }

        [Theory]
        [InlineData("socks5", new byte[] { 4, 0 }, "SOCKS 5 greeting with version 4")]
        [InlineData("http", new byte[] { (byte)'S', (byte)'S', (byte)'H', (byte)'-', (byte)'2', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' }, "did not answer CONNECT in HTTP")]
        public void A_proxy_that_speaks_something_else_is_a_ProxyProtocolError(string scheme, byte[] answer, string why)
        {
            using var proxy = new ScriptedProxy(stream =>
            {
                stream.ReadByte();
                stream.Write(answer, 0, answer.Length);
                System.Threading.Thread.Sleep(200);
                return null;
            });

            var config = Config(25, retryCount: 0) with { Proxy = SmtpProxy.Parse($"{scheme}://127.0.0.1:{proxy.Port}") };
            var result = Send(config, Message("Wrong protocol", "ann@example.test")).Single();

            Assert.Equal("ProxyProtocolError", result.ErrorId);
            Assert.Contains(why, result.Error);
            Assert.Contains($"{scheme}://127.0.0.1:{proxy.Port}", result.Error);
        }

        [Fact]
        public void An_HTTP_reply_that_never_ends_is_cut_at_its_cap()
        {
            using var proxy = new ScriptedProxy(stream =>
            {
                stream.ReadByte();
                var line = Encoding.ASCII.GetBytes("X-Padding: " + new string('x', 1000) + "\r\n");
                try
                {
                    for (var i = 0; i < 100; i++)
                    {
                        stream.Write(line, 0, line.Length);
                    }
                }
                catch (System.IO.IOException)
                {
                    // The client gave up, as it should.
                }

                return null;
            });

            var config = Config(25, retryCount: 0) with { Proxy = SmtpProxy.Parse($"http://127.0.0.1:{proxy.Port}") };
            var result = Send(config, Message("Flood", "ann@example.test")).Single();

            Assert.Equal("ProxyProtocolError", result.ErrorId);
            Assert.Contains("16 KB", result.Error);
        }

        [Theory]
        [InlineData("socks5://proxy.example.test:1080", SmtpProxyKind.Socks5, "proxy.example.test", 1080)]
        [InlineData("SOCKS5H://proxy.example.test:1080/", SmtpProxyKind.Socks5, "proxy.example.test", 1080)]
        [InlineData("socks4://10.0.0.1:1080", SmtpProxyKind.Socks4, "10.0.0.1", 1080)]
        [InlineData("socks4a://proxy:9050", SmtpProxyKind.Socks4a, "proxy", 9050)]
        [InlineData("http://[2001:db8::1]:3128", SmtpProxyKind.Http, "2001:db8::1", 3128)]
        public void Parses_a_proxy_address(string address, SmtpProxyKind kind, string host, int port)
        {
            var proxy = SmtpProxy.Parse(address);
            Assert.Equal(kind, proxy.Kind);
            Assert.Equal(host, proxy.Host);
            Assert.Equal(port, proxy.Port);
        }

        [Theory]
        [InlineData("socks5://alice:hunter22@proxy:1080", "hunter22")]
        [InlineData("http://alice:p%40ss@word@proxy:3128", "p%40ss")]
        [InlineData("alice:hunter22@proxy:1080", "hunter22")]
        public void A_login_inside_the_address_is_refused_and_never_repeated(string address, string secret)
        {
            var ex = Assert.Throws<SmtpHandlerException>(() => SmtpProxy.Parse(address));
            Assert.Equal("InvalidConfiguration", ex.ErrorId);
            Assert.Equal("Proxy", ex.ParameterName);
            Assert.DoesNotContain(secret, ex.Message);
            Assert.DoesNotContain("alice", ex.Message);
            Assert.DoesNotContain(secret, ex.Target?.ToString() ?? string.Empty);
        }

        [Theory]
        [InlineData("http://proxy")]
        [InlineData("http://proxy:0")]
        [InlineData("http://proxy:port")]
        [InlineData("http://:3128")]
        [InlineData("http://2001:db8::1:3128")]
        [InlineData("https://proxy:443")]
        [InlineData("socks6://proxy:1080")]
        [InlineData("http://proxy:3128/path")]
        public void Refuses_an_address_that_is_not_a_proxy(string address)
        {
            var ex = Assert.Throws<SmtpHandlerException>(() => SmtpProxy.Parse(address));
            Assert.Equal("Proxy", ex.ParameterName);
        }

        [Fact]
        public void SOCKS4_takes_no_password_and_the_password_never_shows()
        {
            Assert.Equal("ProxyCredential", Assert.Throws<SmtpHandlerException>(() => SmtpProxy.Parse("socks4://proxy:1080", "ops", Secure("pw"))).ParameterName);
            var proxy = SmtpProxy.Parse("socks5://proxy:1080", "ops", Secure("s3cret-pw"));
            Assert.Equal("socks5://proxy:1080 (as ops)", proxy.ToString());
            Assert.DoesNotContain("s3cret-pw", (Config(25) with { Proxy = proxy }).ToString());
        }

        private static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (var c in text)
            {
                secure.AppendChar(c);
            }

            return secure;
        }
    }
}
