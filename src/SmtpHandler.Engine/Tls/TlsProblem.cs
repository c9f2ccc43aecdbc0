namespace SmtpHandler
{
    /// <summary>One reason a server certificate was refused, in words a user can act on, with what to do about it.</summary>
    internal sealed class TlsProblem
    {
        public TlsProblem(TlsProblemKind kind, string reason, string advice)
        {
            Kind = kind;
            Reason = reason;
            Advice = advice;
        }

        public TlsProblemKind Kind { get; }

        /// <summary>Lower case, no final full stop: it follows "is not trusted: ".</summary>
        public string Reason { get; }

        /// <summary>Which parameter to use or whom to ask: whole sentences.</summary>
        public string Advice { get; }
    }
}
