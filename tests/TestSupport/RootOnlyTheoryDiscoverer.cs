using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PluggableSnapshotter.TestSupport;

/// <summary>Discovers <see cref="RootOnlyTheoryAttribute"/> tests: as theories, or as one failing case where root is required but missing.</summary>
public sealed class RootOnlyTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        RootRequirement.FailureReason is { } reason
            ? [new ExecutionErrorTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
