using System;

namespace SmtpHandler.Testing
{
    /// <summary>
    /// Ready-made scripts. A PowerShell script block can't serve as <see cref="SmtpTestServerOptions.Script"/>: the
    /// server calls it on its own threads, which have no runspace. These are built in C#.
    /// </summary>
    public static class ServerScript
    {
        /// <summary>Takes <paramref name="action"/> every time <paramref name="verb"/> arrives (CONNECT: in place of the greeting).</summary>
        public static Func<ReceivedCommand, ServerAction?> At(string verb, ServerAction action) =>
            command => string.Equals(command.Verb, verb, StringComparison.OrdinalIgnoreCase) ? action : null;
    }
}
