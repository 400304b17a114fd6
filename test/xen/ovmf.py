# SPDX-License-Identifier: MIT
"""check-xen mode ovmf: the firmware route of a sealed HVM guest, measured.

hvm-sealed.cfg (mk-images.sh) boots OVMF, which loads Linux's EFI stub and
its initramfs from a read-only PV disk (qdisk backend at xvde, never
emulated): no direct kernel boot, so no fw_cfg DMA, so QEMU should never
need to map guest RAM.  This mode boots that guest unbound (stock path:
QEMU's COM1 on a pty, read with `xl console -t serial`), logs in, and
prints the evidence: QEMU's mapcache trace events (xen_map_cache*,
xen_remap_bucket, enabled by the guest's device_model_args_hvm) and the
foreign (privcmd) and grant (gntdev) mappings in QEMU's address space,
before the unpause and at the guest's shell prompt.  It checks that the
guest logs in and that QEMU logged no mapcache use after the unpause; the
figures (boot time, mapping counts) are printed, never asserted.
"""

import os
import re
import time

from xenqemu import Stream, Fail, log  # noqa: F401

GUEST_TIMEOUT = 600
KIND = "hvm-sealed"
TRACE = r"xen_map_cache|xen_remap_bucket"


class Check(Exception):
    """A property the mode checks does not hold (exit 1)."""


def dm_state(dom0, domid, tag):
    """QEMU's mapcache trace lines so far and its privcmd/gntdev mappings."""
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % KIND
    cmd = ("p=$(ps | grep -v grep | grep 'xen-domid %d ' | awk '{print $1}' | head -n1); "
           "echo pid=$p; "
           "echo trace=$(grep -c -E '%s' %s); "
           "echo grants=$(grep -c -E 'xen_device_(copy|map)_grant_refs' %s); "
           "echo connect=$(grep -c xen_block_connect %s); "
           "echo privcmd=$(grep -c privcmd /proc/$p/maps); "
           "echo gntdev=$(grep -c gntdev /proc/$p/maps); "
           "echo '--- privcmd and gntdev mappings'; "
           "grep -E 'privcmd|gntdev' /proc/$p/maps; "
           "echo '--- first mapcache trace lines'; "
           "grep -E '%s' %s | head -n 20"
           % (domid, TRACE, qlog, qlog, qlog, TRACE, qlog))
    out = dom0.run(cmd, check=False, timeout=60).stdout.decode(errors="replace")
    vals = {}
    for k in ("pid", "trace", "grants", "connect", "privcmd", "gntdev"):
        m = re.search(r"^%s=(\d*)$" % k, out, re.M)
        vals[k] = int(m.group(1)) if m and m.group(1) else -1
    log("ovmf: %s: QEMU pid %d, mapcache trace lines %d, disk connected %d, "
        "grant copy/map requests %d, privcmd mappings %d, gntdev mappings %d"
        % (tag, vals["pid"], vals["trace"], vals["connect"], vals["grants"],
           vals["privcmd"], vals["gntdev"]))
    return vals, out


def run(dom0, password, out):
    out = os.path.abspath(out)
    dom0.run("xl create -p /etc/xen/%s.cfg" % KIND, timeout=120)
    domid = int(dom0.run("xl domid guest-%s" % KIND).stdout.strip())
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % KIND
    r = dom0.run("cat %s; ps | grep -v grep | grep 'xen-domid %d '" % (qlog, domid),
                 check=False)
    log("ovmf: QEMU's log and command line:\n%s" % r.stdout.decode(errors="replace"))
    before, txt = dm_state(dom0, domid, "created paused")
    with open(os.path.join(out, "dm-before.txt"), "w") as f:
        f.write(txt)
    s = Stream(dom0.ssh_argv("root", ["-tt"]) + ["xl console -t serial %d" % domid],
               os.path.join(out, "console-%s.log" % KIND))
    try:
        time.sleep(3)
        dom0.run("xl unpause %d" % domid)
        t0 = time.monotonic()
        marks = {}
        for pat, what in ((rb"BdsDxe|UEFI|EFI Shell|Shell>|startup\.nsh", "OVMF output"),
                          (rb"EFI stub|Linux version|Booting the kernel|sccrypt-guest",
                           "the kernel's output"),
                          (rb"login: ", "login prompt")):
            try:
                s.expect(pat, GUEST_TIMEOUT - (time.monotonic() - t0), what=what)
                marks[what] = time.monotonic() - t0
                log("ovmf: %s on COM1 after %.0fs" % (what, marks[what]))
            except Fail as e:
                if what == "login prompt":
                    raise
                log("ovmf: no %s seen on COM1 (%s)" % (what, str(e)[:200]))
        m = s.mark()
        s.send(b"root\r")
        s.expect(rb"Password: ", 60, m, what="password prompt")
        m = s.mark()
        s.send(password.encode() + b"\r")
        s.expect(rb"guest# ", 60, m, what="shell prompt")
        t_shell = time.monotonic() - t0
        m = s.mark()
        s.send(b"echo sum=$((6*7)) kind=$(uname -s) efi=$(ls /sys/firmware/efi "
               b">/dev/null 2>&1 && echo yes || echo no)\r")
        mm = s.expect(rb"sum=42 kind=Linux efi=(yes|no)", 60, m, what="command output")
        log("ovmf: logged in; shell prompt %.0fs after unpause; guest booted by EFI: %s"
            % (t_shell, mm.group(1).decode()))
    finally:
        s.kill()
    after, txt = dm_state(dom0, domid, "at the guest's shell")
    with open(os.path.join(out, "dm-after.txt"), "w") as f:
        f.write(txt)
    log("ovmf: QEMU's state at the shell:\n%s" % txt)
    r = dom0.run("xl dmesg | grep -i -E 'hvmloader|ovmf|HVM%d' | tail -n 40; "
                 "xenstore-ls -f /local/domain/0/backend/qdisk 2>/dev/null | head -n 30"
                 % domid, check=False, timeout=60)
    log("ovmf: Xen's log (hvmloader) and the qdisk backend:\n%s"
        % r.stdout.decode(errors="replace"))
    if after["trace"] < 0 or before["trace"] < 0:
        raise Check("ovmf: could not read QEMU's mapcache trace")
    grown = after["trace"] - before["trace"]
    log("ovmf: figures: shell prompt %.0fs after unpause; mapcache trace lines "
        "%d before unpause, %d at the shell; privcmd mappings %d -> %d; "
        "gntdev mappings %d -> %d; disk requests by grant %d"
        % (t_shell, before["trace"], after["trace"], before["privcmd"],
           after["privcmd"], before["gntdev"], after["gntdev"], after["grants"]))
    if grown:
        raise Check("ovmf: QEMU used its mapcache %d times after the unpause" % grown)
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    return domid
