# SPDX-License-Identifier: MIT
"""check-xen mode ovmf: the firmware route of a sealed HVM guest, measured.

hvm-sealed.cfg (mk-images.sh) boots OVMF, meant to load Linux's EFI stub
and its initramfs from a PV disk (qdisk backend at xvde, never emulated):
no direct kernel boot, so no fw_cfg DMA, so QEMU should never need to map
guest RAM.  This mode first boots the control, hvm-serial.cfg (SeaBIOS,
direct kernel boot through fw_cfg DMA) with the same QEMU trace events, to
show the trace sees mapcache use, then the OVMF guest; both unbound, read
through the stock path (QEMU's COM1 on a pty, `xl console -t serial`).  It
prints the evidence: QEMU's mapcache trace events (xen_map_cache*,
xen_remap_bucket), the foreign (privcmd) and grant (gntdev) mappings in
QEMU's address space, before the unpause and at the end, and OVMF's debug
port (0x402).  Figures are printed, never asserted; the mode fails when the
OVMF guest does not reach its shell prompt or QEMU used its mapcache for it.
"""

import os
import re
import time

from xenqemu import Stream, Fail, log

GUEST_TIMEOUT = 300
CONTROL_TIMEOUT = 300
TRACE = r"xen_map_cache|xen_remap_bucket"
TRACE_ARGS = ('"-trace","enable=xen_map_cache*","-trace","enable=xen_remap_bucket"')
# The control traces only the bucket remaps (each one a foreign mapping of
# guest RAM): xen_map_cache fires on every lookup, and logging those for a
# direct kernel boot slowed QEMU so that the guest printed nothing in 300 s.
CONTROL_TRACE_ARGS = '"-trace","enable=xen_remap_bucket"'
OVMF_DEBUG = "/var/log/xen/ovmf-debug.log"


class Check(Exception):
    """A property the mode checks does not hold (exit 1)."""


def dm_state(dom0, kind, domid, tag):
    """QEMU's mapcache trace lines so far and its privcmd/gntdev mappings."""
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % kind
    cmd = ("p=$(ps | grep -v grep | grep 'xen-domid %d ' | awk '{print $1}' | head -n1); "
           "echo pid=$p; "
           "echo trace=$(grep -c -E '%s' %s); "
           "echo remap=$(grep -c xen_remap_bucket %s); "
           "echo privcmd=$(grep -c privcmd /proc/$p/maps); "
           "echo gntdev=$(grep -c gntdev /proc/$p/maps); "
           "echo '--- privcmd and gntdev mappings'; "
           "grep -E 'privcmd|gntdev' /proc/$p/maps; "
           "echo '--- first mapcache trace lines'; "
           "grep -E '%s' %s | head -n 8"
           % (domid, TRACE, qlog, qlog, TRACE, qlog))
    out = dom0.run(cmd, check=False, timeout=180).stdout.decode(errors="replace")
    vals = {}
    for k in ("pid", "trace", "remap", "privcmd", "gntdev"):
        m = re.search(r"^%s=(\d*)$" % k, out, re.M)
        vals[k] = int(m.group(1)) if m and m.group(1) else -1
    log("ovmf: %s %s: QEMU pid %d, mapcache trace lines %d (buckets mapped %d), "
        "privcmd mappings %d, gntdev mappings %d"
        % (kind, tag, vals["pid"], vals["trace"], vals["remap"], vals["privcmd"],
           vals["gntdev"]))
    return vals, out


def boot(dom0, kind, extra, out, pats, timeout):
    """Create KIND paused (EXTRA: xl config lines), read its COM1, unpause,
    wait for each of PATS in turn.  Returns (domid, before, times, stream)."""
    dom0.run("xl create -p /etc/xen/%s.cfg %s" % (kind, extra), timeout=120)
    domid = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())
    before, txt = dm_state(dom0, kind, domid, "created paused")
    with open(os.path.join(out, "dm-before-%s.txt" % kind), "w") as f:
        f.write(txt)
    s = Stream(dom0.ssh_argv("root", ["-tt"]) + ["xl console -t serial %d" % domid],
               os.path.join(out, "console-%s.log" % kind))
    time.sleep(3)
    dom0.run("xl unpause %d" % domid)
    t0 = time.monotonic()
    times = {}
    for pat, what in pats:
        try:
            s.expect(pat, max(1, timeout - (time.monotonic() - t0)), what=what)
            times[what] = time.monotonic() - t0
            log("ovmf: %s: %s on COM1 %.0fs after unpause" % (kind, what, times[what]))
        except Fail as e:
            log("ovmf: %s: no %s on COM1 within %ds (%s)"
                % (kind, what, timeout, str(e)[-160:]))
    return domid, before, times, s


def login(s, password, kind):
    m = s.mark()
    s.send(b"root\r")
    s.expect(rb"Password: ", 60, m, what="%s password prompt" % kind)
    m = s.mark()
    s.send(password.encode() + b"\r")
    s.expect(rb"guest# ", 60, m, what="%s shell prompt" % kind)
    m = s.mark()
    s.send(b"echo sum=$((6*7)) efi=$(ls /sys/firmware/efi >/dev/null 2>&1 "
           b"&& echo yes || echo no)\r")
    return s.expect(rb"sum=42 efi=(yes|no)", 60, m, what="%s command output" % kind).group(1)


