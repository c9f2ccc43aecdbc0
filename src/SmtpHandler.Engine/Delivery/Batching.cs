using System;
using System.Collections.Generic;

namespace SmtpHandler
{
    /// <summary>Cuts a recipient list into the transactions that carry it.</summary>
    internal static class Batching
    {
        /// <summary>
        /// <paramref name="all"/> in order, in chunks of at most <paramref name="size"/> (0 or less: one chunk);
        /// nothing for an empty list. Each chunk is a new list.
        /// </summary>
        public static IEnumerable<List<T>> Split<T>(IReadOnlyList<T> all, int size)
        {
            if (size <= 0 || all.Count <= size)
            {
                if (all.Count > 0)
                {
                    yield return new List<T>(all);
                }

                yield break;
            }

            for (var i = 0; i < all.Count; i += size)
            {
                // By index: Skip() walks from the start on .NET Framework, quadratic for large lists.
                var chunk = new List<T>(Math.Min(size, all.Count - i));
                for (var j = i; j < i + size && j < all.Count; j++)
                {
                    chunk.Add(all[j]);
                }

                yield return chunk;
            }
        }
    }
}
