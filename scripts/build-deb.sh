#!/usr/bin/env bash
# Builds the Debian packages from the committed tree (git archive HEAD), in a
# temporary directory: dfc_VERSION_all.deb (the command line) and
# postgresql-NN-dfc_VERSION_ARCH.deb (extension and worker, for each major of
# debian/pgversions that is installed), then checks what they contain and that
# the packaged dfc runs. The .deb files are copied to OUT_DIR (default:
# ./target-deb). Installs the build dependencies with apt-get when missing
# (as root, or with sudo).
#   scripts/build-deb.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-$root/target-deb}

need=()
# (dpkg-buildpackage also wants build-essential; git exports the tree)
for p in build-essential debhelper dpkg-dev git libcurl4-openssl-dev postgresql-server-dev-15 openjdk-17-jdk-headless; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
work=$(mktemp -d /tmp/dfc-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/dfc-$version"
mkdir "$src"
git archive HEAD | tar -x -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; echo "build-deb: dpkg-buildpackage failed" >&2; exit 1; }

mkdir -p "$out"
debs=("$work"/*.deb)
cp "${debs[@]}" "$out"/
fail=0
check() {  # DEB PATH: the package holds PATH
    if dpkg-deb -c "$1" | awk '{print $6}' | grep -qx "\.$2"; then echo "  ok: $(basename "$1") has $2"; else echo "  MISSING: $(basename "$1") lacks $2"; fail=1; fi
}
cli="$work/dfc_${version}_all.deb"
check "$cli" /usr/bin/dfc
check "$cli" /usr/share/dfc/dfc.jar
for v in $(cat debian/pgversions); do
    [ -x "/usr/lib/postgresql/$v/bin/pg_config" ] || continue
    ext=$(ls "$work"/postgresql-"$v"-dfc_"$version"_*.deb)
    libdir=$("/usr/lib/postgresql/$v/bin/pg_config" --pkglibdir)
    sharedir=$("/usr/lib/postgresql/$v/bin/pg_config" --sharedir)
    check "$ext" "$libdir/dfc.so"
    check "$ext" "$sharedir/extension/dfc.control"
    check "$ext" "$sharedir/extension/dfc--0.1.sql"
done
# the packaged command runs (unpacked, not installed)
dpkg -x "$cli" "$work/unpacked"
if java -jar "$work/unpacked/usr/share/dfc/dfc.jar" --version | grep -q "$version"; then
    echo "  ok: the packaged dfc --version says $version"
else
    echo "  FAILED: the packaged dfc does not run"; fail=1
fi
((fail == 0)) || { echo "build-deb: the packages are not right" >&2; exit 1; }
echo "build-deb: $(cd "$out" && ls -1 ./*.deb | tr '\n' ' ')in $out"
