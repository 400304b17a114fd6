# SPDX-License-Identifier: MIT
"""The HVM seal's attacks (issue 15, items 3 and 6), run by check_xen.py
--mode hvmseal.

An HVM guest has a device model in dom0 (QEMU: its PCI configuration space,
fw_cfg, the ports and MMIO it claimed) that a PV or PVH guest does not.
Each attack is run against a bound HVM guest, where it must get nothing,
and against an unbound one, where it must get what it went for; each is
judged by what dom0 (or the guest, for what dom0 made it receive) got:

  mapcache      guest RAM mapped the way QEMU's mapcache maps it, the guest's
                marker found in it (sc-xen-attack suite hvm)
  dm-*          interrupts injected by dm_op (ISA IRQ, PCI INTx, MSI, event);
                for IRQ 1 the guest's own i8042 interrupt count tells
  ps2           a key dom0 types into QEMU's PS/2 keyboard (QMP send-key):
                the guest's i8042 interrupt count, and what it reads from
                ports 0x60 and 0x64; ps2-firmware: whether SeaBIOS finds the
                keyboard at all
  rep-io        a device model of dom0's own (ioreq-spy, made before the bind
                and admitted by it: its pages are Xen's) is handed a guest
                address by a `rep outsb` and reads an unsent secret through it
  xl-dmesg      the guest's marker written to port 0xe9 found in Xen's
                console ring
and the bind's refusal while a mapping of guest RAM is held (as QEMU's
mapcache holds one), with the device-model reason.

The bound guest does not reach a shell here: sealed, SeaBIOS reads the
kernel and initramfs through QEMU's fw_cfg port one byte per I/O request
(string I/O by value), and the log gives the rate.  So dom0's attacks on it
run while its firmware reads, the i8042 is judged by what SeaBIOS found,
rep-io by QEMU staying alive through the by-value reads (handed a guest
address it cannot map, QEMU 7.2 segfaults), and the guest-side checks run on
the unbound control, whose console is QEMU's COM1 (`xl console -t serial`).
"""

import os
import re
import secrets
import shlex
import time

from xenqemu import Stream, Fail, log
import full
from full import ATTACK, MARKER, RELAY, Check, hold, release, xs, host

SPY_PORT = 0x500
GUEST_IO = "/bin/sc-guest-io"
BOOT = 1200
# Sealed, SeaBIOS reads the kernel and initramfs through fw_cfg one byte per
# I/O exit (string I/O by value).
BOOT_BOUND = 1500


def cfg(dom0, name, bound):
    """An HVM guest of the configuration a sealed one needs (hvm.cfg).  The
    bound one on its PV console (hvc0, which the bind takes as for PVH), the
    unbound control on QEMU's COM1 (hvm-serial.cfg, `xl console -t serial`)."""
    dom0.run("sed -e 's/^name = .*/name = \"%s\"/' "
             "-e 's/^cmdline = .*/cmdline = \"console=%s quiet\"/' "
             "/etc/xen/%s.cfg > /tmp/%s.cfg && cat /tmp/%s.cfg"
             % (name, "hvc0" if bound else "ttyS0", "hvm" if bound else "hvm-serial",
                name, name))
    dom0.run("xl create -p /tmp/%s.cfg" % name, timeout=120)
    return int(dom0.run("xl domid %s" % name).stdout.strip())


def cmd(s, line, pattern, what, timeout=60):
    m = s.mark()
    s.send(line.encode() + b"\n")
    return s.expect(pattern, timeout, m, what=what)


def kbd_irqs(s, what):
    m = cmd(s, "echo kbd=$(awk '/i8042/ {n += $2} END {print n + 0}' /proc/interrupts)=",
            rb"kbd=(\d+)=", what)
    return int(m.group(1))


