using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PluggableSnapshotter.TestSupport;

/// <summary>Discovers <see cref="RootOnlyFactAttribute"/> tests: as facts, or as one failing case where root is required but missing.</summary>
public sealed class RootOnlyFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        RootRequirement.FailureReason is { } reason
            ? [new ExecutionErrorTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}
