using System;

namespace SmtpHandler
{
    internal sealed class SmtpWireException : Exception
    {
        public SmtpWireException(WireFailure failure, string step, string message, Exception? inner = null)
            : base(message, inner)
        {
            Failure = failure;
            Step = step;
        }

        public WireFailure Failure { get; }

        /// <summary>What was being done: "greeting", "EHLO", "TLS handshake"...</summary>
        public string Step { get; }
    }
}
