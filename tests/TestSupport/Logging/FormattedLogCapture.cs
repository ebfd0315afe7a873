using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace PluggableSnapshotter.TestSupport.Logging;

/// <summary>
/// A logger provider that writes every event through one of the daemon's console formatters into a string, as the
/// console would print it: what the daemon's log looks like, without a process.
/// </summary>
public sealed class FormattedLogCapture(ConsoleFormatter formatter, LogLevel minimum = LogLevel.Trace) : ILoggerProvider, ISupportExternalScope
{
    private readonly StringWriter _writer = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public string Text
    {
        get
        {
            lock (_writer) return _writer.ToString();
        }
    }

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(logging => logging.SetMinimumLevel(minimum).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(FormattedLogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => capture._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= capture.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
            lock (capture._writer) capture.Formatter.Write(in entry, capture._scopes, capture._writer);
        }
    }

    private LogLevel Minimum => minimum;

    private ConsoleFormatter Formatter => formatter;
}
