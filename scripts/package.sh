#!/usr/bin/env bash
# Builds kvmconfig for a host without .NET, into dist/ (gitignored), idempotently:
#   dist/kvmconfig-VERSION-RID             one self-contained file to copy to any Linux host of that architecture
#   dist/kvmconfig_VERSION_ARCH.deb        the Debian package (docs/install.md says what goes where)
# then runs lintian on the package, which must report no error.
# Usage: scripts/package.sh [--no-lintian] [--no-single-file]
#   --no-lintian       skip lintian (the install test does: it is about what the package does, and lintian takes minutes)
#   --no-single-file   build only the package, not the standalone file
# Installs what it needs (dpkg-dev, lintian, man-db) through scripts/install-packages.sh when missing.
# Exit codes: 0 built (and lintian clean), 1 lintian found errors, 2 could not build.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
run_lintian=yes
single_file=yes
for option in "$@"; do
  case $option in
    --no-lintian) run_lintian=no ;;
    --no-single-file) single_file=no ;;
    *)
      echo "package: unknown option $option (usage: scripts/package.sh [--no-lintian] [--no-single-file])" >&2
      exit 2
      ;;
  esac
done

# dpkg-deb and dpkg-shlibdeps (dpkg-dev), strip (binutils), lintian, and man for checking the generated page.
scripts/install-packages.sh package dpkg-dev binutils lintian man-db gzip

arch=$(dpkg --print-architecture)
case $arch in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *)
    echo "package: no .NET runtime identifier for Debian architecture $arch (amd64 and arm64 are built)" >&2
    exit 2
    ;;
esac

dist=$repo/dist
# The build's own obj/ and bin/ (--artifacts-path), so that a Release publish never touches the Debug build of the
# checkout that a test run may be using at the same time.
artifacts=$dist/build
rm -rf "$dist/root" "$dist/help" "$dist"/kvmconfig_*.deb "$dist"/kvmconfig-*-linux-*
mkdir -p "$dist/help"

# Two publishes of the same self-contained single file: the package's keeps the native libraries of SQLite and
# OR-Tools beside the binary (/usr/lib/kvmconfig), so that nothing is unpacked at run time; the standalone one holds
# them too and unpacks them on first run to $DOTNET_BUNDLE_EXTRACT_BASE_DIR, else ~/.net. libvirt is not among them:
# it is the host's libvirt.so.0, loaded by name (src/KvmConfig.Libvirt/Interop/LibvirtLibrary.cs).
# Each publish has its own artifacts and a fresh output directory: sharing obj/ between the two, an incremental
# publish of the package's binary once came out without the native libraries beside it.
publish() {
  local out=$1 kind=$2
  shift 2
  rm -rf "$out"
  dotnet publish src/KvmConfig.Cli/KvmConfig.Cli.csproj --nologo -v:q -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:DebugType=none \
    --artifacts-path "$artifacts/$kind" -o "$out" "$@" >&2
}
publish "$dist/publish-$rid" package
for native in libe_sqlite3.so libortools.so.9 google-ortools-native.so; do
  [ -f "$dist/publish-$rid/$native" ] || { echo "package: the publish has no $native beside kvmconfig" >&2; exit 2; }
done
[ $single_file = yes ] && publish "$dist/single-$rid" single -p:IncludeNativeLibrariesForSelfExtract=true

binary=$dist/publish-$rid/kvmconfig
version=$("$binary" --version | awk '{ print $2 }')
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "package: kvmconfig --version said '$version'" >&2; exit 2; }
[ $single_file = yes ] && cp "$dist/single-$rid/kvmconfig" "$dist/kvmconfig-$version-$rid"

# Dates and the maintainer come from the commit being packaged, so that two builds of one commit are alike.
if git rev-parse --git-dir >/dev/null 2>&1; then
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
  commit=$(git rev-parse --short=12 HEAD)
  maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>')}
else
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
  commit=unknown
  maintainer=${DEB_MAINTAINER:-kvmconfig maintainers <root@$(hostname -f)>}
fi

root=$dist/root
lib=$root/usr/lib/kvmconfig
doc=$root/usr/share/doc/kvmconfig
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$lib" "$root/usr/share/man/man1" \
  "$root/usr/share/bash-completion/completions" "$root/lib/systemd/system" "$root/etc/kvmconfig.d" \
  "$root/usr/share/kvmconfig/prometheus" "$root/usr/share/kvmconfig/grafana" "$doc" "$root/usr/share/lintian/overrides"

