using System.CommandLine;
using PluggableSnapshotter.Soci.Cli;
using PluggableSnapshotter.Soci.Cli.Commands;

var root = new RootCommand("psoci: build and inspect SOCI indexes and zTOCs straight against a registry")
{
    CommonOptions.PlainHttp,
    CommonOptions.Insecure,
    CommonOptions.HostsDir,
    CommonOptions.User,
    CommonOptions.DockerConfig,
    CommonOptions.Quiet,
    CommonOptions.Verbose,
};
root.Add(ConvertCommand.Create());
root.Add(CreateCommand.Create());
root.Add(PushCommand.Create());
root.Add(IndexCommands.Create());
root.Add(ZtocCommands.Create());
return await root.Parse(args).InvokeAsync();
