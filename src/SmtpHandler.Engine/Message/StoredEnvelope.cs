using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpHandler
{
    /// <summary>
    /// The envelope lines a pickup folder's file starts with (X-Sender, then X-Receiver per recipient, as
    /// PickupWriter, IIS and Exchange write them), and where the message itself begins. Only the leading block
    /// counts: such a line further down is part of the message.
    /// </summary>
    internal sealed class StoredEnvelope
    {
        private StoredEnvelope(string? sender, IReadOnlyList<string> receivers, int messageOffset)
        {
            Sender = sender;
            Receivers = receivers;
            MessageOffset = messageOffset;
        }

        /// <summary>The X-Sender line's address; empty for "X-Sender: &lt;&gt;" (the null reverse path); null without the line.</summary>
        public string? Sender { get; }

        public IReadOnlyList<string> Receivers { get; }

        /// <summary>Where the message's own bytes begin (after the envelope lines).</summary>
        public int MessageOffset { get; }

        public static StoredEnvelope Read(byte[] bytes, int length)
        {
            string? sender = null;
            var receivers = new List<string>();
            var position = 0;
            while (position < length)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', position, length - position);
                if (end < 0)
                {
                    break;
                }

                var line = Encoding.UTF8.GetString(bytes, position, end - position).TrimEnd('\r');
                if (Value(line, "X-Sender:") is { } from)
                {
                    sender ??= from;
                }
                else if (Value(line, "X-Receiver:") is { } to)
                {
                    receivers.Add(to);
                }
                else
                {
                    break;
                }

                position = end + 1;
            }

            return new StoredEnvelope(sender, receivers, position);
        }

        // "X-Sender: a@b" or "X-Sender: <a@b>"; "<>" or an empty value is the null reverse path.
        private static string? Value(string line, string name)
        {
            if (!line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var value = line.Substring(name.Length).Trim();
            if (value.StartsWith("<", StringComparison.Ordinal) && value.EndsWith(">", StringComparison.Ordinal))
            {
                value = value.Substring(1, value.Length - 2).Trim();
            }

            return value;
        }
    }
}
