#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-ovmfxen.sh WORK: build edk2's Xen platform, OvmfPkg/OvmfXen.dsc,
# from Debian's edk2 source package, and print the path of its OVMF.fd.
#
# Why: a sealed HVM guest must boot with no emulated DMA (its device model
# may not map guest RAM), so its firmware must read the kernel from a Xen
# PV disk. Debian's ovmf package is the OvmfPkgX64 platform, which has no
# Xen PV drivers; OvmfXen has XenIoPciDxe, XenBusDxe and XenPvBlkDxe
# (hcall/README.md, "A sealed HVM guest's firmware route").
#
#   WORK/ovmfxen/VERSION-TARGET/OVMF.fd   the result, cached: a second run
#                                 with the same edk2 version reuses it
#   WORK/ovmfxen/src/             apt-get source edk2 (apt checks its
#                                 hashes against the signed archive index), unpacked with Debian's
#                                 patches; removed after a good build
#
# Installs its build dependencies with apt-get when missing (and says
# which): nasm, acpica-tools (iasl), uuid-dev, python3, python3-distutils,
# build-essential. Needs deb-src entries (host-deps.sh adds them).
# Environment: OVMFXEN_TARGET (RELEASE, the default, or DEBUG: OVMF's
# DebugLib then writes to port 0x402), OVMFXEN_JOBS (default 2).
# Measured here (2 shared cores, TCG host, edk2 2022.11): see hcall/README.md.
set -eu
W=$1
TARGET=${OVMFXEN_TARGET:-RELEASE}
JOBS=${OVMFXEN_JOBS:-2}
die() { echo "build-ovmfxen: $*" >&2; exit 2; }
say() { echo "build-ovmfxen: $*" >&2; }
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

mkdir -p "$W/ovmfxen"
W=$(cd "$W/ovmfxen" && pwd)

# The version apt would fetch: the name of the .dsc it prints.
dsc=$(apt-get source --print-uris edk2 2>/dev/null | awk '$2 ~ /\.dsc$/ {print $2; exit}')
[ -n "$dsc" ] || die "apt knows no source package edk2 (deb-src entries missing? run host-deps.sh)"
VER=${dsc#edk2_}
VER=${VER%.dsc}
OUT=$W/$VER-$TARGET
if [ -s "$OUT/OVMF.fd" ]; then
    say "cached: $OUT/OVMF.fd (edk2 $VER, $TARGET)"
    echo "$OUT/OVMF.fd"
    exit 0
fi

need=
for p in nasm acpica-tools uuid-dev python3 python3-distutils build-essential dpkg-dev; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        need="$need $p"
done
if [ -n "$need" ]; then
    say "installing build dependencies:$need"
    $SUDO apt-get install -y -q $need >&2 || {
        $SUDO apt-get update -q >&2
        $SUDO apt-get install -y -q $need >&2
    }
fi

t0=$(date +%s)
SRC=$W/src
rm -rf "$SRC"
mkdir -p "$SRC"
say "apt-get source edk2 ($VER)"
(cd "$SRC" && apt-get source -q --download-only "edk2=${VER}" >/dev/null 2>&1) ||
    die "apt-get source edk2=$VER failed"
(cd "$SRC" && dpkg-source -q -x "$dsc" edk2 >/dev/null) || die "dpkg-source -x $dsc failed"
E=$SRC/edk2
[ -f "$E/OvmfPkg/OvmfXen.dsc" ] || die "no OvmfPkg/OvmfXen.dsc in edk2 $VER"
# Debian's patch that makes the Shell refuse to run under Secure Boot
# links the Shell with SecureBootVariableLib, which only the Secure Boot
# builds of OvmfPkg map; OvmfXen has no Secure Boot and does not map it
# ("Instance of library class [SecureBootVariableLib] is not found"), so
# that one patch is taken back out for this build.
sbp=$E/debian/patches/Disable-the-Shell-when-SecureBoot-is-enabled.patch
if [ -f "$sbp" ] && grep -q SecureBootVariableLib "$E/ShellPkg/Application/Shell/Shell.inf" &&
    ! grep -q '^ *SecureBootVariableLib|' "$E/OvmfPkg/OvmfXen.dsc"; then
    say "reverting Debian's $(basename "$sbp") (OvmfXen has no Secure Boot)"
    (cd "$E" && patch -s -R -p1 <"$sbp") || die "could not revert $(basename "$sbp")"
fi
t1=$(date +%s)
say "unpacked in $((t1 - t0)) s; building BaseTools"
# edk2's warnings-as-errors trip on newer compilers in a few BaseTools
# files; Debian builds the same way (debian/rules: make -C BaseTools).
make -C "$E/BaseTools" -j"$JOBS" >"$W/basetools.log" 2>&1 ||
    { tail -n 30 "$W/basetools.log" >&2; die "BaseTools failed (log: $W/basetools.log)"; }
t2=$(date +%s)
say "BaseTools in $((t2 - t1)) s; building OvmfPkg/OvmfXen.dsc X64 $TARGET with $JOBS jobs"
# edksetup.sh is bash, and parses the arguments of the shell sourcing it.
(cd "$E" && WORKSPACE="$E" PYTHON_COMMAND=python3 T="$TARGET" N="$JOBS" bash -c \
    '. ./edksetup.sh && build -a X64 -t GCC5 -b "$T" -n "$N" -p OvmfPkg/OvmfXen.dsc') \
    >"$W/build.log" 2>&1 ||
    { tail -n 40 "$W/build.log" >&2; die "edk2 build failed (log: $W/build.log)"; }
t3=$(date +%s)
fd=$(ls "$E"/Build/OvmfXen/"$TARGET"_GCC5/FV/OVMF.fd 2>/dev/null) ||
    die "no OVMF.fd after the build (log: $W/build.log)"
mkdir -p "$OUT"
cp "$fd" "$OUT/OVMF.fd"
cp "$W/build.log" "$OUT/build.log"
printf 'edk2 %s, OvmfPkg/OvmfXen.dsc X64 %s GCC5, -n %s: unpack %d s, BaseTools %d s, OvmfXen %d s, total %d s\n' \
    "$VER" "$TARGET" "$JOBS" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t3 - t0)) |
    tee "$OUT/build-time.txt" >&2
rm -rf "$SRC"
echo "$OUT/OVMF.fd"
