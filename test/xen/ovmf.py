# SPDX-License-Identifier: MIT
"""check-xen modes ovmf and hvmsealed: the firmware route of a sealed HVM guest.

hvm-sealed.cfg (mk-images.sh, with SC_OVMF) boots OvmfXen (edk2's Xen
platform, scripts/build-ovmfxen.sh), which loads Linux's EFI stub and its
initramfs from a PV disk (qdisk backend at xvde, never emulated) through
its XenBusDxe and XenPvBlkDxe: no direct kernel boot, so no fw_cfg DMA, so
QEMU should never need to map guest RAM.

ovmf: first the control, hvm-serial.cfg (SeaBIOS, direct kernel boot
through fw_cfg DMA) with QEMU's bucket trace, to show the trace sees
mapcache use (SCCRYPT_OVMF_CONTROL=0 leaves it out), then the OVMF guest;
both unbound, read through the stock path (QEMU's COM1 on a pty, `xl
console -t serial`).  It prints the evidence: QEMU's mapcache trace events
(xen_map_cache*, xen_remap_bucket), the foreign (privcmd) and grant
(gntdev) mappings in QEMU's address space, before the unpause and at the
end.  It fails when the OVMF guest does not boot Linux to its shell prompt
or QEMU used its mapcache for it.

hvmsealed: the OVMF guest unbound as above, then created paused, bound with the user's default least
level (SCCRYPT_REQUIRE=sealed: memory sealed, so no device model may map
its RAM), unpaused, and logged in to through the user's pipeline; sc-dec
must print "console UART, memory sealed".  Both times dom0 opens doors of
its own before the unpause (and the bind): QEMU's COM2-4 on ptys it reads,
and an ioreq server (the spy) on port 0x500.  From the unbound guest's
shell a marker written to COM2-4 reaches dom0 and a `rep outsb` hands the
spy an address it reads an unsent secret through; from the sealed guest's,
neither does.  Before its bind, the bind refuses the guest created with an
emulated VGA card, and with an ioreq server whose pages are guest frames.  Boot times, mapcache figures,
and on a refused bind the pristine check's reason from Xen's serial line.
SCCRYPT_HVMSEALED_PARTS (default "unbound,bound") names the parts to run,
among them "control" (the direct-boot guest of the ovmf mode) and
"bound-norelay" (bound, unpaused with no relay: progress from QEMU's disk
trace only).
"""

import os
import re
import threading
import time

from xenqemu import Stream, Fail, log
import full
import hvmseal

GUEST_TIMEOUT = 600
CONTROL_TIMEOUT = 300
TRACE = r"xen_map_cache|xen_remap_bucket"
TRACE_ARGS = ('"-trace","enable=xen_map_cache*","-trace","enable=xen_remap_bucket"')
# The PV disk's life in QEMU's qdisk backend: its connections and its
# frontend's states.  QEMU 7.2 has no trace event for the grant copies that
# move the data; QEMU's read bytes (/proc/PID/io rchar) show the transfer.
DISK_TRACE_ARGS = ('"-trace","enable=xen_block_connect","-trace","enable=xen_block_disconnect",'
                   '"-trace","enable=xen_device_frontend_state","-msg","timestamp=on"')
# The control traces only the bucket remaps (each one a foreign mapping of
# guest RAM): xen_map_cache fires on every lookup, and logging those for a
# direct kernel boot slowed QEMU so that the guest printed nothing in 300 s.
CONTROL_TRACE_ARGS = '"-trace","enable=xen_remap_bucket"'
# What OvmfXen and Linux show on COM1 on the way to the login prompt.
SEALED_PATS = ((rb"UEFI|Shell|startup\.nsh|\x1b\[2J", "OVMF's output"),
               (rb"startup\.nsh|Shell>", "OVMF's shell"),
               (rb"EFI stub|Linux version|sccrypt-guest|Welcome", "the kernel's output"),
               (rb"login: ", "login prompt"))


class Check(Exception):
    """A property the mode checks does not hold (exit 1)."""


