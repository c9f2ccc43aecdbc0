using System;
using System.Linq;
using System.Text;

namespace SmtpHandler.Testing
{
    /// <summary>What the server does in place of its default reply to a command (see <see cref="SmtpTestServerOptions.Script"/>).</summary>
    public sealed class ServerAction
    {
        private ServerAction(string? reply = null, bool drop = false, bool keep = false)
        {
            ReplyText = reply;
            DropsConnection = drop;
            KeepsMessage = keep;
        }

        /// <summary>Close the connection at once, without a reply; a message being received is discarded.</summary>
        public static ServerAction Drop { get; } = new(drop: true);

        /// <summary>At ".": keep the message (it counts as delivered), then close the connection without a reply.</summary>
        public static ServerAction KeepAndDrop { get; } = new(drop: true, keep: true);

        /// <summary>
        /// Say nothing more and read nothing more: the connection stays open until the client gives up (a hung server).
        /// At TLS (before the server's handshake, on implicit TLS and after STARTTLS): a handshake that never completes.
        /// </summary>
        public static ServerAction Silence { get; } = new() { Silent = true };

        public string? ReplyText { get; }

        public bool DropsConnection { get; }

        public bool KeepsMessage { get; }

        public bool Silent { get; private init; }

        /// <summary>Bytes to write as they are (no CRLF added), each chunk as a write of its own.</summary>
        public byte[][]? Chunks { get; private init; }

        /// <summary>The pause between two chunks, so that each arrives in a packet of its own.</summary>
        public TimeSpan Gap { get; private init; }

        /// <summary>How long to wait before acting: a slow server (a late greeting, a slow queue).</summary>
        public TimeSpan Delay { get; private init; }

        /// <summary>At DATA: answer 354, read this many bytes of the message, then close the connection.</summary>
        public int? DropAfterDataBytes { get; private init; }

        /// <summary>At STARTTLS: send <see cref="ReplyText"/> (with anything injected after it, in the same write), then start TLS.</summary>
        public bool StartsTls { get; private init; }

        /// <summary>Bytes written over and over after <see cref="Chunks"/>, until <see cref="PatternBytes"/> of them went out.</summary>
        public byte[]? Pattern { get; private init; }

        /// <summary>How many bytes of <see cref="Pattern"/> to write; <see cref="long.MaxValue"/> never ends.</summary>
        public long PatternBytes { get; private init; }

        /// <summary>The pause after each byte of <see cref="Pattern"/>; zero writes it in large blocks.</summary>
        public TimeSpan ByteInterval { get; private init; }

        /// <summary>Bytes written after the <see cref="Pattern"/>, when it ends.</summary>
        public byte[]? Tail { get; private init; }

        /// <summary>Answer with this reply (one line, or several separated by CRLF, without the final CRLF).</summary>
        public static ServerAction Reply(string reply) => new(reply);

        /// <summary>Write exactly these bytes (text as UTF-8, no CRLF added): garbage, over-long lines, replies without an end.</summary>
        public static ServerAction Raw(string text) => new() { Chunks = new[] { Encoding.UTF8.GetBytes(text) } };

        /// <summary>Write these pieces one after the other, <paramref name="gap"/> apart: a reply split across packets.</summary>
        public static ServerAction Packets(TimeSpan gap, params string[] pieces) => new() { Chunks = pieces.Select(p => Encoding.UTF8.GetBytes(p)).ToArray(), Gap = gap };

        /// <summary>At DATA: take <paramref name="bytes"/> bytes of the message, then close the line while the client is still writing.</summary>
        public static ServerAction DropMidData(int bytes) => new() { DropAfterDataBytes = bytes };

        /// <summary>At STARTTLS: write <paramref name="reply"/> and CRLF in one write (extra lines in it are injected), then start TLS.</summary>
        public static ServerAction StartTlsWith(string reply) => new(reply) { StartsTls = true };

        /// <summary>
        /// Write <paramref name="head"/>, then <paramref name="pattern"/> over and over until <paramref name="bytes"/> of it went
        /// out (<see cref="long.MaxValue"/>: until the client goes), then <paramref name="tail"/>: a reply line or a reply of
        /// any size, streamed from one small buffer.
        /// </summary>
        public static ServerAction Flood(string head, string pattern, long bytes, string tail = "") => new()
        {
            Chunks = new[] { Encoding.UTF8.GetBytes(head) },
            Pattern = Encoding.UTF8.GetBytes(pattern),
            PatternBytes = bytes,
            Tail = Encoding.UTF8.GetBytes(tail),
        };

        /// <summary>Write <paramref name="text"/> one byte every <paramref name="interval"/>, over and over, until the client goes: a reply that never ends, though the line is never idle.</summary>
        public static ServerAction Drip(string text, TimeSpan interval) => new()
        {
            Pattern = Encoding.UTF8.GetBytes(text),
            PatternBytes = long.MaxValue,
            ByteInterval = interval,
        };

        /// <summary>Wait <paramref name="delay"/>, then give the default reply.</summary>
        public static ServerAction Wait(TimeSpan delay) => new() { Delay = delay };

        /// <summary>This action, taken after waiting <paramref name="delay"/>.</summary>
        public ServerAction After(TimeSpan delay) => new(ReplyText, DropsConnection, KeepsMessage)
        {
            Silent = Silent,
            Chunks = Chunks,
            Gap = Gap,
            Delay = delay,
            DropAfterDataBytes = DropAfterDataBytes,
            StartsTls = StartsTls,
            Pattern = Pattern,
            PatternBytes = PatternBytes,
            ByteInterval = ByteInterval,
            Tail = Tail,
        };
    }
}
