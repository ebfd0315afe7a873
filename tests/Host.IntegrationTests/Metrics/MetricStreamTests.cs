using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using PluggableSnapshotter.Host.Metrics;

namespace PluggableSnapshotter.Host.IntegrationTests.Metrics;

public sealed class MetricStreamTests
{
    [Fact]
    public void StreamOf_AnyInstrument_BoundsItsSeries()
    {
        using var meter = new Meter("pluggable-snapshotter.test.streams");
        var counter = meter.CreateCounter<long>("fuse_operations");
        Assert.Equal(MetricsEndpoint.MaxSeriesPerMetric, MetricsEndpoint.StreamOf(counter).CardinalityLimit);
    }

    [Fact]
    public void StreamOf_PrepareDuration_KeepsItsBucketsAndBound()
    {
        using var meter = new Meter("pluggable-snapshotter.test.streams");
        var histogram = meter.CreateHistogram<double>(MetricNames.PrepareDuration);
        var stream = Assert.IsType<ExplicitBucketHistogramConfiguration>(MetricsEndpoint.StreamOf(histogram));
        Assert.Equal(MetricNames.MillisecondBuckets, stream.Boundaries);
        Assert.Equal(MetricsEndpoint.MaxSeriesPerMetric, stream.CardinalityLimit);
    }
}
