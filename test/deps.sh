#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages that building and testing SCCrypt need, when
# run as root on Debian; elsewhere names what is missing and stops.
# Usage: deps.sh [xen]   (xen: also what `make check-xen` needs)
set -eu

pkgs="gcc libc6-dev make pkg-config libssl-dev libxen-dev scdoc bats valgrind tmux clang libclang-rt-14-dev
      qemu-system-x86
      openssh-server openssh-client sudo strace procps psmisc util-linux
      dpkg-dev debhelper man-db"
if [ "${1:-}" = xen ]; then
    pkgs="$pkgs qemu-system-x86 busybox-static cpio flex bison python3 bc
          ca-certificates xz-utils"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
    echo "deps: installed:$missing" >&2
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: install them (as root: apt-get install$missing) and run make again" >&2
    exit 1
fi