def guest_side(s, dom0, domid, frame, tag):
    """What the guest sees of the device model's doors (the ps2 attack, dm_op
    IRQ 1), and sc-xen-attack's suite.  Returns ({name: (GOT|nothing, line)},
    the suite's results)."""
    res = {}
    # The marker to port 0xe9 first: the suite then looks for it in Xen's ring.
    cmd(s, "%s puts 0xe9 %s; echo e9=done" % (GUEST_IO, shlex.quote(MARKER)), rb"e9=done",
        "%s: marker to port 0xe9" % tag)
    k0 = kbd_irqs(s, "%s: i8042 interrupts" % tag)
    st = cmd(s, "echo st=$(%s inb 0x64)= da=$(%s inb 0x60)=" % (GUEST_IO, GUEST_IO),
             rb"st=([0-9a-f]{2})= da=([0-9a-f]{2})=", "%s: ports 0x64 and 0x60" % tag)
    r = dom0.run("%s %d ps2-key" % (ATTACK, domid), check=False, timeout=30)
    sent = r.stdout.decode(errors="replace").strip()
    time.sleep(2)
    k1 = kbd_irqs(s, "%s: i8042 interrupts after dom0's key" % tag)
    line = ("ps2: QMP send-key: %s; guest's i8042 interrupts %d -> %d; guest reads "
            "0x64=%s 0x60=%s" % (sent, k0, k1, st.group(1).decode(), st.group(2).decode()))
    res["ps2"] = ("GOT" if k1 > k0 else "nothing", line)
    # dm_op IRQ 1, judged by the guest's own count.
    r = dom0.run("%s %d suite hvm %s %s" % (ATTACK, domid, frame, shlex.quote(MARKER)),
                 check=False, timeout=180)
    suite = {}
    for ln in r.stdout.decode(errors="replace").splitlines():
        m = re.match(r"attack (\S+): (GOT|nothing|n/a)", ln)
        if m:
            suite[m.group(1)] = (m.group(2), ln)
    time.sleep(1)
    k2 = kbd_irqs(s, "%s: i8042 interrupts after dom0's dm_op IRQ 1" % tag)
    res["dm-isa-irq-seen"] = ("GOT" if k2 > k1 else "nothing",
                              "dm-isa-irq as the guest saw it: i8042 interrupts %d -> %d"
                              % (k1, k2))
    return res, suite


def dm_events(dom0, domid, tag):
    """MSI and event injection, last (they have crashed a running guest on
    QEMU's emulated SVM); {name: (state, line)} and the guest's state after."""
    r = dom0.run("%s %d dm-events" % (ATTACK, domid), check=False, timeout=60)
    res = {}
    for ln in r.stdout.decode(errors="replace").splitlines():
        m = re.match(r"attack (\S+): (GOT|nothing|n/a)", ln)
        if m:
            res[m.group(1)] = (m.group(2), ln)
    time.sleep(3)
    st = dom0.run("xl list %d | tail -1" % domid, check=False).stdout.decode().strip()
    log("%s: after dom0's MSI and event injection: %s" % (tag, st))
    return res


def spy_result(dom0, tag):
    dom0.run("kill $(cat /tmp/%s.pid)" % tag)
    out = ""
    for _ in range(50):
        out = dom0.run("cat /tmp/%s.out" % tag, check=False).stdout.decode(errors="replace")
        if re.search(r"attack rep-io: ", out):
            break
        time.sleep(0.2)
    m = re.search(r"(attack rep-io: (GOT|nothing).*)", out)
    spy = [ln for ln in out.splitlines() if ln.startswith("spy:")]
    for ln in spy[:6]:
        log("  %s" % ln)
    if len(spy) > 6:
        log("  ... %d more spy lines" % (len(spy) - 6))
    if not m:
        raise Fail("the ioreq spy did not report: %s" % out.strip()[-500:])
    return m.group(2), m.group(1)


def rep_io(s, secret, tag):
    cmd(s, "echo %s | %s outs 0x%x; echo outs=done" % (secret, GUEST_IO, SPY_PORT),
        rb"outs=done", "%s: rep outsb to the spy's port" % tag)


def bound_refusal(dom0, domid, reqdata):
    """A mapping of the guest's RAM held across the bind, as QEMU's mapcache
    holds one: refused, naming the device model and what to configure."""
    hold(dom0, "%s %d hold-map 0x100" % (ATTACK, domid))
    full.bind_refused(dom0, domid, "hvm", reqdata, "device model",
                      "a page of its RAM mapped (mapcache)")
    release(dom0)


def firmware(dom0, domid, tag, timeout):
    """Waits until the guest's SeaBIOS boots its option ROM (Xen's console
    ring: port 0xe9); returns what it printed."""
    end = time.monotonic() + timeout
    while True:
        out = dom0.run("xl dmesg | grep -a '^(d%d)'" % domid, check=False).stdout.decode(
            errors="replace")
        if "Booting from ROM" in out:
            return out
        if time.monotonic() > end:
            raise Fail("%s: SeaBIOS did not boot its option ROM within %ds" % (tag, timeout))
        time.sleep(3)


