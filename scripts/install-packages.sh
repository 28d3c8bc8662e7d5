#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet, idempotently.
# Usage: scripts/install-packages.sh WHO PACKAGE...   (WHO prefixes the messages: "setup", "libvirt-up")
# Exit codes: 0 all installed, 2 some missing and not root to install them.
set -euo pipefail
who=$1
shift

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: missing packages ${missing[*]} and not root to install them" >&2
  exit 2
fi
echo "$who: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
