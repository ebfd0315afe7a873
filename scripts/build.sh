#!/usr/bin/env bash
# Builds the daemon into out/host and every plugin into out/plugins/<name>, as plugins.yaml expects them, and packs the
# SDK and its contract test kit into out/nuget.
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=${CONFIGURATION:-Release}
dotnet publish host/PluggableSnapshotter.Host.csproj -c "$configuration" -o out/host --nologo -v quiet
for project in plugins/*/*.csproj; do
  [ -e "$project" ] || continue
  name=$(basename "$(dirname "$project")")
  dotnet publish "$project" -c "$configuration" -o "out/plugins/$name" --nologo -v quiet
done
for project in cli/*/*.csproj; do
  [ -e "$project" ] || continue
  dotnet publish "$project" -c "$configuration" -o out/cli --nologo -v quiet
done
# The packages a backend outside this repository builds against (docs/writing-a-backend.md).
dotnet pack sdk -c "$configuration" -o out/nuget --nologo -v quiet
dotnet pack sdk-testing -c "$configuration" -o out/nuget --nologo -v quiet
echo "built: out/host/pluggable-snapshotter, plugins: $(ls out/plugins 2>/dev/null | tr '\n' ' ')"
