#!/usr/bin/env bash
# Installs (if missing) and starts a real libvirt daemon with the QEMU driver, idempotently, the way
# ../shared/libvirt-on-this-machine.md describes for machines without systemd as PID 1 and without /dev/kvm.
# Safe to run again: it installs nothing present, creates nothing existing and starts nothing running.
# Exit codes: 0 the daemon answers on qemu:///system, 2 it could not be installed or started.
set -euo pipefail

# libxml2-utils: virt-xml-validate (libvirt-clients) runs xmllint and exits 127 without it.
packages=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 libvirt0 libxml2-utils)

"$(dirname "$0")/install-packages.sh" libvirt-up "${packages[@]}"

# The QEMU driver refuses to load without the libvirt-qemu user (see the shared notes).
for g in kvm libvirt-qemu libvirt; do
  getent group "$g" >/dev/null || groupadd --system "$g"
done
getent passwd libvirt-qemu >/dev/null ||
  useradd --system --no-create-home --home-dir /var/lib/libvirt --gid libvirt-qemu --groups kvm --shell /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt /var/lib/libvirt /run/libvirt

# Without udev, a /dev/kvm node keeps the kernel's root-only 0600. libvirt probes QEMU's capabilities as root (KVM
# present) but checks later as libvirt-qemu (KVM unusable), declares its capability cache outdated and probes QEMU
# again on every define: about 50 s each here. Debian's udev rule gives the node to group kvm, mode 0660; do the same.
if [ -c /dev/kvm ]; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

# virtlogd first: without it, starting a domain fails on /run/libvirt/virtlogd-sock.
pgrep -x -r R,S,D,T virtlogd >/dev/null || virtlogd -d
pgrep -x -r R,S,D,T libvirtd >/dev/null || libvirtd -d

# Wait (bounded) until the daemon answers, not just until the process exists.
for _ in $(seq 1 100); do
  if virsh -q -c qemu:///system version >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.1
done
echo "libvirt-up: libvirtd started but qemu:///system does not answer; see /var/log/libvirt/libvirtd.log" >&2
exit 2