class Timeline:
    """Samples a Stream's buffer once a second into PATH: the seconds since
    the start and what arrived since the last sample, one line each, so a
    slow phase of the firmware shows where it is.  stop() ends it."""

    def __init__(self, stream, path, start=0):
        self.stream, self.path, self.pos = stream, path, start
        self.t0 = time.monotonic()
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        with open(self.path, "w") as f:
            while not self.done.wait(1.0):
                with self.stream.lock:
                    new = bytes(self.stream.buf[self.pos:])
                if new:
                    self.pos += len(new)
                    f.write("%7.1f %r\n" % (time.monotonic() - self.t0, new))
                    f.flush()

    def stop(self):
        self.done.set()
        self.t.join(5)


def dm_state(dom0, kind, domid, tag):
    """QEMU's mapcache trace lines so far and its privcmd/gntdev mappings."""
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % kind
    cmd = ("p=$(ps | grep -v grep | grep 'xen-domid %d ' | awk '{print $1}' | head -n1); "
           "echo pid=$p; "
           "echo trace=$(grep -c -E '%s' %s); "
           "echo remap=$(grep -c xen_remap_bucket %s); "
           "echo connect=$(grep -c xen_block_connect %s); "
           "echo disconnect=$(grep -c xen_block_disconnect %s); "
           "echo fstate=$(grep -c xen_device_frontend_state %s); "
           "echo rchar=$(awk '/^rchar/{print $2}' /proc/$p/io); "
           "echo privcmd=$(grep -c privcmd /proc/$p/maps); "
           "echo gntdev=$(grep -c gntdev /proc/$p/maps); "
           "echo '--- privcmd and gntdev mappings'; "
           "grep -E 'privcmd|gntdev' /proc/$p/maps; "
           "echo '--- first mapcache trace lines'; "
           "grep -E '%s' %s | head -n 8"
           % (domid, TRACE, qlog, qlog, qlog, qlog, qlog, TRACE, qlog))
    out = dom0.run(cmd, check=False, timeout=180).stdout.decode(errors="replace")
    vals = {}
    for k in ("pid", "trace", "remap", "privcmd", "gntdev", "connect", "disconnect",
              "fstate", "rchar"):
        m = re.search(r"^%s=(\d*)$" % k, out, re.M)
        vals[k] = int(m.group(1)) if m and m.group(1) else -1
    log("ovmf: %s %s: QEMU pid %d, mapcache trace lines %d (buckets mapped %d), "
        "privcmd mappings %d, gntdev mappings %d; PV disk: %d connects, %d disconnects, "
        "%d frontend state changes; QEMU read %d bytes (rchar)"
        % (kind, tag, vals["pid"], vals["trace"], vals["remap"], vals["privcmd"],
           vals["gntdev"], vals["connect"], vals["disconnect"], vals["fstate"],
           vals["rchar"]))
    return vals, out


def boot(dom0, kind, extra, out, pats, timeout, q=None, prep=None):
    """Create KIND paused (EXTRA: xl config lines), run PREP(domid) if given,
    read its COM1, unpause, wait for each of PATS in turn.  Returns (domid,
    before, times, stream).
    With Q (Xen's serial line, where an unbound guest's port 0xe9 output
    goes) timelines of both are written (timeline-*.txt)."""
    dom0.run("xl create -p /etc/xen/%s.cfg %s" % (kind, extra), timeout=120)
    domid = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())
    if prep:
        prep(domid)
    before, txt = dm_state(dom0, kind, domid, "created paused")
    with open(os.path.join(out, "dm-before-%s.txt" % kind), "w") as f:
        f.write(txt)
    s = Stream(dom0.ssh_argv("root", ["-tt"]) + ["xl console -t serial %d" % domid],
               os.path.join(out, "console-%s.log" % kind))
    time.sleep(3)
    tls = []
    if q is not None:
        tls = [Timeline(s, os.path.join(out, "timeline-%s-com1.txt" % kind)),
               Timeline(q, os.path.join(out, "timeline-%s-xen.txt" % kind), len(q.serial()))]
    tu = unpause(dom0, domid)
    t0 = time.monotonic()
    times = {}
    try:
        for pat, what in pats:
            try:
                s.expect(pat, max(1, timeout - (time.monotonic() - t0)), what=what)
                times[what] = time.monotonic() - t0
                log("ovmf: %s: %s on COM1 %.0fs after unpause" % (kind, what, times[what]))
            except Fail as e:
                log("ovmf: %s: no %s on COM1 within %ds (%s)"
                    % (kind, what, timeout, str(e)[-160:]))
    finally:
        for tl in tls:
            tl.stop()
    times.update(disk_times(dom0, kind, tu))
    return domid, before, times, s


