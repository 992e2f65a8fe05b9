#!/usr/bin/env bash
# Runs every test project in the solution and ends with the totals on a line of their own: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

# One test project at a time: the cluster and end-to-end tests start many members (processes, failure detectors),
# and running them side by side on a 2-core machine starves their timing.
status=0
dotnet build ActorSync.sln -c Release --nologo -v quiet || status=$?
if [ "$status" -eq 0 ]; then
  for project in tests/*/*.Tests.csproj; do
    dotnet test "$project" -c Release --no-build --logger trx --results-directory "$results" "$@" || status=$?
  done
fi

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
