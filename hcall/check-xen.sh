#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-xen.sh [smoke|full|hvmseal|bench|ovmf|hvmsealed]: the real-hypervisor
# test tier, from nothing. (hvmseal: the HVM seal's attacks alone,
# test/xen/hvmseal.py; bench: the patched build and image of full, then
# figures, no checks; ovmf and hvmsealed: the same build and OvmfXen
# (scripts/build-ovmfxen.sh), then an HVM guest booted by OVMF from a PV
# disk with QEMU's mapcache traced: ovmf unbound beside the direct-boot
# control, hvmsealed unbound and then bound at the level "memory sealed",
# test/xen/ovmf.py.)
# Installs the Debian packages it needs (with deb-src entries), fetches
# Debian's Xen 4.17 source and binary packages into a cache folder,
# applies hcall/patches, builds the hypervisor, builds the dom0 and guest
# images and runs test/xen/check_xen.py under QEMU.
#
# Environment:
#   SCCRYPT_XEN_WORK  cache and work folder (default ~/.cache/sccrypt-xen)
#   SCCRYPT_XEN_SKIP_DEPS=1  do not run apt (packages already there)
#   OVMFXEN_TARGET=DEBUG  ovmf and hvmsealed modes: OvmfXen's DEBUG build
#                     (its log to port 0x402 if a device answers there);
#                     RELEASE by default
#   SCCRYPT_XEN_FLASK=0  skip the FLASK compile check. By default full mode
#                     also builds the patched hypervisor a second time with
#                     CONFIG_XSM_FLASK=y and the built-in FLASK policy
#                     (checkpolicy), in WORK/build-flask, and checks that the
#                     sccrypt_op FLASK hook is in it: a compile check only
#                     (about 65 s when the patch changed, cached otherwise);
#                     the test boots the default (dummy XSM) build.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
MODE=${1:-full}
case $MODE in
smoke|full|hvmseal|bench|ovmf|hvmsealed) ;;
*) echo "check-xen: mode $MODE: smoke, full, hvmseal, bench, ovmf or hvmsealed" >&2; exit 2 ;;
esac
# bench boots the same patched hypervisor and image as full.
PATCHED=yes
[ "$MODE" = smoke ] && PATCHED=no
W=${SCCRYPT_XEN_WORK:-${HOME:-/root}/.cache/sccrypt-xen}
mkdir -p "$W"
W=$(cd "$W" && pwd)
t0=$(date +%s)
step() { echo "check-xen: [$(( $(date +%s) - t0 ))s] $*" >&2; }

if [ "${SCCRYPT_XEN_SKIP_DEPS:-0}" != 1 ]; then
    step "host packages"
    "$HERE/scripts/host-deps.sh"
fi
step "fetch (cache: $W)"
"$HERE/scripts/fetch.sh" "$W"

if [ "$MODE" = smoke ]; then
    PATCHES=$W/no-patches
    mkdir -p "$PATCHES"
    BUILD=$W/build-stock
else
    BUILD=$W/build
    PATCHES=$W/patches
    step "generate the patch series from hcall/ and src/core"
    rm -rf "$PATCHES"
    "$HERE/scripts/gen-patch.sh" "$PATCHES"
fi
step "build the hypervisor"
"$HERE/scripts/build-xen.sh" "$W" "$BUILD" "$PATCHES"
if [ "$MODE" = full ]; then
    step "the seal's allowlist is the one in xsm/sccrypt_seal.h"
    "$HERE/scripts/check-seal.sh" "$BUILD/xen-build"
fi
if [ "$MODE" = full ] && [ "${SCCRYPT_XEN_FLASK:-1}" = 1 ]; then
    step "build the hypervisor with FLASK (compile check)"
    "$HERE/scripts/build-xen.sh" "$W" "$W/build-flask" "$PATCHES" flask
    syms=$W/build-flask/xen-build/xen/xen-syms
    grep -q '^CONFIG_XSM_FLASK=y' "$W/build-flask/xen-build/xen/.config" &&
        nm "$syms" | grep -q ' flask_sccrypt_op$' || {
        echo "check-xen: the FLASK build has no flask_sccrypt_op" >&2
        exit 1
    }
    if grep -q '^CONFIG_XSM_FLASK_POLICY=y' "$W/build-flask/xen-build/xen/.config"; then
        step "FLASK build ok (hook flask_sccrypt_op, built-in policy with sccrypt_op)"
    else
        step "FLASK build ok (hook flask_sccrypt_op; no checkpolicy: no built-in policy)"
    fi
fi

IMG=$W/img-$MODE
mkdir -p "$IMG"
cp "$BUILD/xen-build/xen/xen" "$IMG/xen"
EXTRA=
BINARGS=
if [ "$PATCHED" = yes ]; then
    step "build the project's tools"
    make -C "$REPO" XEN_LIBS="$(pkg-config --libs xencall xenevtchn xenstore)" \
        bin/sc-relay bin/sc-enc bin/sc-dec bin/sc-keygen >/dev/null
    make -C "$HERE" dom0-tools >/dev/null
    EXTRA="$REPO/bin/sc-relay $HERE/work/sc-xen-peek $HERE/work/sc-xen-attack"
    BINARGS="--bin $REPO/bin"
    export SC_XENCONSOLED="$BUILD/xen-build/xenconsoled"
    export SC_GUEST_IO="$HERE/work/sc-guest-io"
fi
case $MODE in
ovmf|hvmsealed|bench)
    step "OvmfXen (edk2's Xen platform: XenBusDxe, XenPvBlkDxe)"
    SC_OVMF=$("$HERE/scripts/build-ovmfxen.sh" "$W")
    export SC_OVMF
    ;;
esac
step "build the dom0 and guest images"
"$HERE/scripts/mk-images.sh" "$W/stage" "$IMG" $EXTRA

OUT=$W/run-$MODE
rm -rf "$OUT"
mkdir -p "$OUT"
step "boot Xen under QEMU and run the $MODE test (logs: $OUT)"
set +e
timeout -k 10 2400 python3 "$REPO/test/xen/check_xen.py" --mode "$MODE" \
    --img "$IMG" --out "$OUT" $BINARGS
rc=$?
set -e
step "done, exit $rc (xen source $(cat "$W/xen-src.version"))"
[ $rc = 124 ] && echo "check-xen: the test driver timed out (40 min)" >&2
exit $rc