def login(s, password, kind):
    full.root_login(s, password, kind, b"\r")
    m = s.mark()
    s.send(b"echo sum=$((6*7)) efi=$(ls /sys/firmware/efi >/dev/null 2>&1 "
           b"&& echo yes || echo no) xen=$(ls /sys/bus/xen/devices 2>/dev/null | tr '\\n' ,)\r")
    return s.expect(rb"sum=42 efi=(yes|no) xen=(\S*)\r?\n", 60, m,
                    what="%s command output" % kind).group(1)


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


def unpause(dom0, domid):
    """Unpauses DOMID; returns dom0's clock at that moment, to the second
    (busybox's date; QEMU's trace lines carry the same clock)."""
    r = dom0.run("date +%%s; xl unpause %d" % domid)
    return float(r.stdout.split()[0])


def disk_times(dom0, kind, t_unpause):
    """Seconds from the unpause to the PV disk's first connection (OVMF's
    XenPvBlkDxe, during its boot manager's connect-all) and its last
    disconnection after that (OVMF letting go at ExitBootServices, just
    before the kernel): progress marks that need no console."""
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % kind
    r = dom0.run("grep -E 'xen_block_(dis)?connect' %s" % qlog, check=False)
    t = {}
    for m in re.finditer(rb"@(\d+)\.(\d+):xen_block_(connect|disconnect)",
                         r.stdout):
        at = int(m.group(1)) + int(m.group(2)) / 1e6 - t_unpause
        if m.group(3) == b"connect":
            t.setdefault("disk connected", at)
        elif "disk connected" in t:
            t["disk released"] = at     # QEMU disconnects first, then connects
    return t


def bound_norelay(q, dom0, password, a, serial_fpr):
    """The OVMF guest bound as in bound(), but unpaused with no relay
    attached (no session, so no chaff and no relay traffic): its progress is
    read from QEMU's PV disk trace.  Shows whether a bound guest's slower
    boot is the seal's or the session's."""
    out = os.path.abspath(a.out)
    kind = "hvm-sealed"
    env, pubfile = full.setup_env(dom0, a, serial_fpr)
    mark = len(q.serial())
    domid = full.bind_new(dom0, env, pubfile, serial_fpr, kind + "-norelay", out, cfg=kind)
    t0 = unpause(dom0, domid)
    t1 = time.monotonic()
    end = t1 + full.HVM_BOOT
    seen = {}       # polled every 5 s, whatever the trace lines' format
    qlog = "/var/log/xen/qemu-dm-guest-%s.log" % kind
    # QEMU logs a disconnect before each connect; OVMF's release is the second.
    while time.monotonic() < end and "disk released" not in seen:
        time.sleep(5)
        r = dom0.run("echo c=$(grep -c xen_block_connect %s) d=$(grep -c xen_block_disconnect %s)"
                     % (qlog, qlog), check=False)
        m = re.search(rb"c=(\d+) d=(\d+)", r.stdout)
        if m and int(m.group(1)) and "disk connected" not in seen:
            seen["disk connected"] = time.monotonic() - t1
        if m and int(m.group(2)) >= 2:
            seen["disk released"] = time.monotonic() - t1
    log("ovmf: bound, no relay: polled (5 s): %s"
        % ", ".join("%s by %.0fs" % kv for kv in seen.items()))
    t = disk_times(dom0, kind, t0)
    r = dom0.run("grep -E 'xen_block_(dis)?connect' /var/log/xen/qemu-dm-guest-%s.log"
                 % kind, check=False)
    log("ovmf: bound, no relay: QEMU's disk trace lines:\n%s"
        % r.stdout.decode(errors="replace"))
    log("ovmf: figures: bound OVMF guest, no relay attached: %s"
        % (", ".join("%s %.0fs after unpause" % kv for kv in t.items()) or
           "no PV disk connection within %ds" % full.HVM_BOOT))
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    try:
        u = q.expect(rb"SCCrypt: d%d: UART: [^\r\n]*" % domid, 30, mark)
        log("ovmf: bound guest, no relay: %s" % u.group(0).decode(errors="replace"))
    except Fail:
        pass