def ps2_firmware(fw, tag):
    """SeaBIOS probes the i8042 before it boots: it finds the keyboard QEMU
    emulates, or nothing where the ports are dead."""
    found = "PS2 keyboard initialized" in fw
    return ("GOT" if found else "nothing",
            "ps2-firmware: %s's SeaBIOS %s" % (tag, "found QEMU's PS/2 keyboard (i8042)"
                                                if found else "found no PS/2 keyboard "
                                                "(i8042 ports dead)"))


def ioreq_rate(dom0, seconds=20):
    """The device model's I/O requests per second (one event-channel read
    each): (alive, rate)."""
    pid = dom0.run("ps | grep '[x]en-qemu-system' | awk '{print $1}' | head -1",
                   check=False).stdout.decode().strip()
    if not pid:
        return False, 0.0
    r = dom0.run("a=$(grep syscr /proc/%s/io | cut -d' ' -f2); sleep %d; "
                 "b=$(grep syscr /proc/%s/io | cut -d' ' -f2); echo $((b - a))"
                 % (pid, seconds, pid), check=False, timeout=seconds + 30)
    try:
        return True, int(r.stdout.decode().strip()) / seconds
    except ValueError:
        return False, 0.0


def dom0_suite(dom0, domid, tag):
    frame = xs(dom0, "/local/domain/%d/console/ring-ref" % domid)
    r = dom0.run("%s %d suite hvm %s %s" % (ATTACK, domid, frame, shlex.quote(MARKER)),
                 check=False, timeout=180)
    res = {}
    for ln in r.stdout.decode(errors="replace").splitlines():
        m = re.match(r"attack (\S+): (GOT|nothing|n/a)", ln)
        if m:
            res[m.group(1)] = (m.group(2), ln)
    return res


def bind(dom0, env, out, pubfile, serial_fpr, domid, tag, refusal=False):
    """Binds the guest (a new key); first, with refusal, checks the bind is
    refused while a page of its RAM is mapped."""
    uuid = xs(dom0, "/local/domain/%d/vm" % domid).split("/")[-1]
    key = os.path.join(out, "key-" + tag)
    host(["sc-keygen", "-k", key], env=env)
    req = os.path.join(out, "req-" + tag)
    chal = full.fetch_challenge(dom0, domid, tag, out)
    host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
          "--domain", uuid, "--challenge", chal, "-o", req], env=env)
    with open(req, "rb") as f:
        reqdata = f.read()
    if refusal:
        bound_refusal(dom0, domid, reqdata)
    r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=reqdata,
                 check=False, timeout=60)
    err = r.stderr.decode(errors="replace").strip()
    if r.returncode != 0:
        raise Check("%s: binding the HVM guest (QEMU's ioreq server and dom0's spy "
                    "with Xen's pages) failed: %s" % (tag, err))
    log("%s: bound with QEMU's and the spy's ioreq servers: %s" % (tag, err.splitlines()[-1]))


def bound_guest(dom0, env, out, pubfile, serial_fpr):
    """The bound HVM guest: the bind's refusal and acceptance, then dom0's
    attacks while its firmware reads the kernel (by value: it does not reach
    a shell in a check-xen run's time, see the log's rate)."""
    tag = "hvm-bound"
    domid = cfg(dom0, "guest-" + tag, True)
    secret = "sccrypt-unsent-" + secrets.token_hex(6)
    hold(dom0, "%s %d ioreq-spy 0x%x %s" % (ATTACK, domid, SPY_PORT, secret), "spy")
    bind(dom0, env, out, pubfile, serial_fpr, domid, tag, refusal=True)
    t0 = time.monotonic()
    dom0.run("xl unpause %d" % domid)
    fw = firmware(dom0, domid, tag, 600)
    log("%s: SeaBIOS boots its option ROM %.0fs after unpause" % (tag, time.monotonic() - t0))
    res = {"ps2-firmware": ps2_firmware(fw, tag)}
    res.update(dom0_suite(dom0, domid, tag))
    r = dom0.run("%s %d ps2-key" % (ATTACK, domid), check=False, timeout=30)
    log("%s: dom0's key to QEMU's PS/2 keyboard: %s (its IRQ 1 is the dm_op "
        "dm-isa-irq tries)" % (tag, r.stdout.decode(errors="replace").strip()))
    time.sleep(30)
    alive, rate = ioreq_rate(dom0)
    size = int(dom0.run("cat /boot/vmlinuz /boot/guest.cpio.gz | wc -c").stdout.strip())
    log("%s: QEMU %s %.0fs after unpause, serving %.0f I/O requests/s while the "
        "firmware reads the kernel by value: %d bytes would take %.0f s"
        % (tag, "alive" if alive else "GONE", time.monotonic() - t0, rate, size,
           size / rate if rate else float("inf")))
    if not alive:
        raise Check("%s: QEMU died after the bind (handed a guest address it could not "
                    "map?)" % tag)
    res.update(dm_events(dom0, domid, tag))
    for n, (st, ln) in sorted(res.items()):
        log("%s: %s" % (tag, ln if ln.startswith("attack") else "attack %s: %s (%s)"
                        % (n, st, ln)))
    res["rep-io"] = ("n/a", "attack rep-io: n/a (the sealed guest runs no program of ours "
                     "before its kernel is in; QEMU's fw_cfg string I/O goes by value: "
                     "it is alive)")
    dom0.run("kill $(cat /tmp/spy.pid)", check=False)
    dom0.run("xl destroy %d" % domid, timeout=60)
    return res


