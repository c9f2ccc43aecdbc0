using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SmtpHandler.Testing
{
    /// <summary>One connection as the server saw it.</summary>
    public sealed class SmtpTestSession
    {
        private readonly ConcurrentQueue<string> commands = new();

        internal SmtpTestSession(int number) => Number = number;

        /// <summary>1 for the first connection the server accepted, 2 for the next...</summary>
        public int Number { get; }

        /// <summary>Every line received outside message data, in order.</summary>
        public IReadOnlyList<string> Commands => commands.ToArray();

        /// <summary>The first word of each command, upper case.</summary>
        public IEnumerable<string> Verbs => Commands.Select(c => c.Split(' ', ':')[0].ToUpperInvariant());

        public bool Encrypted { get; internal set; }

        public SslProtocols? TlsProtocol { get; internal set; }

        /// <summary>The certificate the client presented, if any.</summary>
        public X509Certificate2? ClientCertificate { get; internal set; }

        /// <summary>Why the TLS handshake failed on the server's side, if it did.</summary>
        public string? TlsFailure { get; internal set; }

        /// <summary>Who logged in last on this connection (reset by STARTTLS).</summary>
        public string? AuthenticatedUser { get; internal set; }

        /// <summary>Commands refused because the server's RecipientQuota was used up.</summary>
        public int QuotaRefusals { get; internal set; }

        /// <summary>Whether the session was refused as one past MaxConcurrentSessions.</summary>
        public bool RefusedAsTooMany { get; internal set; }

        internal void Add(string line) => commands.Enqueue(line);
    }
}
