using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>Keeps what was logged, for tests that check a warning is given (and how often).</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Text)> _messages = [];

    public IReadOnlyList<(LogLevel Level, string Text)> Messages
    {
        get
        {
            lock (_messages) return [.. _messages];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_messages) _messages.Add((logLevel, formatter(state, exception)));
    }
}
