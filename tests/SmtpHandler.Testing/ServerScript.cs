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

        /// <summary>
        /// Takes <paramref name="action"/> at every <paramref name="n"/>th <paramref name="verb"/> over all sessions (the
        /// 1st, the n+1th, ...), and the default reply at the others: a server that throttles now and then.
        /// </summary>
        public static Func<ReceivedCommand, ServerAction?> Every(string verb, int n, ServerAction action)
        {
            var seen = 0;
            return command =>
                string.Equals(command.Verb, verb, StringComparison.OrdinalIgnoreCase) && (System.Threading.Interlocked.Increment(ref seen) - 1) % n == 0 ? action : null;
        }
    }
}
