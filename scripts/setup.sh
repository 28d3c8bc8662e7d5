#!/usr/bin/env bash
# Installs what kvmconfig and its tests need, idempotently: the .NET 10 SDK (present on these machines),
# libvirt + QEMU from Debian (scripts/libvirt-up.sh; libvirt-clients brings virt-xml-validate), and the
# reference topology tools the reader is compared with (lscpu from util-linux, hwloc's lstopo-no-graphics),
# headless Chromium for the HTML report's layout test, iproute2's tc for the shaping tests, and ansible-core and
# ansible-lint for the Ansible role's test.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 2
fi

major=$(dotnet --version | cut -d. -f1)
if [ "$major" -lt 10 ]; then
  echo "setup: .NET SDK 10 or later is required, found $(dotnet --version)" >&2
  exit 2
fi

# lscpu and lstopo-no-graphics: tests compare 'kvmconfig topology --format parse' with them on every sysfs tree.
# chromium: the report test renders the HTML page headless and measures its layout.
# iproute2: the shaping tests ask tc, in a scratch network namespace, which qdiscs the kernel has.
"$(dirname "$0")/install-packages.sh" setup util-linux hwloc-nox chromium iproute2

# ansible-core and ansible-lint: the Ansible role test lints deploy/ansible and runs it against localhost; the role's
# apt module needs python3-apt on the host it installs on (here, localhost).
"$(dirname "$0")/install-packages.sh" setup ansible-core ansible-lint python3-apt

# A real libvirt daemon with the QEMU driver: the binding, apply, status and rollback tests run against it.
"$(dirname "$0")/libvirt-up.sh"
