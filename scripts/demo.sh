#!/usr/bin/env bash
# The main job, end to end, on a fresh machine of this kind: install what is missing (libvirt + QEMU), build
# kvmconfig, show this host's topology, check and plan the example declarations against real machine captures,
# then the live part: define three small demo VMs in the local libvirt (idempotently), check, plan, apply and
# verify with status. It can run again: the second apply finds nothing to change.
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

step kvmconfig cluster plan --config-dir examples/cluster --exact --svg artifacts/cluster-plan.svg
"$kvmconfig" cluster plan --config-dir examples/cluster --exact --svg artifacts/cluster-plan.svg

step "kvmconfig check --config-dir examples/seed   # against this host: expected to fail (exit 1)"
set +e
"$kvmconfig" check --config-dir examples/seed
echo "exit code: $?"

step "kvmconfig check --config-dir examples/finance   # against this host: expected to fail (exit 1)"
"$kvmconfig" check --config-dir examples/finance | grep -E '^(error|warning)\[KVC02[01]\]|^check'
echo "exit code: ${PIPESTATUS[0]}"
set -e

# ---- The live part: real domains in the local libvirtd, changed by kvmconfig apply and verified by status.
# The rules allow a host only fewer VMs than physical CPUs, so the declaration holds as many of the three demo VMs
# as this host can take (all three from 4 CPUs up); the others stay defined but undeclared: status lists them as
# unmanaged and apply never touches them.
uri=qemu:///system
cpus=$(nproc)
declared=$(( cpus - 1 < 3 ? cpus - 1 : 3 ))
demo=artifacts/demo.d
rm -rf "$demo" && mkdir -p "$demo" && chmod 0755 "$demo"
cp examples/demo/00-cpu.conf "$demo/"
for file in $(ls examples/demo/[1-9]*.conf | head -n "$declared"); do cp "$file" "$demo/"; done
chmod 0644 "$demo"/*.conf

step "virsh define/start the demo domains (once)"
for xml in examples/demo-domains/*.xml; do
  name=$(basename "$xml" .xml)
  if ! virsh -q -c "$uri" dominfo "$name" >/dev/null 2>&1; then
    virsh -q -c "$uri" define "$xml" >/dev/null && echo "defined $name"
  fi
  if [ "$(virsh -q -c "$uri" domstate "$name")" != running ]; then
    virsh -q -c "$uri" start "$name" >/dev/null && echo "started $name"
  fi
done
virsh -c "$uri" list --all | grep -E 'demo-|Name'
echo "this host has $cpus CPUs: the declaration holds $declared of the 3 demo VMs ($(ls "$demo" | tr '\n' ' '))"

step kvmconfig check --config-dir "$demo"
"$kvmconfig" check --config-dir "$demo"

step kvmconfig plan --config-dir "$demo" --explain
"$kvmconfig" plan --config-dir "$demo" --explain

step kvmconfig apply --config-dir "$demo" --yes
"$kvmconfig" apply --config-dir "$demo" --yes

step kvmconfig status --config-dir "$demo"
"$kvmconfig" status --config-dir "$demo"

step "virsh vcpupin / emulatorpin / schedinfo: what libvirt now says"
for file in "$demo"/[1-9]*.conf; do
  name=$(sed -n 's/^\[vm \(.*\)\]$/\1/p' "$file")
  echo "== $name"
  virsh -c "$uri" vcpupin "$name" --live | sed -n '3,$p' | sed '/^$/d'
  virsh -c "$uri" emulatorpin "$name" --live | sed -n '3,$p' | sed '/^$/d'
  virsh -c "$uri" schedinfo "$name" --live | grep -E 'cpu_shares|global_quota'
done

step "kvmconfig top --once --interval 2s   # CPU ready per vCPU, memory overhead, host contention"
"$kvmconfig" top --once --interval 2s

echo
echo "done: $declared VM(s) applied on $uri; run scripts/demo.sh again and apply finds nothing to change."
echo "kvmconfig rollback --yes undoes the last apply (journal in /var/lib/kvmconfig/journal)."
