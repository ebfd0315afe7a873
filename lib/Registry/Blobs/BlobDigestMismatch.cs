namespace PluggableSnapshotter.Registry.Blobs;

/// <summary>
/// Marks the <see cref="InvalidDataException"/> of a whole blob whose bytes hash to another digest than its own: some byte
/// is wrong (the registry's, or one kept on disk), so what was fetched of it cannot be trusted. Other invalid-data errors
/// of a download (a short body, a Content-Range that does not fit) say nothing about the bytes already fetched.
/// (<see cref="InvalidDataException"/> is sealed: the mark is in its <see cref="Exception.Data"/>.)
/// </summary>
public static class BlobDigestMismatch
{
    private const string Key = "PluggableSnapshotter.BlobDigestMismatch";

    /// <summary>The error to throw for a blob that does not match its digest.</summary>
    public static InvalidDataException Create(string message)
    {
        var error = new InvalidDataException(message);
        error.Data[Key] = true;
        return error;
    }

    /// <summary>Whether <paramref name="error"/> is a digest mismatch or was caused by one (an unpacker may wrap its reader's error).</summary>
    public static bool IsCause(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is InvalidDataException && error.Data.Contains(Key)) return true;
            if (error is AggregateException aggregate) return aggregate.InnerExceptions.Any(IsCause);
        }
        return false;
    }
}
