using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>
    /// A recipients-per-day budget over a rolling 24 hours, as Exchange Online and Google count it: each recipient a
    /// server accepted uses one until 24 hours after it was sent. Seeded from a state file's records (a rerun counts
    /// what earlier runs sent), else it starts empty. Pure: the caller gives the time.
    /// </summary>
    internal sealed class RecipientBudget
    {
        public static readonly TimeSpan Window = TimeSpan.FromHours(24);

        private readonly object gate = new();
        private readonly Queue<(DateTime At, int Count)> used = new();
        private int inWindow;

        /// <param name="perDay">Recipients a rolling day allows; 0 or less for no budget.</param>
        /// <param name="earlier">When recipients of earlier runs were sent (from a state file), oldest first or in any order.</param>
        public RecipientBudget(int perDay, IEnumerable<DateTime>? earlier = null)
        {
            PerDay = perDay;
            if (earlier != null)
            {
                var times = new List<DateTime>(earlier);
                times.Sort();
                foreach (var at in times)
                {
                    used.Enqueue((at, 1));
                    inWindow++;
                }
            }
        }

        /// <summary>0 for no budget.</summary>
        public int PerDay { get; }

        /// <summary>Recipients counted in the 24 hours before <paramref name="nowUtc"/>.</summary>
        public int Used(DateTime nowUtc)
        {
            lock (gate)
            {
                Expire(nowUtc);
                return inWindow;
            }
        }

        /// <summary>
        /// Takes up to <paramref name="wanted"/> recipients at <paramref name="nowUtc"/>; returns how many the budget
        /// allows (all of them without a budget). Give back what the server did not accept with <see cref="Refund"/>.
        /// </summary>
        public int Take(int wanted, DateTime nowUtc)
        {
            if (PerDay <= 0 || wanted <= 0)
            {
                return Math.Max(wanted, 0);
            }

            lock (gate)
            {
                Expire(nowUtc);
                var granted = Math.Min(wanted, Math.Max(0, PerDay - inWindow));
                if (granted > 0)
                {
                    used.Enqueue((nowUtc, granted));
                    inWindow += granted;
                }

                return granted;
            }
        }

        /// <summary>Gives back <paramref name="count"/> recipients taken but not accepted (refused, deferred, not sent).</summary>
        public void Refund(int count)
        {
            if (PerDay <= 0 || count <= 0)
            {
                return;
            }

            lock (gate)
            {
                inWindow = Math.Max(0, inWindow - count);

                // The newest entries give back first: the oldest keep their place in the window.
                var entries = used.ToArray();
                used.Clear();
                var left = count;
                for (var i = entries.Length - 1; i >= 0 && left > 0; i--)
                {
                    var back = Math.Min(left, entries[i].Count);
                    entries[i].Count -= back;
                    left -= back;
                }

                foreach (var entry in entries)
                {
                    if (entry.Count > 0)
                    {
                        used.Enqueue(entry);
                    }
                }
            }
        }

        /// <summary>When the oldest recipient in the window leaves it (a rerun can send again then); null when none is counted.</summary>
        public DateTime? NextRoomUtc(DateTime nowUtc)
        {
            lock (gate)
            {
                Expire(nowUtc);
                return used.Count > 0 ? used.Peek().At + Window : null;
            }
        }

        private void Expire(DateTime nowUtc)
        {
            while (used.Count > 0 && used.Peek().At + Window <= nowUtc)
            {
                inWindow -= used.Dequeue().Count;
            }
        }
    }
}
