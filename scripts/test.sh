#!/usr/bin/env bash
# Runs every test of the solution and ends with one line "N passed, N failed".
# Usage: scripts/test.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."

# What the tests need (libvirt + QEMU, lscpu and hwloc), installed if missing: quick when everything is there.
scripts/setup.sh || exit $?

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Domains a killed test run left behind (their names start with kvmct-, tests/KvmConfig.TestSupport/LibvirtDaemon.cs)
# would load the CPUs the truth tests measure: remove them first.
if command -v virsh >/dev/null && virsh -c qemu:///system version >/dev/null 2>&1; then
  for domain in $(virsh -c qemu:///system list --all --name | grep '^kvmct-'); do
    echo "removing $domain, left by an earlier test run"
    virsh -c qemu:///system destroy "$domain" >/dev/null 2>&1
    virsh -c qemu:///system undefine "$domain" >/dev/null 2>&1
  done
fi

# Phase 1: every test except the truth and serial ones, test assemblies in parallel.
dotnet test KvmConfig.slnx --nologo --filter "Category!=Truth&Category!=Serial" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Phase 2, alone, after everything else, one test assembly at a time (-m:1); within an assembly each kind is an xunit
# collection without parallelisation:
# - Truth: the CPU-ready truth tests (a spinning guest against a busy loop on one CPU) need that CPU otherwise idle.
# - Serial: the restart tests stop and start the real libvirtd, which every other daemon test needs up.
dotnet test KvmConfig.slnx --nologo --no-build -m:1 --filter "Category=Truth|Category=Serial" "$@" 2>&1 | tee -a "$log"
alone=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && status=$alone

# Each test project prints: "Passed!  - Failed:     0, Passed:   140, Skipped:     0, Total:   140, ..."
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or a test host failed before any test could report
  echo "dotnet test exited with $status before reporting failures (build error?)" >&2
fi
echo "$passed passed, $failed failed"
exit "$status"
