using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace SmtpHandler
{
    /// <summary>
    /// The SMTP handler: checks and builds messages, and sends them over one connection (or several, or into a
    /// pickup folder), batching recipients, splitting on "452 too many recipients", retrying transient failures,
    /// and accounting for every recipient. Each message's delivery is a <see cref="MessageDelivery"/>.
    /// </summary>
    public sealed partial class SmtpMailer
    {
        private readonly SmtpHandlerConfig config;
        private readonly ISmtpLog log;

        public SmtpMailer(SmtpHandlerConfig config, ISmtpLog? log = null)
        {
            this.config = config ?? throw new ArgumentNullException(nameof(config));
            this.log = log ?? NullSmtpLog.Instance;
        }

        /// <summary>
        /// Told of every wait of a send before it begins (MaxMessagesPerMinute's pacing, a retry's back-off), on the
        /// thread that enumerates the results: a cmdlet shows it with Write-Progress.
        /// </summary>
        public Action<SmtpSendWait>? Waiting { get; set; }

        /// <summary>
        /// Checks and builds one message; throws <see cref="SmtpHandlerException"/> for bad input. With
        /// <paramref name="skipInvalidRecipients"/>, an invalid recipient address is recorded as not
        /// attempted instead of failing the message.
        /// </summary>
        public PreparedMessage Prepare(SmtpMessage message, bool skipInvalidRecipients = false) =>
            MessageBuilder.Prepare(message ?? throw new ArgumentNullException(nameof(message)), config, skipInvalidRecipients);

        /// <summary>
        /// Reads a stored message file (an .eml, a pickup folder's file) to send as it is, byte for byte. The
        /// envelope is <paramref name="from"/>/<paramref name="to"/> when given, else the file's X-Sender/X-Receiver
        /// lines (not sent), else its headers (Resent-* when present; Bcc never sent). Throws
        /// <see cref="SmtpHandlerException"/> for a file that can't be sent as it is.
        /// </summary>
        public PreparedMessage PrepareStored(string path, string? from = null, IReadOnlyList<string>? to = null, SmtpDeliveryNotification notify = SmtpDeliveryNotification.None) =>
            StoredMessage.Prepare(path ?? throw new ArgumentNullException(nameof(path)), from, to, config, notify);

        /// <summary>
        /// Checks a message whose recipients are not known yet (a template for many messages): sender, headers,
        /// subject, body and files. Throws <see cref="SmtpHandlerException"/> for bad input; sends nothing.
        /// </summary>
        public void Validate(SmtpMessage message) =>
            MessageBuilder.Prepare(message ?? throw new ArgumentNullException(nameof(message)), config, skipInvalidRecipients: true, requireRecipients: false);

        /// <summary>
        /// Sends each message and yields its result as soon as it is known. No connection is opened for an
        /// empty sequence; one connection serves all of them (see MaxMessagesPerConnection). With a
        /// ConnectionCount above 1, several messages share out over that many connections at once (see
        /// <see cref="ParallelSender"/>); the results still come in the order of the messages.
        /// </summary>
        public IEnumerable<SmtpSendResult> Send(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken = default)
        {
            if (messages == null)
            {
                throw new ArgumentNullException(nameof(messages));
            }

            return Send(messages, new SendGovernor(config, Waiting), cancellationToken);
        }

        /// <summary>A send under <paramref name="governor"/>'s limits (pace, day budget, quota), shared by all its connections.</summary>
        private IEnumerable<SmtpSendResult> Send(IEnumerable<PreparedMessage> messages, SendGovernor governor, CancellationToken cancellationToken)
        {
            if (config.IsPickup)
            {
                return WriteToPickup(messages, cancellationToken);
            }

            // What the server says passes one filter on its way out: no secret sent to log in, no control character.
            var secrets = SentSecrets.For(config);
            var serverLog = ServerTextLog.Wrap(log, secrets);
            if (config.ConnectionCount > 1)
            {
                var list = messages as IReadOnlyList<PreparedMessage> ?? messages.ToList();
                var connections = Math.Min(config.ConnectionCount, list.Count);
                if (config.MaxConnections > 0 && connections > config.MaxConnections)
                {
                    serverLog.Step($"ConnectionCount {connections} is capped at {config.MaxConnections}, the most connections {(config.Service == SmtpService.None ? "MaxConnections allows" : $"{config.Service} allows")} at once");
                    connections = config.MaxConnections;
                }

                if (connections > 1)
                {
                    return ParallelSender.Send(config, serverLog, secrets, list, connections, governor, cancellationToken);
                }

                messages = list;
            }

            return SendOverOneConnection(messages, serverLog, secrets, governor, cancellationToken);
        }

        private IEnumerable<SmtpSendResult> WriteToPickup(IEnumerable<PreparedMessage> messages, CancellationToken cancellationToken)
        {
            var pickup = new PickupWriter(config, log);
            foreach (var message in messages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return pickup.Write(message);
            }
        }

        private IEnumerable<SmtpSendResult> SendOverOneConnection(IEnumerable<PreparedMessage> messages, ISmtpLog log, SentSecrets secrets, SendGovernor governor, CancellationToken cancellationToken)
        {
            using var session = new SmtpSession(new SmtpConnector(config, log), config, log);
            session.Logger.Secrets = secrets;
            SmtpHandlerException? fatal = null;
            using var source = messages.GetEnumerator();
            var next = source.MoveNext() ? source.Current : null;
            while (next != null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Each message is built here, when its turn comes: handing the build to the thread pool to overlap
                // the server's replies cost more than it saved (a wake-up per message, and idle workers spinning for
                // the next item on the cores the server needs), and building takes tens of microseconds.
                var message = next;
                next = source.MoveNext() ? source.Current : null;
                var delivery = new MessageDelivery(config, log, message, session, governor);
                if (fatal == null)
                {
                    fatal = delivery.Run(cancellationToken);
                }
                else
                {
                    delivery.GiveUp(fatal);
                }

                message.Release();
                yield return delivery.ToResult(fatal);
            }
        }
    }
}
