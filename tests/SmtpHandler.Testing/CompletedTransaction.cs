using System.Collections.Generic;

namespace SmtpHandler.Testing
{
    /// <summary>A transaction the server completed: it answered 250 to the data (or kept it and then dropped the line).</summary>
    /// <param name="Data">The message as the server reads it: lines joined with CRLF, dot-stuffing removed (empty unless <see cref="SmtpTestServerOptions.KeepData"/>).</param>
    /// <param name="RawData">The exact bytes received after the 354 reply, up to and including the line "." that ended them (empty unless kept).</param>
    /// <param name="Size">How many bytes <paramref name="RawData"/> has, kept or not.</param>
    public sealed record CompletedTransaction(int Connection, string From, IReadOnlyList<string> To, string Data, byte[] RawData, long Size);
}
