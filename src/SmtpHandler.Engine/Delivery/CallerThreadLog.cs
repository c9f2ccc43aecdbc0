namespace SmtpHandler
{
    /// <summary>A session's log, from a sending thread: each line is written on the caller's thread, headed by the session's name.</summary>
    internal sealed class CallerThreadLog : ISmtpLog
    {
        private readonly ISmtpLog inner;
        private readonly CallerThreadQueue callerThread;
        private readonly string prefix;

        public CallerThreadLog(ISmtpLog inner, CallerThreadQueue callerThread, string prefix)
        {
            this.inner = inner;
            this.callerThread = callerThread;
            this.prefix = prefix;
            IsProtocolEnabled = inner.IsProtocolEnabled;
        }

        public bool IsProtocolEnabled { get; }

        // Lines wait for the caller's thread to wake for a result (or the end): no thread switch per line.
        public void Step(string text) => callerThread.Post(() => inner.Step(prefix + text), wake: false);

        public void Protocol(string line) => callerThread.Post(() => inner.Protocol(prefix + line), wake: false);
    }
}
