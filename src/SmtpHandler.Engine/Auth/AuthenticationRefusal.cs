namespace SmtpHandler
{
    /// <summary>
    /// Why a login is not tried, worded once: sending throws it (<see cref="ToException"/>), diagnostics reports
    /// it as a finding (<see cref="ToFinding"/>).
    /// </summary>
    internal sealed class AuthenticationRefusal
    {
        public AuthenticationRefusal(string errorId, SmtpFailureKind kind, string message, string advice, object? target, string? parameterName = null)
        {
            ErrorId = errorId;
            Kind = kind;
            Message = message;
            Advice = advice;
            Target = target;
            ParameterName = parameterName;
        }

        public string ErrorId { get; }

        public SmtpFailureKind Kind { get; }

        /// <summary>What was refused and why: one sentence.</summary>
        public string Message { get; }

        /// <summary>What to do about it.</summary>
        public string Advice { get; }

        public object? Target { get; }

        /// <summary>The parameter at fault, when the refusal comes from checking a configuration.</summary>
        public string? ParameterName { get; }

        public SmtpHandlerException ToException() =>
            new(ErrorId, Kind, $"{Message} {Advice}", Target) { ParameterName = ParameterName };

        public SmtpFinding ToFinding() => new(SmtpFindingSeverity.Error, ErrorId, Message, Advice);
    }
}
