using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci.Cli.Output;

namespace PluggableSnapshotter.Soci.Cli;

/// <summary>What one command invocation works with: a registry client set up from the options, and the outputs.</summary>
internal sealed class CliEnvironment : IDisposable
{
    private readonly ILoggerFactory _loggers;

    private CliEnvironment(ParseResult parse, IReadOnlyList<ImageReference> references)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        _loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(level => level >= (verbose ? LogLevel.Information : LogLevel.Warning)));
        Reporter = new Reporter(Console.Error, parse.GetValue(CommonOptions.Quiet));
        if (parse.GetValue(CommonOptions.PlainHttp) && parse.GetValue(CommonOptions.Insecure))
        {
            throw new CliException("--plain-http and --insecure exclude each other: plain HTTP has no certificate to skip");
        }
        var named = references.Select(r => r.Registry).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var empty = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Client = new RegistryClient(
            new RegistryClientOptions
            {
                InsecureHosts = parse.GetValue(CommonOptions.PlainHttp) ? named : empty,
                SkipVerifyHosts = parse.GetValue(CommonOptions.Insecure) ? named : empty,
                HostsDirectory = HostsDirectory(parse),
            },
            Credentials(parse, references),
            _loggers.CreateLogger<RegistryClient>());
        Catalog = new ImageCatalog(Client);
    }

    public RegistryClient Client { get; }

    /// <summary>Image resolution over <see cref="Client"/>.</summary>
    public ImageCatalog Catalog { get; }
    public Reporter Reporter { get; }
    [SuppressMessage("Performance", "CA1822", Justification = "commands write where their environment says, whatever it is later")]
    public TextWriter Out => Console.Out;

    public static CliEnvironment Create(ParseResult parse, params ImageReference[] references) => new(parse, references);

    public void Dispose()
    {
        Client.Dispose();
        _loggers.Dispose();
    }

    private static string? HostsDirectory(ParseResult parse)
    {
        if (parse.GetValue(CommonOptions.HostsDir) is { } dir)
        {
            return Directory.Exists(dir) ? Path.GetFullPath(dir) : throw new CliException($"--hosts-dir {dir}: no such directory");
        }
        return Directory.Exists(CommonOptions.DefaultHostsDir) ? CommonOptions.DefaultHostsDir : null;
    }

    private static ICredentialProvider Credentials(ParseResult parse, IReadOnlyList<ImageReference> references)
    {
        if (parse.GetValue(CommonOptions.User) is not { } user)
        {
            return new DockerConfigCredentialProvider(parse.GetValue(CommonOptions.DockerConfig) ?? DockerConfigCredentialProvider.DefaultPath);
        }
        int colon = user.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? user : user[..colon];
        string password = colon >= 0 ? user[(colon + 1)..]
            : Environment.GetEnvironmentVariable("PSOCI_PASSWORD")
              ?? throw new CliException("--user has no password: give USER:PASSWORD or set $PSOCI_PASSWORD");
        var credentials = new RegistryCredentials { Username = name, Password = password };
        var byHost = new Dictionary<string, RegistryCredentials>(StringComparer.OrdinalIgnoreCase);
        foreach (ImageReference r in references)
        {
            byHost[r.Registry] = credentials;
            byHost[r.ApiHost] = credentials;
        }
        return new StaticCredentialProvider(byHost);
    }
}