def control(dom0, password, out):
    """The SeaBIOS guest booted by direct kernel boot, traced the same way:
    the trace must see QEMU map guest RAM here, or its silence for the OVMF
    guest proves nothing."""
    kind = "hvm-serial"
    domid, before, times, s = boot(
        dom0, kind, "'device_model_args_hvm=[%s]'" % CONTROL_TRACE_ARGS, out,
        ((rb"login: ", "login prompt"),), CONTROL_TIMEOUT)
    try:
        if "login prompt" in times:
            login(s, password, kind)
            log("ovmf: control: logged in; login prompt %.0fs after unpause"
                % times["login prompt"])
    except Fail as e:
        log("ovmf: control: login failed: %s" % str(e)[-200:])
    finally:
        s.kill()
    after, txt = dm_state(dom0, kind, domid, "at the end")
    with open(os.path.join(out, "dm-after-%s.txt" % kind), "w") as f:
        f.write(txt)
    log("ovmf: control's QEMU:\n%s" % txt)
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    if after["trace"] <= before["trace"]:
        raise Check("ovmf: the trace saw no mapcache use by the direct-boot control "
                    "guest: it cannot show the OVMF guest's absence of it")
    return before, after, times


def sealed(dom0, password, out):
    kind = "hvm-sealed"
    # OVMF's debug output (DebugLib to port 0x402) into a file in dom0.
    extra = ("'device_model_args_hvm=[%s,\"-chardev\",\"file,id=ovmfdbg,path=%s\","
             "\"-device\",\"isa-debugcon,iobase=0x402,chardev=ovmfdbg\"]'"
             % (TRACE_ARGS, OVMF_DEBUG))
    pats = ((rb"UEFI|Shell|startup\.nsh|BdsDxe|\x1b\[2J", "OVMF's output"),
            (rb"Shell>|startup\.nsh", "OVMF's shell"),
            (rb"EFI stub|Linux version|sccrypt-guest", "the kernel's output"),
            (rb"login: ", "login prompt"))
    domid, before, times, s = boot(dom0, kind, extra, out, pats, GUEST_TIMEOUT)
    efi = None
    try:
        if "login prompt" in times:
            efi = login(s, password, kind).decode()
    except Fail as e:
        log("ovmf: %s: login failed: %s" % (kind, str(e)[-200:]))
    finally:
        s.kill()
    after, txt = dm_state(dom0, kind, domid, "at the end")
    with open(os.path.join(out, "dm-after-%s.txt" % kind), "w") as f:
        f.write(txt)
    log("ovmf: OVMF guest's QEMU:\n%s" % txt)
    r = dom0.run("echo '--- OVMF debug port (0x402), last lines'; tail -n 40 %s; "
                 "echo '--- the PV disk in xenstore'; "
                 "xenstore-ls -f /local/domain/%d/device/vbd | grep -E 'state|ring'; "
                 "xenstore-ls -f /local/domain/0/backend/qdisk/%d | grep -E '/state'; "
                 "echo '--- Xen about d%d'; xl dmesg | grep -E 'd%d' | grep -v '^(d%d)' | tail -n 8"
                 % (OVMF_DEBUG, domid, domid, domid, domid, domid),
                 check=False, timeout=60)
    txt = r.stdout.decode(errors="replace")
    with open(os.path.join(out, "ovmf-evidence.txt"), "w") as f:
        f.write(txt)
    log("ovmf: OVMF guest's evidence:\n%s" % txt)
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    return before, after, times, efi


def run(dom0, password, out):
    out = os.path.abspath(out)
    cb, ca, ct = control(dom0, password, out)
    sb, sa, st, efi = sealed(dom0, password, out)
    log("ovmf: figures: control (SeaBIOS, direct kernel boot): mapcache trace lines "
        "%d before unpause, %d at the end (buckets %d), privcmd mappings %d -> %d, "
        "login prompt %s; OVMF guest: mapcache trace lines %d before unpause, %d at "
        "the end, privcmd mappings %d -> %d, gntdev %d -> %d, %s"
        % (cb["trace"], ca["trace"], ca["remap"], cb["privcmd"], ca["privcmd"],
           "%.0fs" % ct["login prompt"] if "login prompt" in ct else "not seen",
           sb["trace"], sa["trace"], sb["privcmd"], sa["privcmd"], sb["gntdev"],
           sa["gntdev"], ", ".join("%s %.0fs" % kv for kv in st.items()) or
           "no output"))
    if sa["trace"] != sb["trace"]:
        raise Check("ovmf: QEMU used its mapcache %d times for the OVMF guest"
                    % (sa["trace"] - sb["trace"]))
    if efi is None:
        raise Check("ovmf: the OVMF guest did not boot Linux to its shell prompt "
                    "(Debian's OVMF has no Xen PV block driver: hcall/README.md, "
                    "\"a sealed HVM guest's firmware route\"; see ovmf-evidence.txt)")
    log("ovmf: the OVMF guest logged in (booted by EFI: %s) with no mapcache use" % efi)
