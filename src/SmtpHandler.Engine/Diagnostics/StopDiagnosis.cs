using System;

namespace SmtpHandler
{
    /// <summary>Ends a diagnosis after a finding that leaves nothing more to test.</summary>
    internal sealed class StopDiagnosis : Exception
    {
    }
}
