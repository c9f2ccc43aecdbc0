using System;

namespace SmtpHandler
{
    /// <summary>
    /// Spaces transactions evenly in time, across every connection of a send together: never two closer than the
    /// interval (60 s / MaxMessagesPerMinute), so a rate is never reached in a burst. A server's throttling reply
    /// widens the interval for the rest of the send. Pure: the caller gives the time and does the waiting.
    /// </summary>
    internal sealed class MessagePacer
    {
        /// <summary>The spacing a throttled send without a rate of its own starts from.</summary>
        public static readonly TimeSpan FirstThrottledInterval = TimeSpan.FromMilliseconds(500);

        /// <summary>Throttling never spaces transactions wider than this.</summary>
        public static readonly TimeSpan LongestInterval = TimeSpan.FromMinutes(1);

        private readonly object gate = new();
        private DateTime nextUtc = DateTime.MinValue;

        /// <param name="messagesPerMinute">The rate; 0 or less for none (until a server throttles).</param>
        public MessagePacer(double messagesPerMinute)
        {
            Interval = messagesPerMinute > 0 ? TimeSpan.FromTicks((long)(TimeSpan.TicksPerMinute / messagesPerMinute)) : TimeSpan.Zero;
        }

        /// <summary>The least time between the starts of two transactions; zero for no pacing.</summary>
        public TimeSpan Interval { get; private set; }

        /// <summary>The rate the interval allows, per minute; 0 for no pacing.</summary>
        public double PerMinute => Interval > TimeSpan.Zero ? TimeSpan.TicksPerMinute / (double)Interval.Ticks : 0;

        /// <summary>
        /// Takes the next start time for a transaction wanted at <paramref name="nowUtc"/>: now when the interval has
        /// passed since the last one taken, else the moment it will have. Thread-safe; each call takes a slot of its own.
        /// </summary>
        public DateTime Reserve(DateTime nowUtc)
        {
            lock (gate)
            {
                var slot = nowUtc > nextUtc ? nowUtc : nextUtc;
                nextUtc = slot + Interval;
                return slot;
            }
        }

        /// <summary>A server said "slow down": the interval doubles (from half a second when there was none), up to a minute.</summary>
        public TimeSpan SlowDown()
        {
            lock (gate)
            {
                var wider = Interval > TimeSpan.Zero ? TimeSpan.FromTicks(Interval.Ticks * 2) : FirstThrottledInterval;
                Interval = wider > LongestInterval ? (Interval > LongestInterval ? Interval : LongestInterval) : wider;
                return Interval;
            }
        }
    }
}