# dom0's own doors into the guest, opened before the bind as an attacker in
# dom0 would: QEMU's COM2-4 on ptys (xl's serial list; COM1 stays QEMU's pty
# for the unbound guest, "null" for the bound one, whose COM1 is Xen's) and
# an ioreq server of its own (hvmseal's spy) claiming hvmseal.SPY_PORT.
DOOR_SERIALS = "'serial=[\"%s\",\"pty\",\"pty\",\"pty\"]'"
COM_DOORS = ((1, 0x2f8, "COM2"), (2, 0x3e8, "COM3"), (3, 0x2e8, "COM4"))


def open_doors(dom0, domid, secret):
    """The spy, then dom0 reading QEMU's COM2-4 ptys (their paths are in
    xenstore) into files.  Returns the taps: [(index, base, name)]."""
    full.hold(dom0, "%s %d ioreq-spy 0x%x %s" % (full.ATTACK, domid, hvmseal.SPY_PORT, secret),
              "spy")
    taps = []
    for i, base, name in COM_DOORS:
        r = dom0.run("xenstore-read /local/domain/%d/serial/%d/tty" % (domid, i), check=False)
        tty = r.stdout.decode(errors="replace").strip()
        if r.returncode != 0 or not tty.startswith("/dev/"):
            log("ovmf: QEMU's %s has no pty in xenstore (%r)" % (name, tty))
            continue
        dom0.run("stty -F {t} raw -echo && (setsid cat {t} > /tmp/com{i}.cap 2>/dev/null "
                 "< /dev/null & echo $! > /tmp/com{i}.pid)".format(t=tty, i=i))
        taps.append((i, base, name))
    log("ovmf: dom0 holds an ioreq server on ports 0x%x-0x%x and reads QEMU's %s"
        % (hvmseal.SPY_PORT, hvmseal.SPY_PORT + 7, ", ".join(t[2] for t in taps) or "no COM"))
    return taps


def try_doors(s, dom0, taps, secret, tag):
    """From the guest's shell behind s: a `rep outsb` to the spy's port
    (from a page that holds the unsent secret), and a fresh marker written to
    each of COM2-4's transmit registers, whose line status the guest reads.
    dom0 judges: the spy by what it read through an address it was handed,
    the COMs by the marker in what it read from QEMU's ptys.
    Returns {name: (GOT|nothing, line)}."""
    if not taps:
        raise Check("%s: dom0 could not read any of QEMU's COM2-4: the attack was "
                    "not tried" % tag)
    hvmseal.rep_io(s, secret, tag)
    res = {"rep-io": hvmseal.spy_result(dom0, "spy")}
    marker = "sccrypt-com-" + os.urandom(6).hex()
    lsr = []
    for i, base, name in COM_DOORS:
        g = hvmseal.cmd(s, "%s puts 0x%x %s-%s; echo lsr=$(%s inb 0x%x)="
                        % (hvmseal.GUEST_IO, base, marker, name, hvmseal.GUEST_IO, base + 5),
                        rb"lsr=([0-9a-f]{2})=", "%s: marker to %s" % (tag, name))
        lsr.append("%s=%s" % (name, g.group(1).decode()))
    time.sleep(2)
    seen = []
    for i, base, name in taps:
        cap = dom0.run("kill $(cat /tmp/com%d.pid); cat /tmp/com%d.cap" % (i, i),
                       check=False).stdout
        if ("%s-%s" % (marker, name)).encode() in cap:
            seen.append(name)
    res["com2-4"] = ("GOT" if seen else "nothing",
                     "attack com2-4: dom0 read QEMU's %s; the guest's marker reached dom0 "
                     "through %s; the guest reads line status %s"
                     % (", ".join(t[2] for t in taps), ", ".join(seen) or "none",
                        " ".join(lsr)))
    for n, (st, ln) in sorted(res.items()):
        log("%s: %s" % (tag, ln))
    return res


