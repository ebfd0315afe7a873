#!/bin/bash
# Builds the sample backend as a third party would, against the packed SDK, and runs the SDK's contract tests on it:
#   1. packs PluggableSnapshotter.Sdk and PluggableSnapshotter.Sdk.Testing into out/nuget (version: Directory.Build.props);
#   2. restores the sample from out/nuget (nuget.config) into a private packages folder, so a repacked SDK of the same
#      version is never served from a stale cache (offline: the machine's NuGet cache is the second source);
#   3. publishes it to out/samples/tarball-directory (a folder of DLLs to name in plugins.yaml) and runs its tests.
# Usage: samples/build.sh [--no-test]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
dotnet pack sdk -c Release -o out/nuget --nologo -v quiet
dotnet pack sdk-testing -c Release -o out/nuget --nologo -v quiet
packages=$(mktemp -d)
trap 'rm -rf "$packages"' EXIT
sources=(--source "$repo/out/nuget" --source "${NUGET_PACKAGES:-$HOME/.nuget/packages}")
dotnet restore samples/TarballDirectory/TarballDirectory.csproj --packages "$packages" "${sources[@]}" -v quiet
dotnet publish samples/TarballDirectory/TarballDirectory.csproj -c Release -o out/samples/tarball-directory --no-restore --packages "$packages" --nologo -v quiet
if [[ "${1:-}" != "--no-test" ]]; then
  dotnet restore samples/TarballDirectory.Tests/TarballDirectory.Tests.csproj --packages "$packages" "${sources[@]}" -v quiet
  dotnet test samples/TarballDirectory.Tests/TarballDirectory.Tests.csproj --no-restore --nologo
fi
echo "published out/samples/tarball-directory"
