#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages a make target needs, when run as root on
# Debian, and says which; elsewhere names what is missing and stops.
# Usage: deps.sh [demo|test|xen]    (default: test)
#        deps.sh --list demo|test|xen
#   demo  what `make demo` needs: a C compiler and OpenSSL to build the
#         tools, nothing of the test toolchain (no sshd, no sudo, no tmux)
#   test  what `make check` needs: the demo's, and the test toolchain
#         (QEMU included: the UART differential runs in make check)
#   xen   what `make check-xen` needs: the test's, and Xen's build and images
set -eu

list=""
if [ "${1:-}" = --list ]; then
    list=1
    shift
fi
set_name=${1:-test}

demo_pkgs="gcc libc6-dev make pkg-config libssl-dev"
test_pkgs="$demo_pkgs libxen-dev scdoc bats valgrind tmux clang libclang-rt-14-dev
           qemu-system-x86
           openssh-server openssh-client sudo strace procps psmisc util-linux
           dpkg-dev debhelper man-db"
xen_pkgs="$test_pkgs busybox-static cpio flex bison python3 bc
          ca-certificates xz-utils"
case $set_name in
demo) pkgs=$demo_pkgs ;;
test) pkgs=$test_pkgs ;;
xen) pkgs=$xen_pkgs ;;
*) echo "usage: deps.sh [--list] [demo|test|xen]" >&2; exit 2 ;;
esac

if [ -n "$list" ]; then
    # shellcheck disable=SC2086  # one package a line
    printf '%s\n' $pkgs
    exit 0
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: make $set_name needs these Debian packages, installing them:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
    echo "deps: installed:$missing" >&2
else
    echo "deps: make $set_name needs these missing packages:$missing" >&2
    echo "deps: install them (as root: apt-get install$missing) and run make again" >&2
    exit 1
fi