# The binary and its native libraries; /usr/bin/kvmconfig links to it (the .NET host finds the libraries beside the
# file the link resolves to).
install -m 0755 "$binary" "$lib/kvmconfig"
find "$dist/publish-$rid" -maxdepth 1 -name '*.so*' -exec install -m 0644 {} "$lib/" \;
# Their symbol tables and notes, as dh_strip removes them (OR-Tools ships them unstripped: half the package). The
# kvmconfig file is stripped already, and the .NET bundle appended to it must not be touched.
find "$lib" -name '*.so*' -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
ln -s ../lib/kvmconfig/kvmconfig "$root/usr/bin/kvmconfig"

# The man page and the completion, from the help of the binary being packaged.
export HELP_CACHE=$dist/help
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
scripts/package/manpage.sh "$binary" "$version" "$date" | gzip -9n >"$root/usr/share/man/man1/kvmconfig.1.gz"
scripts/package/completion.sh "$binary" "$version" >"$root/usr/share/bash-completion/completions/kvmconfig"
chmod 0644 "$root/usr/share/man/man1/kvmconfig.1.gz" "$root/usr/share/bash-completion/completions/kvmconfig"

# The exporter's unit, with the package's path and without the manual install steps of its header.
sed -e 's|/usr/local/bin/kvmconfig|/usr/bin/kvmconfig|g' \
  -e 's|^# Install: cp .*|# Installed by the kvmconfig package, disabled: systemctl enable --now kvmconfig-exporter|' \
  -e '/^#  *&& systemctl enable/d' \
  deploy/systemd/kvmconfig-exporter.service >"$root/lib/systemd/system/kvmconfig-exporter.service"
chmod 0644 "$root/lib/systemd/system/kvmconfig-exporter.service"

install -m 0644 deploy/kvmconfig.d/00-cpu.conf "$root/etc/kvmconfig.d/00-cpu.conf"
install -m 0644 deploy/prometheus/*.yml "$root/usr/share/kvmconfig/prometheus/"
install -m 0644 deploy/grafana/*.json "$root/usr/share/kvmconfig/grafana/"

# Documentation as Debian policy wants it: copyright as is, the changelog and the rest compressed with gzip -9n.
install -m 0644 deploy/debian/copyright "$doc/copyright"
for page in README.md docs/install.md docs/configuration.md docs/diagnostics.md; do
  gzip -9n <"$page" >"$doc/$(basename "$page").gz"
done
cat <<CHANGELOG | gzip -9n >"$doc/changelog.gz"
kvmconfig ($version) unstable; urgency=medium

  * Built from commit $commit of kvmconfig's repository.

 -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
CHANGELOG
chmod 0644 "$doc"/*.gz
install -m 0644 deploy/debian/lintian-overrides "$root/usr/share/lintian/overrides/kvmconfig"

# Depends: what the ELF files link (dpkg-shlibdeps, with the bundled libraries as their own search path), plus the
# libraries loaded by name at run time: libvirt.so.0 by kvmconfig, libssl.so.3 by .NET for TLS (serve's
# --web-config, qemu+tls). Each named by the package that holds it on this build host, else by Debian 12's name.
package_of() {
  local path
  path=$(ldconfig -p | awk -v soname="$1" '$1 == soname && !found { print $NF; found = 1 }')
  { [ -n "$path" ] && dpkg -S "$path" 2>/dev/null | awk -F: 'NR == 1 { print $1 }' | grep .; } || echo "$2"
}
shlibs=$(mktemp -d)
trap 'rm -rf "$shlibs"' EXIT
mkdir "$shlibs/debian"
printf 'Source: kvmconfig\n\nPackage: kvmconfig\nArchitecture: any\n' >"$shlibs/debian/control"
elves=()
while IFS= read -r f; do elves+=("$f"); done < <(find "$lib" -type f)
linked=$(cd "$shlibs" && dpkg-shlibdeps -O --ignore-missing-info -l"$lib" "${elves[@]}" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
depends="$linked, $(package_of libvirt.so.0 libvirt0), $(package_of libssl.so.3 libssl3)"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
  deploy/debian/control.in >"$root/DEBIAN/control"
echo /etc/kvmconfig.d/00-cpu.conf >"$root/DEBIAN/conffiles"
install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb=$dist/kvmconfig_${version}_$arch.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >&2
if [ $single_file = yes ]; then
  echo "package: $deb and $dist/kvmconfig-$version-$rid" >&2
else
  echo "package: $deb" >&2
fi

if [ $run_lintian = yes ]; then
  # Errors fail the build; warnings and the rest are printed. Overrides: deploy/debian/lintian-overrides.
  lintian --fail-on error --display-info "$deb" || { echo "package: lintian found errors in $deb" >&2; exit 1; }
fi
echo "$deb"
