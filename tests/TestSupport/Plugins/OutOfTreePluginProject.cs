namespace PluggableSnapshotter.TestSupport.Plugins;

/// <summary>
/// The project file of a backend plugin written by a test and built outside the solution, as a third party builds one:
/// it references the SDK assembly only (not copied: the host provides it) and the abstractions its signatures use.
/// </summary>
public static class OutOfTreePluginProject
{
    /// <param name="assemblyName">The plugin's assembly name.</param>
    /// <param name="sdkAssembly">The path of PluggableSnapshotter.Sdk.dll to compile against.</param>
    /// <param name="properties">More PropertyGroup lines (e.g. ReadyToRun publishing).</param>
    /// <param name="items">More ItemGroup lines (e.g. the plugin's own package references).</param>
    public static string Text(string assemblyName, string sdkAssembly, string properties = "", string items = "") => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <EnableDynamicLoading>true</EnableDynamicLoading>
            <AssemblyName>{assemblyName}</AssemblyName>
            {properties}
          </PropertyGroup>
          <ItemGroup>
            <Reference Include="PluggableSnapshotter.Sdk" HintPath="{sdkAssembly}" Private="false" />
            <PackageReference Include="Microsoft.Extensions.DependencyInjection.Abstractions" Version="10.0.0" ExcludeAssets="runtime" />
            <PackageReference Include="Microsoft.Extensions.Configuration.Abstractions" Version="10.0.0" ExcludeAssets="runtime" />
            {items}
          </ItemGroup>
        </Project>
        """;
}
