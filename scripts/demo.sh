#!/usr/bin/env bash
# The main job, end to end, on a fresh machine of this kind: build kvmconfig, show this host's topology, then
# check both example declarations against the real machine captures shipped in tests/data (and, to show the
# rules at work, the seed against this host, which is too small for it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
dotnet build src/KvmConfig.Cli -c Release --nologo -v quiet -o artifacts/kvmconfig >/dev/null
kvmconfig=artifacts/kvmconfig/kvmconfig

# Git does not keep group/other write bits consistently across umasks; check refuses unsafe files (StrictModes).
chmod -R go-w examples

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step kvmconfig topology
"$kvmconfig" topology

step kvmconfig check --config-dir examples/seed --sysroot tests/data/sysfs/desktop-1s-20cpu --verbose
"$kvmconfig" check --config-dir examples/seed --sysroot tests/data/sysfs/desktop-1s-20cpu --verbose

step kvmconfig check --config-dir examples/finance --sysroot tests/data/sysfs/xeon-2s-4numa-snc-80cpu
"$kvmconfig" check --config-dir examples/finance --sysroot tests/data/sysfs/xeon-2s-4numa-snc-80cpu

step kvmconfig plan --config-dir examples/finance --sysroot tests/data/sysfs/xeon-2s-4numa-snc-80cpu --explain --svg artifacts/finance-plan.svg
"$kvmconfig" plan --config-dir examples/finance --sysroot tests/data/sysfs/xeon-2s-4numa-snc-80cpu --explain --svg artifacts/finance-plan.svg

step "kvmconfig check --config-dir examples/seed   # against this host: expected to fail (exit 1)"
set +e
"$kvmconfig" check --config-dir examples/seed
echo "exit code: $?"

step "kvmconfig check --config-dir examples/finance   # against this host: expected to fail (exit 1)"
"$kvmconfig" check --config-dir examples/finance | grep -E '^(error|warning)\[KVC02[01]\]|^check'
echo "exit code: ${PIPESTATUS[0]}"
