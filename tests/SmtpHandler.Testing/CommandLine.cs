namespace SmtpHandler.Testing
{
    /// <summary>One line the client sent outside message data (commands and answers to AUTH challenges), and whether it came over TLS.</summary>
    public sealed record CommandLine(int Connection, string Line, bool Encrypted)
    {
        /// <summary>The first word, upper case ("MAIL" for "MAIL FROM:&lt;a@b&gt;").</summary>
        public string Verb => Line.Split(' ', ':')[0].ToUpperInvariant();

        /// <summary>When the server read the line (UTC): the spacing of MAIL commands across connections.</summary>
        public System.DateTime ReceivedUtc { get; init; } = System.DateTime.UtcNow;
    }
}
