namespace SmtpHandler
{
    /// <summary>
    /// The log the engine narrates to while it talks to a server: every line passes <see cref="ServerText"/> on its
    /// way to the caller's log, so that a server's words (in a failure, a retry, a protocol line) show no secret we
    /// sent and drive no terminal.
    /// </summary>
    internal sealed class ServerTextLog : ISmtpLog
    {
        private readonly ISmtpLog inner;
        private readonly SentSecrets secrets;

        private ServerTextLog(ISmtpLog inner, SentSecrets secrets)
        {
            this.inner = inner;
            this.secrets = secrets;
        }

        public bool IsProtocolEnabled => inner.IsProtocolEnabled;

        /// <summary><paramref name="log"/> behind the filter; a log that drops everything needs none.</summary>
        public static ISmtpLog Wrap(ISmtpLog log, SentSecrets secrets) => log is NullSmtpLog || log is ServerTextLog ? log : new ServerTextLog(log, secrets);

        public void Step(string text) => inner.Step(ServerText.Clean(text, secrets));

        public void Protocol(string line) => inner.Protocol(ServerText.Clean(line, secrets));
    }
}