def evidence(dom0, domid, out, tag):
    """The PV disk's xenstore states and what Xen logged about the domain."""
    r = dom0.run("echo '--- the PV disk in xenstore'; "
                 "xenstore-ls -f /local/domain/%d/device/vbd | grep -E 'state|ring'; "
                 "xenstore-ls -f /local/domain/0/backend/qdisk/%d | grep -E '/state'; "
                 "echo '--- Xen about d%d (its port 0xe9 lines excepted)'; "
                 "xl dmesg | grep -E 'd%d' | grep -v '^(d%d)' | tail -n 12"
                 % (domid, domid, domid, domid, domid),
                 check=False, timeout=60)
    txt = r.stdout.decode(errors="replace")
    with open(os.path.join(out, "evidence-%s.txt" % tag), "w") as f:
        f.write(txt)
    log("ovmf: %s evidence:\n%s" % (tag, txt))
    return txt


def unbound(dom0, password, out, q=None):
    """The OVMF guest unbound, COM1 QEMU's on a pty (xl console -t serial)."""
    kind = "hvm-sealed"
    extra = "%s 'device_model_args_hvm=[%s,%s]'" % (DOOR_SERIALS % "pty", TRACE_ARGS,
                                                     DISK_TRACE_ARGS)
    secret = "sccrypt-unsent-" + os.urandom(6).hex()
    taps = []
    domid, before, times, s = boot(dom0, kind, extra, out, SEALED_PATS, GUEST_TIMEOUT, q,
                                   prep=lambda d: taps.extend(open_doors(dom0, d, secret)))
    efi = None
    doors = {}
    try:
        if "login prompt" in times:
            efi = login(s, password, kind).decode()
            doors = try_doors(s, dom0, taps, secret, "ovmf: unbound %s" % kind)
    except Fail as e:
        log("ovmf: %s: login or the doors failed: %s" % (kind, str(e)[-200:]))
    finally:
        s.kill()
        dom0.run("kill $(cat /tmp/spy.pid) $(cat /tmp/com*.pid) 2>/dev/null", check=False)
    after, txt = dm_state(dom0, kind, domid, "at the end")
    with open(os.path.join(out, "dm-after-%s.txt" % kind), "w") as f:
        f.write(txt)
    log("ovmf: OVMF guest's QEMU:\n%s" % txt)
    evidence(dom0, domid, out, "unbound")
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    return before, after, times, efi, doors


def judge_unbound(sb, sa, st, efi, doors):
    if sa["trace"] != sb["trace"]:
        raise Check("ovmf: QEMU used its mapcache %d times for the OVMF guest"
                    % (sa["trace"] - sb["trace"]))
    if efi is None:
        raise Check("ovmf: the OVMF guest did not boot Linux to its shell prompt "
                    "(see evidence-unbound.txt and console-hvm-sealed.log)")
    # The control: each of dom0's doors works against the unbound guest.
    for n in ("rep-io", "com2-4"):
        if doors.get(n, ("",))[0] != "GOT":
            raise Check("ovmf: attack %s got nothing against the unbound OVMF guest, so "
                        "its failing against the bound one shows nothing: %s"
                        % (n, doors.get(n, ("", "not tried"))[1]))
    log("ovmf: the unbound OVMF guest logged in (booted by EFI: %s), login prompt %.0fs "
        "after unpause, no mapcache use" % (efi, st["login prompt"]))


