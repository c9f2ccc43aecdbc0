using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace SmtpHandler
{
    /// <summary>
    /// The SMTP handler: sends prepared messages over one connection, batching recipients, splitting on
    /// "452 too many recipients", retrying transient failures, and accounting for every recipient.
    /// </summary>
    public sealed class SmtpMailer
    {
        private static readonly FormatOptions WireFormat = CreateWireFormat();
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public SmtpMailer(SmtpHandlerConfig config, ISmtpLog? log = null)
        {
            this.config = config ?? throw new ArgumentNullException(nameof(config));
            this.log = log ?? NullSmtpLog.Instance;
        }

        /// <summary>
        /// Checks and builds one message; throws <see cref="SmtpHandlerException"/> for bad input. With
        /// <paramref name="skipInvalidRecipients"/>, an invalid recipient address is recorded as not
        /// attempted instead of failing the message.
        /// </summary>
        public PreparedMessage Prepare(SmtpMessage message, bool skipInvalidRecipients = false) =>
            MessageBuilder.Prepare(message ?? throw new ArgumentNullException(nameof(message)), config, skipInvalidRecipients);

        /// <summary>
        /// Sends each message and yields its result as soon as it is known. No connection is opened for an
        /// empty sequence; one connection serves all of them (see MaxMessagesPerConnection).
        /// </summary>
        public IEnumerable<SmtpSendResult> Send(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken = default)
        {
            if (messages == null)
            {
                throw new ArgumentNullException(nameof(messages));
            }

            if (config.IsPickup)
            {
                var pickup = new PickupWriter(config, log);
                foreach (var message in messages)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return pickup.Write(message);
                }

                yield break;
            }

            using var session = new SmtpSession(new SmtpConnector(config, log), config, log);
            SmtpHandlerException? fatal = null;
            foreach (var message in messages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var transaction = new MessageDelivery(this, message, session);
                if (fatal == null)
                {
                    fatal = transaction.Run(cancellationToken);
                }
                else
                {
                    transaction.GiveUp(fatal);
                }

                yield return transaction.ToResult(fatal);
            }
        }

        private static FormatOptions CreateWireFormat()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }

        /// <summary>How a server's reply to one RCPT is to be taken.</summary>
        private enum ReplyKind
        {
            Accepted,
            TooManyRecipients,
            Transient,
            Permanent,
        }

        /// <summary>The delivery of one message: its batches, retries and every recipient's state.</summary>
        private sealed class MessageDelivery
        {
            private readonly SmtpMailer owner;
            private readonly PreparedMessage message;
            private readonly SmtpSession session;
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private readonly Dictionary<string, SmtpRecipientResult> outcome = new(StringComparer.OrdinalIgnoreCase);
            private readonly Dictionary<string, int> retries = new(StringComparer.OrdinalIgnoreCase);
            private readonly LinkedList<List<MailboxAddress>> pending = new();
            private readonly HashSet<int> connectionsUsed = new();
            private int transactions;
            private int learnedLimit;
            private CancellationToken cancellation;

            public MessageDelivery(SmtpMailer owner, PreparedMessage message, SmtpSession session)
            {
                this.owner = owner;
                this.message = message;
                this.session = session;
                foreach (var batch in Split(message.RecipientMailboxes, owner.config.RecipientsPerMessage))
                {
                    pending.AddLast(batch);
                }
            }

            private SmtpHandlerConfig Config => owner.config;

            private ISmtpLog Log => owner.log;

            /// <summary>Sends every batch; returns a failure that also dooms the messages after this one.</summary>
            public SmtpHandlerException? Run(CancellationToken cancellationToken)
            {
                cancellation = cancellationToken;
                var connectFailures = 0;
                while (pending.Count > 0)
                {
                    var batch = pending.First!.Value;
                    pending.RemoveFirst();
                    RecordingSmtpClient client;
                    try
                    {
                        client = session.Ensure(cancellationToken);
                    }
                    catch (SmtpHandlerException ex) when (ex.Transient && connectFailures < Config.RetryCount)
                    {
                        connectFailures++;
                        Log.Step($"{ex.Message} Retrying ({connectFailures} of {Config.RetryCount}).");
                        pending.AddFirst(batch);
                        Backoff(connectFailures, cancellationToken);
                        continue;
                    }
                    catch (SmtpHandlerException ex)
                    {
                        pending.AddFirst(batch);
                        GiveUp(ex);
                        return ex;
                    }

                    connectionsUsed.Add(session.ConnectionNumber);
                    SendBatch(client, batch, cancellationToken);
                }

                return null;
            }

            /// <summary>Every recipient not yet settled ends as not attempted, with why.</summary>
            public void GiveUp(SmtpHandlerException why)
            {
                foreach (var mailbox in pending.SelectMany(b => b))
                {
                    Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: why.Message));
                }

                pending.Clear();
            }

            public SmtpSendResult ToResult(SmtpHandlerException? fatal)
            {
                var recipients = message.RecipientMailboxes
                    .Select(m => outcome.TryGetValue(m.Address, out var r) ? r : new SmtpRecipientResult(m.Address, SmtpRecipientStatus.NotAttempted, reason: "Not offered to the server."))
                    .Concat(message.RefusedBeforeSending)
                    .ToArray();
                var failedWhole = fatal != null && recipients.Any(r => r.Status == SmtpRecipientStatus.NotAttempted && r.Reason == fatal.Message);
                return new SmtpSendResult(
                    message.MessageId,
                    message.Subject,
                    message.EnvelopeSender,
                    recipients,
                    transactions,
                    connectionsUsed.Count,
                    clock.Elapsed,
                    $"{Config.SmtpServer}:{Config.Port}",
                    errorId: failedWhole ? fatal!.ErrorId : null,
                    error: failedWhole ? fatal!.Message : null);
            }

            private void SendBatch(RecordingSmtpClient client, List<MailboxAddress> batch, CancellationToken cancellationToken)
            {
                client.BeginTransaction(message.Notify);
                session.Logger.BeginTransaction();
                Log.Step($"Transaction {transactions + 1}: MAIL FROM <{message.EnvelopeSender}>, {batch.Count} recipient(s)");
                try
                {
                    client.Send(WireFormat, message.Mime, message.EnvelopeSenderMailbox, batch, cancellationToken);
                    session.CountData();
                    transactions++;
                    SettleReplies(client.Replies, batch, dataAccepted: true);
                }
                catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted && (int)ex.StatusCode != 421)
                {
                    var code = (int)ex.StatusCode;
                    if (IsTransient(code))
                    {
                        RetryLater(batch, code, ex.Message, cancellationToken);
                    }
                    else
                    {
                        // The sender is the same for every batch: the rest would be refused alike.
                        var reply = $"Sender <{message.EnvelopeSender}> refused: {ex.Message}";
                        foreach (var mailbox in batch.Concat(pending.SelectMany(b => b)))
                        {
                            Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, code, reply));
                        }

                        pending.Clear();
                    }
                }
                catch (Exception ex) when (IsConnectionLoss(ex, cancellationToken))
                {
                    var dataSent = session.Logger.DataTerminatorSent;
                    session.Drop();
                    Log.Step($"The connection was lost ({Describe(ex)}).");
                    var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                    if (dataSent)
                    {
                        // The server may have queued it: sending again could deliver it twice.
                        foreach (var mailbox in accepted)
                        {
                            Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Unknown, reason: "The connection was lost after the message data was sent, before the server confirmed it: it may or may not have been delivered, so it was not sent again."));
                        }
                    }
                    else
                    {
                        RetryLater(accepted.Concat(batch.Where(m => !client.Replies.Any(r => r.Mailbox == m))).ToList(), null, $"Connection lost: {Describe(ex)}", cancellationToken);
                    }
                }
                catch (SmtpCommandException ex)
                {
                    // The recipients were taken but the content was refused: they share its fate.
                    var code = (int)ex.StatusCode;
                    var accepted = SettleReplies(client.Replies, batch, dataAccepted: false);
                    if (IsTransient(code))
                    {
                        RetryLater(accepted, code, ex.Message, cancellationToken);
                    }
                    else
                    {
                        foreach (var mailbox in accepted)
                        {
                            Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, code, ex.Message));
                        }
                    }
                }
            }

            /// <summary>
            /// Records each RCPT reply. Returns the recipients the server accepted at RCPT when the data
            /// was not accepted (the caller decides their fate).
            /// </summary>
            private List<MailboxAddress> SettleReplies(List<RecipientReply> replies, List<MailboxAddress> batch, bool dataAccepted)
            {
                var acceptedAtRcpt = new List<MailboxAddress>();
                var tooMany = new List<MailboxAddress>();
                var transient = new List<RecipientReply>();
                foreach (var reply in replies)
                {
                    switch (Classify(reply.Code))
                    {
                        case ReplyKind.Accepted when dataAccepted:
                            Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Accepted, reply.Code, reply.Text));
                            break;
                        case ReplyKind.Accepted:
                            acceptedAtRcpt.Add(reply.Mailbox);
                            break;
                        case ReplyKind.TooManyRecipients:
                            tooMany.Add(reply.Mailbox);
                            break;
                        case ReplyKind.Transient:
                            transient.Add(reply);
                            break;
                        default:
                            Settle(new SmtpRecipientResult(reply.Mailbox.Address, SmtpRecipientStatus.Rejected, reply.Code, reply.Text));
                            break;
                    }
                }

                var acceptedCount = replies.Count(r => Classify(r.Code) == ReplyKind.Accepted);
                if (tooMany.Count > 0)
                {
                    if (acceptedCount > 0 && dataAccepted)
                    {
                        // The server's own limit: remember it, and carry on with the rest in new transactions.
                        learnedLimit = learnedLimit == 0 ? acceptedCount : Math.Min(learnedLimit, acceptedCount);
                        Log.Step($"The server took {acceptedCount} recipients in one transaction ({tooMany.Count} refused as too many); sending the rest in further transactions of at most {learnedLimit}.");
                        var rest = tooMany.Concat(pending.SelectMany(b => b)).ToList();
                        pending.Clear();
                        foreach (var chunk in Split(rest, learnedLimit))
                        {
                            pending.AddLast(chunk);
                        }
                    }
                    else
                    {
                        var sample = replies.First(r => Classify(r.Code) == ReplyKind.TooManyRecipients);
                        RetryLater(tooMany, sample.Code, sample.Text, cancellation);
                    }
                }

                foreach (var group in transient.GroupBy(r => (r.Code, r.Text)))
                {
                    RetryLater(group.Select(r => r.Mailbox).ToList(), group.Key.Code, group.Key.Text, cancellation);
                }

                return acceptedAtRcpt;
            }

            /// <summary>Queues recipients again after a transient failure, or settles them when retries are used up.</summary>
            private void RetryLater(List<MailboxAddress> mailboxes, int? code, string reply, CancellationToken cancellationToken)
            {
                var again = new List<MailboxAddress>();
                var attempt = 0;
                foreach (var mailbox in mailboxes)
                {
                    retries.TryGetValue(mailbox.Address, out var used);
                    if (used < Config.RetryCount)
                    {
                        retries[mailbox.Address] = used + 1;
                        attempt = Math.Max(attempt, used + 1);
                        again.Add(mailbox);
                    }
                    else if (code is int replyCode)
                    {
                        Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.Rejected, replyCode, reply, $"Still refused after {Config.RetryCount} retries."));
                    }
                    else
                    {
                        Settle(new SmtpRecipientResult(mailbox.Address, SmtpRecipientStatus.NotAttempted, reason: $"{reply} (gave up after {Config.RetryCount} retries)."));
                    }
                }

                if (again.Count == 0)
                {
                    return;
                }

                Log.Step($"Transient failure ({(code is int c ? c + " " : string.Empty)}{reply}); retry {attempt} of {Config.RetryCount} for {again.Count} recipient(s).");
                pending.AddLast(again);
                Backoff(attempt, cancellationToken);
            }

            private void Backoff(int attempt, CancellationToken cancellationToken)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(Config.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), 60_000));
                if (delay > TimeSpan.Zero)
                {
                    cancellationToken.WaitHandle.WaitOne(delay);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            private void Settle(SmtpRecipientResult result) => outcome[result.Address] = result;

            private static ReplyKind Classify(int code) => code switch
            {
                >= 200 and < 300 => ReplyKind.Accepted,

                // RFC 5321 4.5.3.1.10: 452 (and, historically, 552) mean "too many recipients" at RCPT.
                452 or 552 => ReplyKind.TooManyRecipients,
                >= 400 and < 500 => ReplyKind.Transient,
                _ => ReplyKind.Permanent,
            };

            private static bool IsTransient(int code) => code >= 400 && code < 500;

            private static bool IsConnectionLoss(Exception ex, CancellationToken cancellationToken) =>
                !cancellationToken.IsCancellationRequested &&
                (ex is IOException || ex is SmtpProtocolException || ex is ServiceNotConnectedException || ex is SocketException ||
                 ex is TimeoutException || ex is OperationCanceledException ||
                 (ex is SmtpCommandException cmd && (int)cmd.StatusCode == 421));

            private static string Describe(Exception ex) => ex is SmtpCommandException cmd ? $"{(int)cmd.StatusCode} {cmd.Message}" : ex.Message;

            private static IEnumerable<List<MailboxAddress>> Split(IReadOnlyList<MailboxAddress> all, int size)
            {
                if (size <= 0 || all.Count <= size)
                {
                    if (all.Count > 0)
                    {
                        yield return all.ToList();
                    }

                    yield break;
                }

                for (var i = 0; i < all.Count; i += size)
                {
                    yield return all.Skip(i).Take(size).ToList();
                }
            }
        }
    }
}
