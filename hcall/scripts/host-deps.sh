#!/bin/sh
# SPDX-License-Identifier: MIT
#
# host-deps.sh: install what check-xen needs on a Debian 12 host and make
# sure deb-src entries exist for bookworm and bookworm-security, so that
# `apt-get source xen` fetches the signed source with its security fixes.
# Idempotent; needs root (or sudo).
set -eu

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

PKGS="qemu-system-x86 busybox-static cpio libxen-dev gcc libc6-dev make flex
bison python3 dpkg-dev xz-utils openssh-client openssh-server ca-certificates
patch pkg-config libssl-dev checkpolicy mtools dosfstools"

need=
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        need="$need $p"
done

# deb-src: mirror what the deb entries say, for the bookworm suites only.
src_ok() {
    grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ || return 1
}
updated=0
if ! src_ok; then
    echo "host-deps: adding deb-src entries" >&2
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        # deb822: duplicate every stanza as deb-src.
        sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
            $SUDO tee /etc/apt/sources.list.d/sccrypt-deb-src.sources >/dev/null
    elif [ -f /etc/apt/sources.list ]; then
        grep -E '^deb[[:space:]]' /etc/apt/sources.list | sed 's/^deb/deb-src/' |
            $SUDO tee /etc/apt/sources.list.d/sccrypt-deb-src.list >/dev/null
    else
        echo "host-deps: no apt sources found to derive deb-src from" >&2
        exit 2
    fi
    $SUDO apt-get update -q
    updated=1
fi

if [ -n "$need" ]; then
    echo "host-deps: installing$need" >&2
    [ $updated = 1 ] || $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
        --no-install-recommends $need
fi
