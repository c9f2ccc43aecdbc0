using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>The one DNS + TCP connect: address literals, brackets, and the bounds on the lookup.</summary>
    public sealed class TcpConnectTests
    {
        [Theory]
        [InlineData("127.0.0.1", "127.0.0.1")]
        [InlineData("::1", "::1")]
        [InlineData("[::1]", "::1")]
        [InlineData("[127.0.0.1]", "127.0.0.1")]
        public void An_address_literal_needs_no_lookup(string host, string address)
        {
            Assert.Equal(IPAddress.Parse(address), Assert.Single(TcpConnect.Resolve(host, TimeSpan.FromMilliseconds(1), CancellationToken.None)));
        }

        [Theory]
        [InlineData("[::1]", "::1")]
        [InlineData("mail.example.test", "mail.example.test")]
        [InlineData("[", "[")]
        [InlineData("[]", "[]")]
        public void Only_a_whole_bracketed_name_loses_its_brackets(string host, string expected) => Assert.Equal(expected, TcpConnect.Unbracket(host));

        [Fact]
        public void A_cancelled_token_stops_the_lookup_before_it_starts()
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => TcpConnect.Resolve("mail.example.test", TimeSpan.FromSeconds(5), cancelled.Token));
            Assert.ThrowsAny<OperationCanceledException>(() => TcpConnect.Connect("127.0.0.1", 25, TimeSpan.FromSeconds(5), cancelled.Token));
        }

        [Fact]
        public void A_refused_connect_is_reported_for_each_address()
        {
            // A port just released on loopback: nothing listens there.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();

            var failures = new System.Collections.Generic.List<System.Collections.Generic.KeyValuePair<IPAddress, SocketException>>();
            var tried = 0;
            var ex = Assert.Throws<SocketException>(() => TcpConnect.Connect(new[] { IPAddress.Loopback, IPAddress.Loopback }, port, TimeSpan.FromSeconds(5), CancellationToken.None, _ => tried++, failures));
            Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
            Assert.Equal(2, tried);
            Assert.Equal(2, failures.Count);
        }
    }
}
