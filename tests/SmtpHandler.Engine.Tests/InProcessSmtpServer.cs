using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SmtpHandler.Tests
{
    /// <summary>One transaction as the server stored it.</summary>
    public sealed record ReceivedTransaction(string SessionId, string From, IReadOnlyList<string> To, string Data);

    /// <summary>
    /// A real SMTP server (the SmtpServer library) in this process on a free loopback port, with hooks to
    /// refuse recipients or data the way a test needs, and a record of what it received.
    /// </summary>
    public sealed class InProcessSmtpServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Task running;
        private readonly ConcurrentDictionary<string, int> sessions = new();

        /// <param name="acceptRecipient">false refuses a recipient (address, recipients accepted so far) with 550.</param>
        /// <param name="acceptData">The reply to a message's data; a reply other than 250 keeps it out of <see cref="Transactions"/>.</param>
        /// <param name="endpoint">More endpoint settings (certificates).</param>
        /// <param name="recipientReply">A reply other than 250 for a recipient (address, recipients accepted so far), or null to go on.</param>
        /// <param name="recipientLimit">When above 0, recipients beyond it in one transaction get "452 4.5.3 Too many recipients".</param>
        /// <param name="acceptSender">false refuses the sender at MAIL FROM.</param>
        public InProcessSmtpServer(
            Func<string, int, bool>? acceptRecipient = null,
            Func<ReceivedTransaction, SmtpResponse>? acceptData = null,
            Action<EndpointDefinitionBuilder>? endpoint = null,
            Func<string, int, SmtpResponse?>? recipientReply = null,
            int recipientLimit = 0,
            Func<string, bool>? acceptSender = null)
        {
            Port = FreePort();
            var options = new SmtpServerOptionsBuilder()
                .ServerName("inprocess.test")
                // Every scripted 4xx uses up one of these; the library's default of 5 would end sessions mid-test.
                .MaxRetryCount(1000)
                .Endpoint(builder =>
                {
                    builder.Endpoint(new IPEndPoint(IPAddress.Loopback, Port));
                    endpoint?.Invoke(builder);
                })
                .Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(new Filter(acceptRecipient ?? ((_, _) => true), recipientReply, recipientLimit, acceptSender ?? (_ => true)));
            services.Add(new Store(this, acceptData));
            var server = new SmtpServer.SmtpServer(options, services);
            // A session counts once it says something: the start-up probe below only connects.
            server.SessionCreated += (_, e) => e.Context.CommandExecuting += (_, c) =>
            {
                sessions.TryAdd(e.Context.SessionId.ToString(), 0);
                Commands.Enqueue(c.Command.Name);
            };
            running = server.StartAsync(stop.Token);
            WaitUntilListening();
        }

        public int Port { get; }

        public ConcurrentQueue<ReceivedTransaction> Transactions { get; } = new();

        public int SessionCount => sessions.Count;

        /// <summary>The name of every command the server executed (EHLO, MAIL, RCPT, AUTH...), in order.</summary>
        public ConcurrentQueue<string> Commands { get; } = new();

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
        }

        public static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private void WaitUntilListening()
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var probe = new TcpClient();
                    probe.Connect(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(50);
                }
            }

            throw new TimeoutException("The in-process SMTP server did not start listening.");
        }

        private sealed class Filter : IMailboxFilter
        {
            private readonly Func<string, int, bool> accept;
            private readonly Func<string, int, SmtpResponse?>? reply;
            private readonly int limit;
            private readonly Func<string, bool> acceptSender;

            public Filter(Func<string, int, bool> accept, Func<string, int, SmtpResponse?>? reply, int limit, Func<string, bool> acceptSender)
            {
                this.accept = accept;
                this.reply = reply;
                this.limit = limit;
                this.acceptSender = acceptSender;
            }

            public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
                Task.FromResult(acceptSender(from.AsAddress()));

            public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
            {
                var transaction = (IMessageTransaction)context.GetType().GetProperty("Transaction")!.GetValue(context)!;
                var count = transaction.To.Count;
                if (limit > 0 && count >= limit)
                {
                    throw new SmtpResponseException(new SmtpResponse(SmtpReplyCode.InsufficientStorage, "4.5.3 Too many recipients"));
                }

                if (reply?.Invoke(to.AsAddress(), count) is SmtpResponse response)
                {
                    throw new SmtpResponseException(response);
                }

                return Task.FromResult(accept(to.AsAddress(), count));
            }
        }

        private sealed class Store : MessageStore
        {
            private readonly InProcessSmtpServer owner;
            private readonly Func<ReceivedTransaction, SmtpResponse>? accept;

            public Store(InProcessSmtpServer owner, Func<ReceivedTransaction, SmtpResponse>? accept)
            {
                this.owner = owner;
                this.accept = accept;
            }

            public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
            {
                var received = new ReceivedTransaction(
                    context.SessionId.ToString(),
                    transaction.From.AsAddress(),
                    transaction.To.Select(t => t.AsAddress()).ToList(),
                    Encoding.UTF8.GetString(buffer.ToArray()));
                var response = accept?.Invoke(received) ?? SmtpResponse.Ok;
                if (response.ReplyCode == SmtpReplyCode.Ok)
                {
                    owner.Transactions.Enqueue(received);
                }

                return Task.FromResult(response);
            }
        }
    }
}
