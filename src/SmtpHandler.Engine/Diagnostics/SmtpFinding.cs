namespace SmtpHandler
{
    /// <summary>One thing the diagnosis noticed, with what to do about it.</summary>
    public sealed class SmtpFinding
    {
        public SmtpFinding(SmtpFindingSeverity severity, string id, string message, string? advice = null)
        {
            Severity = severity;
            Id = id;
            Message = message;
            Advice = advice;
        }

        public SmtpFindingSeverity Severity { get; }

        /// <summary>A stable PascalCase identifier, e.g. <c>CertificateExpired</c>; where sending has the same failure, the same ErrorId.</summary>
        public string Id { get; }

        public string Message { get; }

        /// <summary>What to do about it, when there is something to do.</summary>
        public string? Advice { get; }

        public override string ToString() => Advice == null ? $"{Severity} {Id}: {Message}" : $"{Severity} {Id}: {Message} {Advice}";
    }
}
