#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mk-images.sh STAGE OUT [EXTRA_BIN...]: build the dom0 and guest initramfs
# images for check-xen.
#   STAGE   Debian packages unpacked with dpkg-deb -x (Xen tools, kernel)
#   OUT     output folder: vmlinuz, dom0.cpio.gz, guest.cpio.gz, ssh keys,
#           guest-password (host side only, never in dom0's image)
#   EXTRA_BIN  programs to install in dom0's /usr/local/bin (sc-relay, ...)
# The guest password is random per image build; its SHA-256 only goes into
# the guest image.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
STAGE=$1
OUT=$2
shift 2

die() { echo "mk-images: $*" >&2; exit 2; }
[ -d "$STAGE/usr/lib/xen-4.17/bin" ] || die "$STAGE: no unpacked xen-utils-4.17"
KVER=$(ls "$STAGE/lib/modules" | head -n1)
[ -n "$KVER" ] || die "$STAGE: no unpacked linux-image"
BUSYBOX=$(command -v busybox) || die "busybox not found (install busybox-static)"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (install busybox-static)"

mkdir -p "$OUT"
cp "$STAGE/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# --- ssh keys (made once, kept in OUT/ssh) -------------------------------
mkdir -p "$OUT/ssh"
chmod 700 "$OUT/ssh"
[ -f "$OUT/ssh/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C sccrypt-check-xen -f "$OUT/ssh/id_ed25519"
[ -f "$OUT/ssh/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C dom0 -f "$OUT/ssh/ssh_host_ed25519_key"

# --- helpers ---------------------------------------------------------------
# copy_bin ROOT FILE DEST: copy FILE to ROOT/DEST with the shared libraries
# it needs (looked up in the stage first, then the host).
LIBPATH="$STAGE/usr/lib/x86_64-linux-gnu:$STAGE/usr/lib/xen-4.17/lib"
copy_libs() {
    root=$1; f=$2
    LD_LIBRARY_PATH=$LIBPATH ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib64/{print $1}' |
    while read -r lib; do
        case $lib in
        "$STAGE"/*) dst=${lib#"$STAGE"} ;;
        *) dst=$lib ;;
        esac
        [ -e "$root$dst" ] && continue
        mkdir -p "$root$(dirname "$dst")"
        cp -L "$lib" "$root$dst"
    done
}
copy_bin() {
    root=$1; f=$2; dst=$3
    mkdir -p "$root$(dirname "$dst")"
    cp -L "$f" "$root$dst"
    copy_libs "$root" "$f"
}
busybox_root() {
    root=$1
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
        "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" \
        "$root/etc" "$root/root" "$root/var"
    cp "$BUSYBOX" "$root/bin/busybox"
    for a in $("$BUSYBOX" --list); do
        [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
    done
}
pack() {
    # As root the tree's owners are kept (op owns its home, as sshd
    # demands); otherwise everything becomes root's.
    own=; [ "$(id -u)" = 0 ] || own="-R 0:0"
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet $own) | gzip -1 > "$2.tmp"
    mv "$2.tmp" "$2"
}

# --- guest ------------------------------------------------------------------
G=$OUT/guest-root
rm -rf "$G"
busybox_root "$G"
PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$PW" > "$OUT/guest-password"
chmod 600 "$OUT/guest-password"
H=$(printf '%s' "$PW" | sha256sum | cut -d' ' -f1)
sed "s/@PWHASH@/$H/" "$HERE/image/guest-init" > "$G/init"
chmod 755 "$G/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$G/etc/passwd"
# The guest's half of the HVM seal attacks (test/xen/sc-guest-io.c), when built.
[ -z "${SC_GUEST_IO:-}" ] || cp "$SC_GUEST_IO" "$G/bin/sc-guest-io"
pack "$G" "$OUT/guest.cpio.gz"

# --- dom0 -------------------------------------------------------------------
D=$OUT/dom0-root
rm -rf "$D"
busybox_root "$D"
cp "$HERE/image/dom0-init" "$D/init"
chmod 755 "$D/init"
for b in xl xenstored xenconsoled xenconsole xen-init-dom0; do
    copy_bin "$D" "$STAGE/usr/lib/xen-4.17/bin/$b" "/usr/lib/xen-4.17/bin/$b"
done
# SC_XENCONSOLED: a xenconsoled built from the patched tree replaces Debian's.
if [ -n "${SC_XENCONSOLED:-}" ]; then
    copy_bin "$D" "$SC_XENCONSOLED" /usr/lib/xen-4.17/bin/xenconsoled
fi
for b in xl xenconsole xenstored; do
    ln -s ../lib/xen-4.17/bin/$b "$D/usr/sbin/$b"
done
for b in xenstore-read xenstore-write xenstore-ls xenstore-rm xenstore-list; do
    copy_bin "$D" "$STAGE/usr/bin/$b" "/usr/bin/$b"
done
# xl dlopens nothing, but libxl aborts without libgcc_s (pthread_cancel).
for l in /lib/x86_64-linux-gnu/libgcc_s.so.1; do
    mkdir -p "$D$(dirname "$l")"; cp -L "$l" "$D$l"
done
mkdir -p "$D/lib/modules"
for m in drivers/xen/xen-evtchn.ko drivers/xen/xen-privcmd.ko \
    drivers/xen/xenfs/xenfs.ko drivers/xen/xen-gntdev.ko \
    drivers/xen/xen-gntalloc.ko drivers/net/ethernet/intel/e1000/e1000.ko; do
    cp "$STAGE/lib/modules/$KVER/kernel/$m" "$D/lib/modules/"
done
mkdir -p "$D/etc/xen" "$D/var/lib/xen" "$D/var/lib/xenstored" "$D/var/log/xen" \
    "$D/var/run/xen" "$D/boot" "$D/proc/xen"
: > "$D/etc/xen/xl.conf"
cp "$OUT/vmlinuz" "$D/boot/vmlinuz"
cp "$OUT/guest.cpio.gz" "$D/boot/guest.cpio.gz"
# HVM: Debian's device model (qemu-system-xen, the path libxl runs), the
# hvmloader libxl loads, the SeaBIOS it passes in, and QEMU's option ROM for
# direct kernel boot (linuxboot_dma.bin, read through fw_cfg by SeaBIOS).
DM=/usr/libexec/xen-qemu-system-i386
[ -x "$STAGE$DM" ] || die "$STAGE: no unpacked qemu-system-xen ($DM)"
copy_bin "$D" "$STAGE$DM" "$DM"
mkdir -p "$D/usr/lib/xen-4.17/boot" "$D/usr/share/seabios" "$D/usr/share/qemu"
cp "$STAGE/usr/lib/xen-4.17/boot/hvmloader" "$D/usr/lib/xen-4.17/boot/"
[ -f /usr/share/seabios/bios-256k.bin ] || die "/usr/share/seabios/bios-256k.bin missing (install seabios)"
cp /usr/share/seabios/bios-256k.bin "$D/usr/share/seabios/"
# The stdvga ROM: the test that the bind refuses a guest with a VGA card
# (test/xen/ovmf.py) needs its QEMU to start.
[ -f /usr/share/seabios/vgabios-stdvga.bin ] && cp /usr/share/seabios/vgabios-stdvga.bin "$D/usr/share/seabios/"
for f in linuxboot_dma.bin linuxboot.bin kvmvapic.bin; do
    [ -f "/usr/share/qemu/$f" ] && cp "/usr/share/qemu/$f" "$D/usr/share/qemu/"
done
[ -d /usr/share/qemu/keymaps ] && cp -r /usr/share/qemu/keymaps "$D/usr/share/qemu/"
# hvm.cfg: the configuration a bound HVM guest needs (sccrypt(7)): no
# emulated serial (COM1 is Xen's after the bind), disk, NIC, VGA or PV
# keyboard; Linux by direct kernel boot through hvmloader and SeaBIOS.
# pci=noearly: Linux's early PCI scans (AGP aperture checks) write port 0xcf8
# some 16000 times, each a round trip to QEMU in dom0: minutes under TCG.
# hvm-serial.cfg: the same guest with QEMU's COM1 on a pty, the stock
# plaintext path (`xl console -t serial`), for the smoke test and figures.
# What a sealed HVM guest's configuration leaves out (sccrypt(7)): no NIC,
# VGA, display, PV keyboard or USB; the platform device for PV drivers.
HVM_NO_DEVICES='vif = []
vga = "none"
vnc = 0
sdl = 0
vkb_device = 0
usb = 0
xen_platform_pci = 1'
for t in hvm hvm-serial; do
    ser=; [ $t = hvm-serial ] && ser='serial = "pty"'
    cat > "$D/etc/xen/$t.cfg" <<CFG
name = "guest-$t"
type = "hvm"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/guest.cpio.gz"
cmdline = "console=ttyS0 earlyprintk=ttyS0 quiet pci=noearly"
memory = 128
vcpus = 1
on_crash = "destroy"
disk = []
$HVM_NO_DEVICES
$ser
CFG
done
# hvm-sealed.cfg, only when SC_OVMF names a firmware image (check-xen's
# ovmf and hvmsealed modes; the other modes' dom0 image stays as it was): an
# HVM guest whose firmware route needs no emulated DMA, so the device model
# never has to map guest RAM and the guest can be bound at the level
# "memory sealed" (hcall/README.md, "A sealed HVM guest's firmware route").
# SC_OVMF is OvmfXen's OVMF.fd (scripts/build-ovmfxen.sh: edk2's Xen
# platform, with XenBusDxe and XenPvBlkDxe), given to libxl with
# bios_path_override. It boots Linux's EFI stub from a PV disk served by
# QEMU's qdisk backend through grants the guest gives, at xvde (index 4:
# never emulated). Read-write: Debian's QEMU 7.2 refuses a read-only qdisk
# ("realization of device xen-disk failed: Block node is read-only"); the
# image is dom0's own copy in its initramfs. The disk is a FAT ESP with the
# kernel, the guest's initramfs and a startup.nsh for OVMF's shell, which
# passes the command line (the EFI stub loads initrd= from the same volume).
# No emulated serial: a bound guest's COM1 is Xen's; the unbound run adds
# serial="pty" on xl create's command line (test/xen/ovmf.py). QEMU's trace
# events log every mapcache use (xen_map_cache*, xen_remap_bucket: one line
# per 1 MiB bucket of guest RAM mapped), and the PV disk's connection and
# its frontend's states (QEMU 7.2 has no trace event for grant copies),
# each line with the time of day (-msg timestamp=on).
if [ -n "${SC_OVMF:-}" ]; then
    [ -f "$SC_OVMF" ] || die "SC_OVMF=$SC_OVMF missing (hcall/scripts/build-ovmfxen.sh builds it)"
    command -v mkfs.fat >/dev/null || die "mkfs.fat not found (install dosfstools)"
    command -v mcopy >/dev/null || die "mcopy not found (install mtools)"
    cp "$SC_OVMF" "$D/usr/lib/xen-4.17/boot/ovmf-xen.fd"
    ESP=$OUT/esp.img
    rm -f "$ESP"
    kb=$(( ($(stat -c %s "$OUT/vmlinuz") + $(stat -c %s "$OUT/guest.cpio.gz")) / 1024 + 4096 ))
    mkfs.fat -C -n SCESP "$ESP" "$kb" >/dev/null
    # pci=noearly as in hvm.cfg (Linux's early PCI scans: minutes under TCG).
    printf '%s\r\n' '@echo -off' \
        'fs0:\vmlinuz.efi initrd=\initrd.img console=ttyS0 earlyprintk=ttyS0 quiet pci=noearly' \
        > "$OUT/startup.nsh"
    MTOOLS_SKIP_CHECK=1 mcopy -i "$ESP" "$OUT/vmlinuz" ::/vmlinuz.efi
    MTOOLS_SKIP_CHECK=1 mcopy -i "$ESP" "$OUT/guest.cpio.gz" ::/initrd.img
    MTOOLS_SKIP_CHECK=1 mcopy -i "$ESP" "$OUT/startup.nsh" ::/startup.nsh
    rm -f "$OUT/startup.nsh"
    cp "$ESP" "$D/boot/esp.img"
    cat > "$D/etc/xen/hvm-sealed.cfg" <<CFG
name = "guest-hvm-sealed"
type = "hvm"
bios = "ovmf"
bios_path_override = "/usr/lib/xen-4.17/boot/ovmf-xen.fd"
disk = [ "format=raw,vdev=xvde,access=rw,backendtype=qdisk,target=/boot/esp.img" ]
memory = 256
vcpus = 1
on_crash = "destroy"
$HVM_NO_DEVICES
device_model_args_hvm = [ "-trace", "enable=xen_map_cache*", "-trace", "enable=xen_remap_bucket", "-trace", "enable=xen_block_connect", "-trace", "enable=xen_block_disconnect", "-trace", "enable=xen_device_frontend_state", "-msg", "timestamp=on" ]
CFG
fi
for t in pv pvh; do
    cat > "$D/etc/xen/$t.cfg" <<CFG
name = "guest-$t"
type = "$t"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/guest.cpio.gz"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_crash = "destroy"
CFG
done

# users: root (admin, key login), op (the operator running sc-relay via sudo)
cat > "$D/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
op:x:1000:1000:operator:/home/op:/bin/sh
sshd:x:100:65534:sshd:/run/sshd:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$D/etc/group" <<GR
root:x:0:
tty:x:5:
op:x:1000:
nogroup:x:65534:
GR
cat > "$D/etc/shadow" <<SH
root:*:19000:0:99999:7:::
op:*:19000:0:99999:7:::
sshd:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
SH
chmod 600 "$D/etc/shadow"
echo "127.0.0.1 localhost dom0" > "$D/etc/hosts"
for u in root home/op; do
    mkdir -p "$D/$u/.ssh"
    cp "$OUT/ssh/id_ed25519.pub" "$D/$u/.ssh/authorized_keys"
    chmod 700 "$D/$u/.ssh"; chmod 600 "$D/$u/.ssh/authorized_keys"
done
chown -R 1000:1000 "$D/home/op"

# sshd from the host's Debian openssh-server
copy_bin "$D" /usr/sbin/sshd /usr/sbin/sshd
mkdir -p "$D/etc/ssh" "$D/var/log" "$D/var/empty"
cp "$OUT/ssh/ssh_host_ed25519_key" "$OUT/ssh/ssh_host_ed25519_key.pub" "$D/etc/ssh/"
chmod 600 "$D/etc/ssh/ssh_host_ed25519_key"
cat > "$D/etc/ssh/sshd_config" <<SSHD
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
SSHD

# sudo from the host's Debian package: the operator may run sc-relay only
copy_bin "$D" /usr/bin/sudo /usr/bin/sudo
chmod 4755 "$D/usr/bin/sudo"
for f in /usr/libexec/sudo/sudoers.so /usr/libexec/sudo/libsudo_util.so.0; do
    copy_bin "$D" "$f" "$f"
done
copy_bin "$D" /lib/x86_64-linux-gnu/security/pam_permit.so \
    /lib/x86_64-linux-gnu/security/pam_permit.so
mkdir -p "$D/etc/pam.d" "$D/etc/sudoers.d"
cat > "$D/etc/pam.d/sudo" <<PAM
auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
PAM
cat > "$D/etc/sudoers" <<SUDO
Defaults env_reset
Defaults !lecture
root ALL=(ALL:ALL) ALL
op ALL=(root) NOPASSWD: /usr/local/bin/sc-relay
SUDO
chmod 440 "$D/etc/sudoers"
# sc-relay's policy (sc-relay(8)): op may attach to, bind and take over any domain
mkdir -p "$D/etc/sccrypt"
echo "allow user:op all *" > "$D/etc/sccrypt/relay.conf"
chmod 644 "$D/etc/sccrypt/relay.conf"

# the project's programs
mkdir -p "$D/usr/local/bin"
for b in "$@"; do
    copy_bin "$D" "$b" "/usr/local/bin/$(basename "$b")"
done

pack "$D" "$OUT/dom0.cpio.gz"
rm -rf "$D" "$G"
echo "mk-images: $(du -h "$OUT/dom0.cpio.gz" | cut -f1) dom0, $(du -h "$OUT/guest.cpio.gz" | cut -f1) guest, kernel $KVER"
