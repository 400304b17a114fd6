#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fetch.sh WORK: fetch what check-xen needs into the cache folder WORK.
#   WORK/xen-src/          Debian's Xen source (apt-get source: apt checks
#                          the signed .dsc), unpacked with Debian's patches
#   WORK/xen-src.version   the Debian version used
#   WORK/debs/, WORK/stage/  Debian binary packages, downloaded and unpacked
#                          (never installed): Xen 4.17 tools and libraries,
#                          the linux-image-6.1 kernel for dom0 and guests
# The newest source version apt knows is tried first; when a mirror does
# not serve it, older ones follow (the 4.17.x hypervisors all work with
# the 4.17 tools). Cached downloads are reused.
set -eu
W=$1
mkdir -p "$W/debs"
die() { echo "fetch: $*" >&2; exit 2; }

if [ ! -f "$W/xen-src.version" ] || [ ! -d "$W/xen-src/xen" ]; then
    rm -rf "$W/xen-src" "$W/xen-src.version" "$W/srcdl"
    mkdir -p "$W/srcdl"
    versions=$(apt-cache showsrc xen 2>/dev/null | awk '/^Version:/{print $2}' | sort -u -r -V)
    [ -n "$versions" ] || die "apt knows no source package xen (deb-src entries missing? run host-deps.sh)"
    got=
    for v in $versions; do
        case $v in 4.17.*) ;; *) continue ;; esac
        echo "fetch: apt-get source xen=$v" >&2
        if (cd "$W/srcdl" && apt-get source -q --download-only "xen=$v" >/dev/null 2>&1); then
            got=$v
            break
        fi
        echo "fetch: xen $v: not served by this mirror, trying an older one" >&2
        rm -f "$W/srcdl"/*
    done
    [ -n "$got" ] || die "could not fetch any xen 4.17 source package"
    (cd "$W/srcdl" && dpkg-source -q -x ./xen_*.dsc "$W/xen-src") >/dev/null 2>&1 ||
        die "dpkg-source -x failed"
    echo "$got" > "$W/xen-src.version"
fi
echo "fetch: xen source $(cat "$W/xen-src.version")" >&2

KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/{print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 to a kernel package"
PKGS="xen-utils-4.17 xenstore-utils libxenmisc4.17 libxenstore4 libxenevtchn1
libxengnttab1 libxenforeignmemory1 libxencall1 libxendevicemodel1
libxentoolcore1 libxentoollog1 libxenhypfs1 qemu-system-xen $KPKG"
need=
for p in $PKGS; do
    ls "$W/debs/${p}_"*.deb >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
    echo "fetch: apt-get download$need" >&2
    (cd "$W/debs" && apt-get download -q $need >/dev/null 2>&1) ||
        (cd "$W/debs" && apt-get download $need) || die "apt-get download failed"
fi
if [ ! -f "$W/stage/.done" ] || [ "$(cat "$W/stage/.done")" != "$(ls "$W/debs")" ]; then
    rm -rf "$W/stage"
    mkdir -p "$W/stage"
    for d in "$W/debs"/*.deb; do
        dpkg-deb -x "$d" "$W/stage"
    done
    ls "$W/debs" > "$W/stage/.done"
fi
echo "fetch: kernel $KPKG, tools $(ls "$W/debs" | sed -n 's/^xen-utils-4.17_\(.*\)_amd64.deb/\1/p')" >&2
