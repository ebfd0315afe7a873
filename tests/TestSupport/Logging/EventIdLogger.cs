using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.TestSupport.Logging;

/// <summary>A logger that keeps only the event ids written to it, in order: which messages a component logged.</summary>
public sealed class EventIdLogger<T> : ILogger<T>
{
    private readonly List<int> _ids = [];

    public IReadOnlyList<int> EventIds
    {
        get
        {
            lock (_ids) return [.. _ids];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_ids) _ids.Add(eventId.Id);
    }
}