def run(dom0, password, out):
    out = os.path.abspath(out)
    if os.environ.get("SCCRYPT_OVMF_CONTROL", "1") != "0":
        cb, ca, ct = control(dom0, password, out)
        log("ovmf: control (SeaBIOS, direct kernel boot): mapcache trace lines %d before "
            "unpause, %d at the end (buckets %d), privcmd mappings %d -> %d, login prompt %s"
            % (cb["trace"], ca["trace"], ca["remap"], cb["privcmd"], ca["privcmd"],
               "%.0fs" % ct["login prompt"] if "login prompt" in ct else "not seen"))
    sb, sa, st, efi, doors = unbound(dom0, password, out)
    log("ovmf: figures: OVMF guest: mapcache trace lines %d before unpause, %d at "
        "the end (buckets %d), privcmd mappings %d -> %d, gntdev %d -> %d, %s"
        % (sb["trace"], sa["trace"], sa["remap"], sb["privcmd"], sa["privcmd"],
           sb["gntdev"], sa["gntdev"],
           ", ".join("%s %.0fs" % kv for kv in st.items()) or "no output"))
    judge_unbound(sb, sa, st, efi, doors)


# The level a bound OVMF guest's answers must vouch for: Xen's UART, memory
# sealed (no device model may map it), and QEMU's machine has no IOMMU.
SEALED_LEVEL = (r"^sc-dec: seal level: console UART, memory sealed, "
                r"DMA NOT confined \(no strict IOMMU\)$")
# What the user must see through sc-dec: OVMF's console (COM1 and the PV
# console ring, both Xen's after the bind) and the kernel's early console.
BOUND_SEEN = ((rb"UEFI Interactive Shell|startup\.nsh", "OVMF's shell"),
              (rb"Linux version \d", "the kernel's early console"))


def refusals(dom0, env, pubfile, serial_fpr, out):
    """The bind refuses the OVMF guest, naming what to change, when dom0 gave
    it an emulated VGA card (vga="stdvga") or asked for an ioreq server's
    pages the legacy way (in guest frames).  Each on a guest of its own,
    destroyed after."""
    kind = "hvm-sealed"
    for tag, extra, holder, want in (
            ("vga", "'vga=\"stdvga\"'", None, "emulates a VGA card"),
            ("ioreq-legacy", "", "ioreq-legacy", "legacy HVM_PARAM_IOREQ_PFN")):
        dom0.run("xl create -p /etc/xen/%s.cfg %s" % (kind, extra), timeout=90)
        domid = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())
        try:
            if holder:
                full.hold(dom0, "%s %d %s" % (full.ATTACK, domid, holder), "legacy")
                log("ovmf: dom0 holds %s" % dom0.run("head -1 /tmp/legacy.out").stdout
                    .decode(errors="replace").strip())
            req = full.bind_request(dom0, env, pubfile, serial_fpr, domid,
                                    kind + "-" + tag, out)
            full.bind_refused(dom0, domid, "ovmf: " + tag, req, want,
                              "dom0's %s" % (holder or extra))
        finally:
            if holder:
                dom0.run("kill $(cat /tmp/legacy.pid)", check=False)
            dom0.run("xl destroy %d" % domid, check=False, timeout=60)