def unbound_guest(dom0, password, out):
    """The control: the same guest unbound, each attack through to what it
    went for."""
    tag = "hvm-unbound"
    domid = cfg(dom0, "guest-" + tag, False)
    secret = "sccrypt-unsent-" + secrets.token_hex(6)
    hold(dom0, "%s %d ioreq-spy 0x%x %s" % (ATTACK, domid, SPY_PORT, secret), "spy")
    t0 = time.monotonic()
    dom0.run("xl unpause %d" % domid)
    s = Stream(dom0.ssh_argv("root", ["-tt"]) + ["xl console -t serial %d" % domid],
               os.path.join(out, "console-%s.log" % tag))
    try:
        s.expect(rb"login: ", BOOT, what="%s login prompt" % tag)
        log("%s: login prompt %.0fs after unpause" % (tag, time.monotonic() - t0))
        full.root_login(s, password, tag)
        rep_io(s, secret, tag)
        frame = xs(dom0, "/local/domain/%d/console/ring-ref" % domid)
        res, suite = guest_side(s, dom0, domid, frame, tag)
        res["rep-io"] = spy_result(dom0, "spy")
        res.update(suite)
        fw = dom0.run("xl dmesg | grep -a '^(d%d)'" % domid, check=False).stdout.decode(
            errors="replace")
        res["ps2-firmware"] = ps2_firmware(fw, tag)
        s.send(b"exit\n")
    finally:
        s.kill()
    for n, (st, ln) in sorted(res.items()):
        log("%s: %s" % (tag, ln if ln.startswith("attack") else "attack %s: %s (%s)"
                        % (n, st, ln)))
    # Last: they have crashed a running guest on QEMU's emulated SVM (which
    # then is gone: on_crash="destroy").
    res.update(dm_events(dom0, domid, tag))
    dom0.run("xl destroy %d" % domid, check=False, timeout=60)
    return res


def run(q, dom0, password, a, serial_fpr):
    out = os.path.abspath(a.out)
    env, pubfile = full.setup_env(dom0, a, serial_fpr)
    # SCCRYPT_HVMSEAL_PARTS=bound or =unbound runs one half (a re-run on a
    # busy machine); the checks that need both are then skipped.
    parts = os.environ.get("SCCRYPT_HVMSEAL_PARTS", "bound,unbound").split(",")
    after = bound_guest(dom0, env, out, pubfile, serial_fpr) if "bound" in parts else {}
    before = unbound_guest(dom0, password, out) if "unbound" in parts else {}
    for tag, res in (("hvm-bound", after), ("hvm-unbound", before)):
        for n, (st, ln) in sorted(res.items()):
            log("%s: %s" % (tag, ln if ln.startswith("attack") else "attack %s: %s (%s)"
                            % (n, st, ln)))
    for n, (st, ln) in sorted(after.items()):
        if st == "GOT":
            raise Check("dom0 attack worked against the bound HVM guest: %s" % ln)
    controls = ("mapcache", "dm-isa-irq", "dm-pci-intx", "dm-msi", "dm-event", "xl-dmesg",
                "rep-io", "ps2", "ps2-firmware", "dm-isa-irq-seen")
    for n in controls if before else ():
        st, ln = before.get(n, ("missing", n))
        if st != "GOT":
            raise Check("control: attack %s got nothing from the unbound HVM guest: %s"
                        % (n, ln))
        if n in after and after[n][0] not in ("nothing", "n/a"):
            raise Check("attack %s was not tried against the bound guest" % n)
    if before:
        log("hvm: %d attacks worked against the unbound guest"
            % sum(1 for st, _ in before.values() if st == "GOT"))
    if after:
        log("hvm: none of %d attacks worked against the bound guest" % len(after))
