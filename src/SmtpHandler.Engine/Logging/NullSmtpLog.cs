namespace SmtpHandler
{
    /// <summary>A log that drops everything.</summary>
    public sealed class NullSmtpLog : ISmtpLog
    {
        public static readonly NullSmtpLog Instance = new();

        public bool IsProtocolEnabled => false;

        public void Step(string text)
        {
        }

        public void Protocol(string line)
        {
        }
    }
}