def bound(q, dom0, password, a, serial_fpr):
    """The OVMF guest created paused, bound at the default least level
    (sealed), unpaused, logged in to through the user's pipeline."""
    out = os.path.abspath(a.out)
    kind = "hvm-sealed"
    env, pubfile = full.setup_env(dom0, a, serial_fpr)   # SCCRYPT_REQUIRE=sealed
    refusals(dom0, env, pubfile, serial_fpr, out)
    mark = len(q.serial())
    t0 = time.monotonic()
    secret = "sccrypt-unsent-" + os.urandom(6).hex()
    taps = []
    try:
        domid = full.bind_new(dom0, env, pubfile, serial_fpr, kind, out,
                              extra=DOOR_SERIALS % "null",
                              prep=lambda d: taps.extend(open_doors(dom0, d, secret)))
    except full.Check as e:
        ser = bytes(q.serial()[mark:])
        why = re.findall(rb"bind refused: not pristine \(reason (\d+)\)", ser)
        lines = [ln for ln in ser.decode(errors="replace").splitlines() if "SCCrypt" in ln]
        log("ovmf: the bind was refused; pristine reasons on Xen's serial line: %s; "
            "Xen's SCCrypt lines:\n%s" % ([int(x) for x in why] or "none",
                                           "\n".join(lines[-20:])))
        raise Check("ovmf: %s" % e)
    log("ovmf: %s: domid %d created paused and bound in %.0fs"
        % (kind, domid, time.monotonic() - t0))
    before, txt = dm_state(dom0, kind, domid, "bound, paused")
    p = full.Pipe(dom0, env, domid, kind, kind, out)
    t1 = None
    times = {}
    tl = Timeline(p.s, os.path.join(out, "timeline-bound-plain.txt"))
    try:
        tu = unpause(dom0, domid)
        t1 = time.monotonic()
        for pat, what in SEALED_PATS:
            try:
                p.s.expect(pat, max(1, full.HVM_BOOT - (time.monotonic() - t1)), what=what)
                times[what] = time.monotonic() - t1
                log("ovmf: bound %s: %s through sc-dec %.0fs after unpause"
                    % (kind, what, times[what]))
            except Fail as e:
                log("ovmf: bound %s: no %s through sc-dec within %ds (%s)"
                    % (kind, what, full.HVM_BOOT, str(e)[-200:]))
                if p.dead():
                    raise
        if "login prompt" not in times:
            raise Check("ovmf: the bound OVMF guest showed no login prompt within %ds"
                        % full.HVM_BOOT)
        p.login(password, 60)
        secret_cmd = "echo result=$((%s))-%s  # %s" % (
            "+".join(str(i) for i in range(1, 101)), kind, os.urandom(8).hex())
        p.commands(secret_cmd)
        m = p.s.mark()
        p.s.send(b"echo efi=$(ls /sys/firmware/efi >/dev/null 2>&1 && echo yes || echo no) "
                 b"xen=$(ls /sys/bus/xen/devices 2>/dev/null | tr '\\n' ,)\n")
        g = p.s.expect(rb"efi=(yes|no) xen=(\S*)\r?\n", 60, m,
                       what="the guest's EFI and Xen bus")
        log("ovmf: bound guest: booted by EFI: %s; Xen bus devices: %s"
            % (g.group(1).decode(), g.group(2).decode() or "none"))
        times.update(disk_times(dom0, kind, tu))
        # Sealed: no attack of dom0's may work, its mapcache's included, nor
        # the doors it opened before the bind.
        doors = try_doors(p.s, dom0, taps, secret, "ovmf: bound %s" % kind)
        for n, (st, ln) in sorted(doors.items()):
            if st == "GOT":
                raise Check("ovmf: dom0's door worked against the sealed guest: %s" % ln)
        full.inside_checks(p.s, dom0, domid, kind, ())
        p.logout()
    except (Fail, Check, full.Check):
        p.relay_state(dom0)
        after, txt = dm_state(dom0, kind, domid, "at the failure")
        with open(os.path.join(out, "dm-after-bound.txt"), "w") as f:
            f.write(txt)
        evidence(dom0, domid, out, "bound")
        dom0.run("xl destroy %d" % domid, check=False, timeout=60)
        raise
    finally:
        tl.stop()
        p.s.kill()
        dom0.run("kill $(cat /tmp/spy.pid) $(cat /tmp/com*.pid) 2>/dev/null", check=False)
    log("ovmf: bound guest: unpause to the end of the session %.0fs" % (time.monotonic() - t1))
    dec = p.rc("dec")
    if dec != "0":
        raise Check("ovmf: sc-dec exited %s (stderr: %s)" % (dec, p.err("dec")))
    lvl = re.search(SEALED_LEVEL, p.err("dec"), re.M)
    if not lvl:
        raise Check("ovmf: sc-dec printed no seal level line, or another level: %s"
                    % p.err("dec"))
    log("ovmf: bound guest: %s" % lvl.group(0))
    plain = bytes(p.s.buf)
    for pat, what in BOUND_SEEN:
        if not re.search(pat, plain):
            raise Check("ovmf: the user did not see %s (%r) through sc-dec" % (what, pat))
    after, txt = dm_state(dom0, kind, domid, "at the end")
    with open(os.path.join(out, "dm-after-bound.txt"), "w") as f:
        f.write(txt)
    log("ovmf: bound guest's QEMU:\n%s" % txt)
    evidence(dom0, domid, out, "bound")
    cap = dom0.run("cat /tmp/cap-in-%s /tmp/cap-out-%s /tmp/relay-%s.err "
                   "/var/log/xen/* 2>/dev/null; xenstore-ls -f; dmesg; xl dmesg"
                   % (kind, kind, kind), check=False, timeout=60).stdout
    with open(os.path.join(out, "dom0-captured-bound.bin"), "wb") as f:
        f.write(cap)
    for probe in (password, secret_cmd, secret_cmd.split("#")[-1].strip()):
        if probe.encode() in cap:
            raise Check("ovmf: dom0 captured something the user typed: %r" % probe[:20])
    for leak in (b"result=5050", b"Welcome to the sccrypt test guest",
                 b"UEFI Interactive Shell"):
        if leak in cap:
            raise Check("ovmf: dom0 captured guest output in plaintext: %r" % leak)
    log("ovmf: nothing typed or printed appears in %d bytes dom0 captured" % len(cap))
    full.break_session(dom0, env, domid, kind, password, out)
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    try:    # Xen prints the UART's counters when the domain goes
        u = q.expect(rb"SCCrypt: d%d: UART: [^\r\n]*" % domid, 30, mark)
        log("ovmf: bound guest: %s" % u.group(0).decode(errors="replace"))
    except Fail:
        log("ovmf: bound guest: Xen printed no UART counters")
    log("ovmf: figures: bound OVMF guest: %s; mapcache trace lines %d bound and paused, "
        "%d at the end (buckets %d), privcmd mappings %d -> %d, gntdev %d -> %d; PV disk "
        "after the bind: %d connects, %d disconnects, QEMU read %d bytes"
        % (", ".join("%s %.0fs" % kv for kv in times.items()), before["trace"],
           after["trace"], after["remap"], before["privcmd"], after["privcmd"],
           before["gntdev"], after["gntdev"], after["connect"] - before["connect"],
           after["disconnect"] - before["disconnect"], after["rchar"] - before["rchar"]))
    if after["trace"] != before["trace"]:
        raise Check("ovmf: QEMU used its mapcache %d times for the bound guest"
                    % (after["trace"] - before["trace"]))


