using System.Net;

namespace PluggableSnapshotter.Registry;

/// <summary>A registry answered with an error, or could not be reached after the retries.</summary>
public class RegistryException : Exception
{
    public RegistryException(string message, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base(message, inner) => StatusCode = statusCode;

    /// <summary>The HTTP status of the last answer, when there was one.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True when the registry said the content does not exist (404).</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
}
