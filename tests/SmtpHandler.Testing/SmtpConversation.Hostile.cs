using System;
using System.Threading;

namespace SmtpHandler.Testing
{
    /// <summary>What a hostile server does that a faulty one doesn't: stall a TLS handshake, drip or flood a reply.</summary>
    internal sealed partial class SmtpConversation
    {
        /// <summary>Asks the script at TLS before the server's handshake; false when it stalls or drops instead (the session ends).</summary>
        private bool BeforeHandshake()
        {
            var action = Ask("TLS", string.Empty);
            if (action == null)
            {
                return true;
            }

            if (action.Silent || action.DropsConnection)
            {
                // Silence reads the client's hello and never answers it: a handshake that never completes.
                return Respond(action, string.Empty);
            }

            if (action.Delay > TimeSpan.Zero)
            {
                Thread.Sleep(action.Delay);
            }

            return true;
        }

        /// <summary>
        /// Writes the action's pattern until its byte count is reached (or the client goes, or the server stops), byte by
        /// byte with a pause after each, or else in blocks cut from one buffer, so that no size is ever held in memory;
        /// then its tail.
        /// </summary>
        private void SendPattern(ServerAction action)
        {
            var pattern = action.Pattern!;
            var left = action.PatternBytes;
            if (action.ByteInterval > TimeSpan.Zero)
            {
                for (var i = 0; left > 0 && !server.Stopping; i = (i + 1) % pattern.Length, left--)
                {
                    stream.WriteByte(pattern[i]);
                    stream.Flush();
                    Thread.Sleep(action.ByteInterval);
                }
            }
            else
            {
                var block = new byte[Math.Max(1, 64 * 1024 / pattern.Length) * pattern.Length];
                for (var at = 0; at < block.Length; at += pattern.Length)
                {
                    Buffer.BlockCopy(pattern, 0, block, at, pattern.Length);
                }

                while (left > 0 && !server.Stopping)
                {
                    var take = (int)Math.Min(block.Length, left);
                    stream.Write(block, 0, take);
                    left -= take;
                }

                stream.Flush();
            }

            if (action.Tail is { Length: > 0 } tail && !server.Stopping)
            {
                Send(tail);
            }
        }
    }
}
