using System.Linq;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>How a recipient list is cut into transactions.</summary>
    public sealed class BatchingTests
    {
        [Theory]
        [InlineData(10, 3, new[] { 3, 3, 3, 1 })]
        [InlineData(9, 3, new[] { 3, 3, 3 })]
        [InlineData(3, 5, new[] { 3 })]
        [InlineData(7, 0, new[] { 7 })]
        [InlineData(0, 3, new int[0])]
        [InlineData(0, 0, new int[0])]
        public void Cuts_a_list_into_chunks_of_at_most_the_size(int count, int size, int[] expected)
        {
            var all = Enumerable.Range(0, count).ToList();

            var chunks = Batching.Split(all, size).ToList();

            Assert.Equal(expected, chunks.Select(c => c.Count));
            Assert.Equal(all, chunks.SelectMany(c => c));
        }

        [Fact]
        public void Copies_a_list_that_fits_in_one_chunk()
        {
            var all = new[] { "a", "b" };

            var chunk = Batching.Split(all, 0).Single();

            Assert.Equal(all, chunk);
            chunk.Add("c");
            Assert.Equal(2, all.Length);
        }
    }
}
