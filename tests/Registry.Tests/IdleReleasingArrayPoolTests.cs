using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class IdleReleasingArrayPoolTests
{
    private const int Chunk = 8 * 1024 * 1024;

    /// <summary>A pool only the test calls <see cref="IdleReleasingArrayPool.OnFullCollection"/> on: the 8 MiB arrays these tests
    /// allocate (and other test classes running beside them) trigger real full collections at any moment.</summary>
    private static IdleReleasingArrayPool ManualPool() => new(16 * 1024 * 1024, maxArraysPerBucket: 2, releaseOnFullCollections: false);

    [Fact]
    public void Rent_AfterReturn_ReusesTheArray()
    {
        var pool = ManualPool();
        var first = pool.Rent(Chunk);
        pool.Return(first);
        Assert.Same(first, pool.Rent(Chunk));
    }

    [Fact]
    public void Rent_OddLength_GivesThePowerOfTwoAboveIt()
    {
        var pool = ManualPool();
        Assert.Equal(4 * 1024 * 1024, pool.Rent((2 * 1024 * 1024) + 1).Length);
    }

    [Fact]
    public void Return_OverTheBucketBound_KeepsOnlyTheBound()
    {
        var pool = ManualPool();
        var arrays = Enumerable.Range(0, 5).Select(_ => pool.Rent(Chunk)).ToList();
        foreach (var array in arrays) pool.Return(array);
        Assert.Equal(2L * Chunk, pool.IdleBytes);
    }

    [Fact]
    public void OnFullCollection_UsedSinceThePreviousOne_KeepsIdleArrays()
    {
        var pool = ManualPool();
        pool.Return(pool.Rent(Chunk));
        pool.OnFullCollection();
        Assert.Equal(Chunk, pool.IdleBytes);
    }

    [Fact]
    public void OnFullCollection_UnusedSinceThePreviousOne_ReleasesEveryIdleArray()
    {
        var pool = ManualPool();
        var array = pool.Rent(Chunk);
        pool.Return(array);
        pool.OnFullCollection(); // the fill was still running at this one
        pool.OnFullCollection(); // nothing rented since: the fill is over
        Assert.Equal(0, pool.IdleBytes);
        Assert.NotSame(array, pool.Rent(Chunk));
    }

    [Fact]
    public void ReleaseIdle_RentedJustBefore_StillReleasesEveryIdleArray()
    {
        var pool = ManualPool();
        var array = pool.Rent(Chunk);
        pool.Return(array);

        pool.ReleaseIdle(); // the last fill ended: no waiting for two quiet collections

        Assert.Equal(0, pool.IdleBytes);
        Assert.NotSame(array, pool.Rent(Chunk));
    }

    [Fact]
    public void Pool_RealFullCollections_ReleaseIdleArraysWithoutBeingAsked()
    {
        var pool = new IdleReleasingArrayPool(16 * 1024 * 1024, maxArraysPerBucket: 2);
        pool.Return(pool.Rent(Chunk));
        // Blocking full collections find the pool's callback unreachable and run it: the first clears the "rented"
        // mark, a later one releases. Four leave room for a collection another test's thread triggers in between.
        for (var i = 0; i < 4 && pool.IdleBytes > 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.Equal(0, pool.IdleBytes);
    }
}