def run_sealed(q, dom0, password, a, serial_fpr):
    parts = os.environ.get("SCCRYPT_HVMSEALED_PARTS", "unbound,bound").split(",")
    out = os.path.abspath(a.out)
    if "control" in parts:
        cb, ca, ct = control(dom0, password, out)
        log("ovmf: figures: control (SeaBIOS, direct kernel boot, unbound): mapcache trace "
            "lines %d before unpause, %d at the end (buckets %d), login prompt %s"
            % (cb["trace"], ca["trace"], ca["remap"],
               "%.0fs" % ct["login prompt"] if "login prompt" in ct else "not seen"))
    failed = []
    if "unbound" in parts:
        sb, sa, st, efi, doors = unbound(dom0, password, out, q)
        log("ovmf: figures: unbound OVMF guest: mapcache trace lines %d before unpause, "
            "%d at the end (buckets %d), privcmd mappings %d -> %d, gntdev %d -> %d, "
            "PV disk %d connects, QEMU read %d bytes after unpause; %s"
            % (sb["trace"], sa["trace"], sa["remap"], sb["privcmd"], sa["privcmd"],
               sb["gntdev"], sa["gntdev"], sa["connect"], sa["rchar"] - sb["rchar"],
               ", ".join("%s %.0fs" % kv for kv in st.items()) or "no output"))
        try:
            judge_unbound(sb, sa, st, efi, doors)
        except Check as e:      # the bound parts still run: they tell more
            log("ovmf: FAILED (going on with the other parts): %s" % e)
            failed.append(e)
    if "bound-norelay" in parts:
        bound_norelay(q, dom0, password, a, serial_fpr)
    if "bound" in parts:
        bound(q, dom0, password, a, serial_fpr)
    if failed:
        raise failed[0]
