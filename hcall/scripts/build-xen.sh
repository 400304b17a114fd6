#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-xen.sh WORK BUILD PATCHDIR [flask]: copy the unpacked Debian Xen
# source (WORK/xen-src, from fetch.sh; never modified) to BUILD/xen-build,
# apply the patches named in PATCHDIR/series in order, and build the
# hypervisor (defconfig) and xenconsoled.
# With "flask" the hypervisor is built with CONFIG_XSM_FLASK=y (and, when
# checkpolicy is installed, the built-in FLASK policy) and xenconsoled is
# not built: a compile check of the patch's FLASK hook and policy.
# Result: BUILD/xen-build/xen/xen, the ELF image QEMU's -kernel boots, and
# BUILD/xen-build/xenconsoled.
# Rebuilds only when the source version or a patch changed.
# PATCHDIR may be empty (no series): builds the stock hypervisor.
set -eu
SRC=$1/xen-src
VER=$1/xen-src.version
W=$2
P=$3
FLAVOUR=${4:-default}
die() { echo "build-xen: $*" >&2; exit 2; }
[ -d "$SRC/xen" ] || die "$SRC: no Xen source (run fetch.sh)"
mkdir -p "$W"
series=
[ -f "$P/series" ] && series=$(grep -v '^#' "$P/series" | grep .) || true
stamp=$( (cat "$VER"; for s in $series; do cat "$P/$s"; done;
    cat "$0"; echo "$FLAVOUR") | sha256sum | cut -d' ' -f1)
if [ -f "$W/xen-build/xen/xen" ] && [ "$(cat "$W/xen-build/.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "build-xen: up to date" >&2
    exit 0
fi
rm -rf "$W/xen-build"
mkdir -p "$W/xen-build"
cp -a "$SRC/." "$W/xen-build/"
for s in $series; do
    echo "build-xen: applying $s" >&2
    patch -d "$W/xen-build" -p1 --batch --forward --quiet < "$P/$s" ||
        die "$s does not apply to xen $(cat "$VER")"
done
J=$(nproc 2>/dev/null || echo 2)
log=$W/xen-build.log
echo "build-xen: make -C xen -j$J (log: $log)" >&2
config() {
    make -C "$W/xen-build/xen" defconfig || return 1
    [ "$FLAVOUR" = flask ] || return 0
    sed -i 's/^# CONFIG_XSM is not set$/CONFIG_XSM=y/' "$W/xen-build/xen/.config"
    make -C "$W/xen-build/xen" olddefconfig
}
if ! { config && make -C "$W/xen-build/xen" -j"$J" PYTHON=/usr/bin/python3; } > "$log" 2>&1; then
    grep -E -B2 -A8 'error|Error' "$log" | head -60 >&2
    die "hypervisor build failed (log: $log)"
fi
if grep -E 'warning:' "$log" >&2; then
    echo "build-xen: warnings above" >&2
fi
if [ "$FLAVOUR" = flask ]; then
    echo "$stamp" > "$W/xen-build/.stamp"
    ls -la "$W/xen-build/xen/xen" >&2
    exit 0
fi
# xenconsoled from the same (patched) tree: the series changes it so that it
# lets go of consoles the hypervisor takes over. Built against libxen-dev.
T=$W/xen-build/tools/console/daemon
if ! gcc -O2 -Wall -Werror -D__XEN_TOOLS__ -DXEN_RUN_DIR='"/var/run/xen"' \
        -DXEN_LOG_DIR='"/var/log/xen"' -DXEN_LIB_DIR='"/var/lib/xen"' \
        -I"$W/xen-build/tools/include" -o "$W/xen-build/xenconsoled" \
        "$T/main.c" "$T/io.c" "$T/utils.c" -lxenctrl -lxenstore -lxenevtchn \
        -lxengnttab -lxenforeignmemory -lutil -lrt >> "$log" 2>&1; then
    tail -20 "$log" >&2
    die "xenconsoled build failed (log: $log)"
fi
echo "$stamp" > "$W/xen-build/.stamp"
ls -la "$W/xen-build/xen/xen" >&2
