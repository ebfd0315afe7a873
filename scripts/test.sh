#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine as root: installs what it needs, builds, runs every xunit
# project and containerd's snapshotter conformance suite (direct and through containerd), and prints one closing
# line "N passed, N failed, N skipped". Exits non-zero when anything failed.
#
# Usage: scripts/test.sh [--skip-install] [--filter EXPR]   (EXPR: a dotnet test --filter for the xunit projects)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

skip_install=0
filter=()
while (($#)); do
  case "$1" in
    --skip-install) skip_install=1; shift ;;
    --filter) filter=(--filter "$2"); shift 2 ;;
    *) echo "test: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "test: run as root (mounts, FUSE, containerd)" >&2; exit 1; }

set -e
((skip_install)) || scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Root-only tests ([RootOnlyFact], tests/TestSupport) fail instead of skipping when they cannot run (CI=0 to skip).
export CI=${CI:-1}
scripts/build.sh
dotnet build PluggableSnapshotter.sln -c Debug --nologo -v quiet
set +e

passed=0 failed=0 skipped=0 status=0
logs=$repo/out/test-logs
mkdir -p "$logs"

# Each xunit project on its own, so one crash does not hide the others' results.
for project in tests/*/*.csproj; do
  grep -q '<IsTestProject>true</IsTestProject>' "$project" || continue
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Debug --no-build --nologo "${filter[@]}" 2>&1 | tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '(Passed|Failed)! +- Failed: ' "$logs/$name.log" | tail -1)
  if [[ -z $summary ]]; then
    echo "test: $name produced no summary (exit $rc)"; failed=$((failed + 1)); status=1; continue
  fi
  f=$(grep -oP 'Failed: +\K[0-9]+' <<<"$summary"); p=$(grep -oP 'Passed: +\K[0-9]+' <<<"$summary"); s=$(grep -oP 'Skipped: +\K[0-9]+' <<<"$summary")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  ((rc == 0)) || status=1
done

echo "== containerd snapshotter conformance (direct and through containerd)"
tests/conformance/run.sh -v 2>&1 | tee "$logs/conformance.log"
rc=${PIPESTATUS[0]}
p=$(grep -c -- '--- PASS:' "$logs/conformance.log"); f=$(grep -c -- '--- FAIL:' "$logs/conformance.log"); s=$(grep -c -- '--- SKIP:' "$logs/conformance.log")
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
if ((rc != 0)); then
  status=1
  ((f > 0)) || failed=$((failed + 1))
fi

# CI shows only the tail of this output: name what failed right above the closing line.
if ((status != 0)); then
  echo
  echo "Failed:"
  grep -hE '^ +Failed [A-Za-z_.]' "$logs"/*.log | sed 's/ \[.*//' | sort -u
  grep -h -- '--- FAIL:' "$logs/conformance.log"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
