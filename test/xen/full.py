# SPDX-License-Identifier: MIT
"""The SCCrypt check of issue 5, run by check_xen.py --mode full.

For a PV and a PVH guest, each created paused, bound, then unpaused:
  - the VMM key dom0's relay hands out has the fingerprint Xen printed on
    its own serial line at boot (read by the host, outside dom0);
  - the user's pipeline `sc-enc | ssh op@dom0 sudo sc-relay DOMID | sc-dec`
    answers the guest's login and password prompts and runs commands whose
    output is checked byte-exact;
  - dom0 tries three reads of the bound guest (foreign map of its console
    frame, of another frame, grant map of entry 0), each refused, after a
    control read of the same kind that worked before the bind;
  - nothing the user typed appears in what dom0 captured (the relay's
    stdin and stdout, logs, xenstore, the kernel and hypervisor logs).
"""

import os
import re
import secrets
import shlex
import subprocess
import sys
import time

from xenqemu import Stream, Fail, log

RELAY = "sudo /usr/local/bin/sc-relay -b xen"
PEEK = "/usr/local/bin/sc-xen-peek"
ATTACK = "/usr/local/bin/sc-xen-attack"
HVM_PARAM_CONSOLE_PFN = 17
# What every test guest's init writes to its console first: the attacks
# count as working only when the bytes they read contain it.
MARKER = "sccrypt-guest: init up"
CONTROL_WAIT = 150
# Attacks through a mapping taken before the bind: against a bound guest they
# are refused at the bind (no bind while the mapping is held), and a new
# mapping is refused after it.
HELD_BEFORE_BIND = ("gnttab-held-read", "gnttab-held-inject")


class Check(Exception):
    pass


def host(argv, **kw):
    r = subprocess.run(argv, capture_output=True, timeout=60, **kw)
    if r.returncode != 0:
        raise Fail("%s exited %d: %s" % (argv[0], r.returncode,
                                         r.stderr.decode(errors="replace").strip()))
    return r


def xs(dom0, path):
    return dom0.run("xenstore-read %s" % path).stdout.decode().strip()


def peek(dom0, domid, what, val):
    r = dom0.run("%s %d %s %s" % (PEEK, domid, what, val), check=False)
    return r.returncode, r.stdout.decode().strip()


def root_login(s, password, what, enter=b"\n", write=None, wait=60):
    """At a login prompt on stream s: root, the password, the shell's
    prompt.  write: how keys are typed (default s.send); enter: the Enter
    key (CR from a terminal or xl console)."""
    write = write or s.send
    m = s.mark()
    write(b"root" + enter)
    s.expect(rb"Password: ", wait, m, what="%s password prompt" % what)
    m = s.mark()
    write(password.encode() + enter)
    s.expect(rb"guest# ", wait, m, what="%s shell prompt" % what)


class Pipe:
    """The user's pipeline `sc-enc | ssh op@dom0 sudo sc-relay DOMID | sc-dec`
    as a Stream; TAG names its logs and dom0's capture files."""

    def __init__(self, dom0, env, domid, kind, tag, outdir, takeover=False, tty=None,
                 enc_args=""):
        """tty: sc-enc reads that terminal (keystroke obfuscation on), and the
        relay's input is tapped (/tmp/tap-TAG: when each record came);
        enc_args: more options for sc-enc."""
        self.kind, self.tag, self.outdir = kind, tag, outdir
        ssh = " ".join(shlex.quote(x) for x in dom0.ssh_argv("op"))
        key = shlex.quote(os.path.join(outdir, "key-%s" % kind))
        # -v: the relay's syslog lines (its session end counts) go to /tmp/relay-TAG.err too
        relay = RELAY + " -v" + (" --takeover" if takeover else "")
        tap = "%s 0 tap /tmp/tap-%s | " % (ATTACK, tag) if tty else ""
        remote = ("tee /tmp/cap-in-%s | %s%s %d 2>/tmp/relay-%s.err | tee /tmp/cap-out-%s"
                  % (tag, tap, relay, domid, tag, tag))
        for t in ("enc", "dec"):
            if os.path.exists(self.path("%s.rc" % t)):
                os.unlink(self.path("%s.rc" % t))
        pipeline = (
            "{ sc-enc -k %s %s%s; echo $? > %s; } 2> %s | %s %s | "
            "{ sc-dec -k %s; echo $? > %s; } 2> %s"
            % (key, enc_args, " < " + shlex.quote(tty) if tty else "", self.path("enc.rc"),
               self.path("enc.err"), ssh, shlex.quote(remote),
               key, self.path("dec.rc"), self.path("dec.err")))
        self.s = Stream(["bash", "-c", pipeline], self.path("plain.log"), env=env,
                        dead=self.dead)

    def path(self, what):
        return os.path.join(self.outdir, "%s-%s" % (self.tag, what))

    def rc(self, tool):
        try:
            with open(self.path("%s.rc" % tool)) as f:
                return f.read().strip() or None
        except OSError:
            return None

    def err(self, tool):
        try:
            with open(self.path("%s.err" % tool)) as f:
                return f.read().strip()
        except OSError:
            return ""

    def dead(self):
        for tool in ("enc", "dec"):
            if self.rc(tool) is not None:
                return "sc-%s exited %s (%s)" % (tool, self.rc(tool), self.err(tool))
        return None

    def wait_dec(self, timeout):
        """Waits for sc-dec to exit on its own; returns (rc, stderr)."""
        end = time.monotonic() + timeout
        while self.rc("dec") is None:
            if time.monotonic() > end:
                raise Fail("%s: sc-dec did not exit within %ds" % (self.tag, timeout))
            time.sleep(0.2)
        return self.rc("dec"), self.err("dec")

    def login(self, password, timeout=240, write=None, enter=b"\n"):
        """Logs in as root.  write: how keys are typed (default: into
        sc-enc's stdin; a terminal's master for a tty session, whose Enter
        is CR)."""
        self.s.expect(rb"login: ", timeout, what="%s login prompt through sc-dec" % self.kind)
        root_login(self.s, password, self.kind, enter, write)

    def end_tty(self, write, pause):
        """Ends a tty session as a user does: exit, then (pause seconds
        after the login prompt) the escape ~.; sc-dec's (status, stderr)."""
        m = self.s.mark()
        write(b"exit\r")
        self.s.expect(rb"login: ", 60, m, what="%s login prompt after exit" % self.tag)
        time.sleep(pause)
        write(b"~.")
        return self.wait_dec(60)

    def reprompt(self, write=None, enter=b"\n"):
        """A session after another logged out: Enter until the login prompt
        (a first Enter may meet the password prompt of an empty login; a
        second one restarts it)."""
        s, kind = self.s, self.kind
        write = write or s.send
        write(enter)
        m = s.expect(rb"login: |Password: ", 90, what="%s: a prompt in a new session" % kind)
        if m.group(0) == b"Password: ":
            write(enter)
            s.expect(rb"login: ", 60, m.end(), what="%s: the login prompt again" % kind)

    def commands(self, secret_cmd):
        s, kind = self.s, self.kind
        m = s.mark()
        s.send(secret_cmd.encode() + b"\n")
        want = b"result=" + str(sum(range(1, 101))).encode() + b"-" + kind.encode()
        s.expect(rb"\r?\n" + want + rb"\r?\n", 60, m, what="%s command output" % kind)
        m = s.mark()
        s.send(b"printf 'a\\tb\\\\n%s|\\n' \"$(uname -s)\"\n")
        s.expect(rb"a\tb\\nLinux\|\r?\n", 60, m, what="%s byte-exact output" % kind)

    def logout(self, timeout=90):
        """Ends the shell, then the input: the pipeline's exit status once it ended."""
        self.s.send(b"exit\n")
        self.s.close_input()
        return self.s.wait(timeout)

    def relay_state(self, dom0):
        r = dom0.run("ls -la /tmp; cat /tmp/relay-%s.err" % self.tag, check=False)
        log("dom0 relay state:\n" + r.stdout.decode(errors="replace"))


def session(dom0, a, env, domid, kind, password, secret_cmd, outdir, tag=None,
            takeover=False, boot=240, level=None):
    """One user session through the pipeline: login (or, taking over a
    logged-in session, a fresh shell prompt), commands, exit."""
    p = Pipe(dom0, env, domid, kind, tag or kind, outdir, takeover)
    try:
        if takeover:
            p.s.send(b"\n")
            p.s.expect(rb"guest# ", 60, what="%s shell prompt after the takeover" % kind)
        else:
            p.login(password, boot)
        p.commands(secret_cmd)
        rc = p.logout()
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
    enc, dec = p.rc("enc"), p.rc("dec")
    log("%s guest (domid %d): session%s over the pipeline ok (sc-enc %s, sc-dec %s, "
        "pipeline %d)" % (kind, domid, " (takeover)" if takeover else "", enc, dec, rc))
    # The relay's own count (issue 11): input records, hypercalls (one XEN_SCCRYPT_xfer per
    # exchange) and event-channel wake-ups over the whole session.
    r = dom0.run("grep -h 'session end' /tmp/relay-%s.err" % p.tag, check=False)
    line = r.stdout.decode(errors="replace").strip().splitlines()
    if line:
        log("%s guest: relay %s" % (kind, line[-1][line[-1].find("session end"):]))
    if dec != "0":
        raise Check("%s: sc-dec exited %s (expected 0: a clean quiet close); stderr: %s"
                    % (kind, dec, p.err("dec")))
    # The seal level the hypervisor vouched for (sccrypt(7) LEVELS): sealed memory,
    # and QEMU's machine has no IOMMU.
    m = re.search(level or (r"^sc-dec: seal level: console (PV ring|UART), memory sealed, "
                            r"DMA NOT confined \(no strict IOMMU\)$"), p.err("dec"), re.M)
    if not m:
        raise Check("%s: sc-dec printed no seal level line, or another level: %s"
                    % (kind, p.err("dec")))
    log("%s guest: %s" % (kind, m.group(0)))
    return bytes(p.s.buf)


def takeover(dom0, a, env, domid, kind, password, secret_cmd, outdir):
    """A logged-in session is taken over by a second `sc-relay --takeover`:
    the first one's sc-dec exits 6 (busy: taken over) reporting it, the second one works."""
    first = Pipe(dom0, env, domid, kind, kind + "-held", outdir)
    try:
        first.login(password)
        log("%s: first session logged in; taking it over" % kind)
        session(dom0, a, env, domid, kind, password, secret_cmd, outdir,
                tag=kind + "-takeover", takeover=True)
        rc, err = first.wait_dec(60)
    except Fail:
        first.relay_state(dom0)
        raise
    finally:
        first.s.kill()
    if rc != "6" or "took the console over" not in err:
        raise Check("%s: the session taken over: sc-dec exited %s (expected 6 and a "
                    "takeover report): %s" % (kind, rc, err))
    log("%s: the first session's sc-dec exited 6: %s" % (kind, err.splitlines()[-1]))


def guest_gone(dom0, env, domid, kind, outdir):
    """`xl destroy` during a session: sc-dec exits 7 saying the guest went away."""
    p = Pipe(dom0, env, domid, kind, kind + "-gone", outdir)
    try:
        m = p.s.mark()
        p.s.send(b"root\n")
        p.s.expect(rb"Password: ", 60, m, what="%s password prompt" % kind)
        dom0.run("xl destroy %d" % domid, timeout=60)
        rc, err = p.wait_dec(60)
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
    if rc != "7" or "the guest went away" not in err:
        raise Check("%s: xl destroy during a session: sc-dec exited %s (expected 7 and "
                    "a report that the guest went away): %s" % (kind, rc, err))
    log("%s guest destroyed during a session: sc-dec exited 7: %s"
        % (kind, err.splitlines()[-1]))


def suspended_mid_output(dom0, env, domid, kind, password, outdir):
    """dom0 suspends the guest (SCHEDOP_remote_shutdown) while it prints and
    after sc-enc's input ended: the session must never end clean (issue 16:
    the quiet timer ran on and sc-dec exited 0 with the output cut)."""
    # -w 10000: sc-enc's input ends before the suspend; the session may end
    # clean only after 10 s of guest quiet (default 1 s), which a guest
    # printing every 0.3 s never has even on a loaded TCG host (with 1 s it
    # once ended clean before the suspend came).
    p = Pipe(dom0, env, domid, kind, kind + "-suspend", outdir, enc_args="-w 10000")
    try:
        # The guest whose last session logged out waits at its login prompt,
        # shown before this session.
        root_login(p.s, password, kind)
        m = p.s.mark()
        p.s.send(b"for i in $(seq 1 40); do echo line-$i-of-40; sleep 0.3; done\n")
        p.s.expect(rb"line-4-of-40", 60, m, what="%s: the fourth line" % kind)
        p.s.close_input()
        r = dom0.run("%s %d suspend" % (ATTACK, domid), check=False)
        out = r.stdout.decode(errors="replace").strip()
        if r.returncode != 0:
            raise Fail("control: SCHEDOP_remote_shutdown(suspend) of the sealed %s guest "
                       "was refused: %s" % (kind, out))
        rc, err = p.wait_dec(60)
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
    cut = b"line-40-of-40" not in bytes(p.s.buf)
    if rc == "0":
        raise Check("%s: suspended mid-output, sc-dec exited 0 (a clean end)%s: %s"
                    % (kind, " with the output cut" if cut else "", err))
    if "suspended or shut the guest down" not in err:
        raise Check("%s: suspended mid-output: sc-dec exited %s without saying so: %s"
                    % (kind, rc, err))
    log("%s guest suspended by dom0 mid-output (output %s): sc-dec exited %s: %s"
        % (kind, "cut" if cut else "complete", rc, err.splitlines()[-1]))


def lines_of(dom0, path, fields):
    """PATH's lines of FIELDS whole numbers each (others skipped)."""
    out = dom0.run("cat %s" % path, check=False).stdout.decode(errors="replace")
    res = []
    for line in out.splitlines():
        w = line.split()
        if len(w) == fields and all(x.isdigit() for x in w):
            res.append([int(x) for x in w])
    return res


def keystroke_timing(dom0, env, domid, kind, password, outdir, rnd, run=1):
    """The keystroke-timing attack of issue 16, as dom0 makes it: while the
    user types the password at the guest's silent Password: prompt through
    sc-enc on a terminal (obfuscation on: one 36-byte record every 20 ms),
    dom0 polls getvcpuinfo as fast as it answers and names the records after
    which the vCPU woke (its run time grew, or it ran or was not blocked
    within 15 ms).  The truth: a key goes in the first record after it was
    typed; the first record of the burst is the first key (host and dom0
    clocks are aligned on it).  Returns (precision, recall, F1, chance F1,
    records, keys, named)."""
    import pty
    master, slave = pty.openpty()
    tag = "%s-timing%d" % (kind, run)
    p = Pipe(dom0, env, domid, kind, tag, outdir, tty=os.ttyname(slave))
    keys = []
    try:
        m = p.s.mark()
        os.write(master, b"root\r")
        p.s.expect(rb"Password: ", 60, m, what="%s password prompt (timing)" % kind)
        dom0.run("setsid %s %d watch 40 /tmp/watch-%s > /tmp/watch-%s.out 2>&1 < /dev/null &"
                 "echo $! > /tmp/watch-%s.pid" % (ATTACK, domid, tag, tag, tag))
        time.sleep(4)                   # the chaff of "root" stops 1 to 3 s after it
        m = p.s.mark()
        for ch in password + "\r":
            keys.append(time.monotonic())
            os.write(master, ch.encode())
            time.sleep(rnd.uniform(0.12, 0.30))
        p.s.expect(rb"guest# ", 60, m, what="%s shell prompt (timing)" % kind)
        time.sleep(4)
        p.end_tty(lambda b: os.write(master, b), 4)
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
        os.close(master)
        os.close(slave)
    time.sleep(1)
    dom0.run("kill $(cat /tmp/watch-%s.pid) 2>/dev/null; sleep 0.5" % tag, check=False)
    rec = []
    for t, n in lines_of(dom0, "/tmp/tap-%s" % tag, 2):
        rec += [t / 1e9] * max(1, n // 36)
    polls = [(a / 1e9, b, c, d) for a, b, c, d in lines_of(dom0, "/tmp/watch-%s" % tag, 4)]
    if not polls or not rec:
        raise Fail("timing: no poll or tap data (%d polls, %d records)" % (len(polls), len(rec)))
    start = polls[0][0]
    after = [t for t in rec if t > start]
    burst = next((after[i] for i in range(len(after))
                  if after[i] - (after[i - 1] if i else start) > 0.5), None)
    if burst is None:
        raise Fail("timing: no burst of records after the watch started")
    end = burst + (keys[-1] - keys[0]) + 3.5
    win = [t for t in after if burst <= t <= end]
    off = burst - keys[0]
    truth, j = set(), 0
    for k in keys:
        while j < len(win) and win[j] < k + off - 0.005:
            j += 1
        if j < len(win):
            truth.add(j)
            j += 1

    def woke(t0, t1):
        before = [x for x in polls if x[0] <= t0]
        base = before[-1][1] if before else polls[0][1]
        return any(x[2] or not x[3] or x[1] != base for x in polls if t0 < x[0] <= t1)
    named = {i for i, t in enumerate(win) if woke(t, t + 0.015)}
    tp = len(named & truth)
    prec = tp / len(named) if named else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * prec * recall / (prec + recall) if prec + recall else 0.0
    pk, q = len(truth) / len(win), len(named) / len(win)
    chance = 2 * pk * q / (pk + q) if pk + q else 0.0
    return prec, recall, f1, chance, len(win), len(truth), len(named)


def timing_report(dom0, env, domid, kind, password, outdir, runs=2):
    import random
    rnd = random.Random(16)
    res = []
    for i in range(runs):
        r = keystroke_timing(dom0, env, domid, kind, password, outdir, rnd, i + 1)
        res.append(r)
        log("%s: keystroke timing by run time, run %d: %d records, %d keys, %d named; "
            "precision %.2f recall %.2f F1 %.2f (chance F1 %.2f)"
            % (kind, i + 1, r[4], r[5], r[6], r[0], r[1], r[2], r[3]))
    return res


def refused(dom0, cmd, what):
    """cmd (from dom0) must fail with EPERM."""
    r = dom0.run(cmd, check=False)
    out = (r.stdout + r.stderr).decode(errors="replace").strip()
    if r.returncode == 0 or "Operation not permitted" not in out:
        raise Check("%s was not refused with EPERM (exit %d): %s" % (what, r.returncode, out))
    log("refused: %s: %s" % (what, out.splitlines()[-1] if out else ""))


def refused_plain(dom0, cmd, what, reason):
    """cmd (from dom0) must fail with errno text REASON, not with EPERM: the
    control that proves a later EPERM comes from the seal."""
    r = dom0.run(cmd, check=False)
    out = (r.stdout + r.stderr).decode(errors="replace").strip()
    if r.returncode == 0 or reason not in out or "Operation not permitted" in out:
        raise Fail("control: %s before any bind: expected %r (exit %d): %s"
                   % (what, reason, r.returncode, out))
    log("control: %s before any bind: %s" % (what, out.splitlines()[-1] if out else ""))


def allowed(dom0, cmd, what):
    r = dom0.run(cmd, check=False)
    if r.returncode != 0:
        raise Fail("control: %s failed before any bind (exit %d): %s" % (
            what, r.returncode, (r.stdout + r.stderr).decode(errors="replace").strip()))


def attack_suite(dom0, domid, kind, frame):
    """sc-xen-attack's suite against domid: {attack: (GOT|nothing|n/a, line)}."""
    r = dom0.run("%s %d suite %s %s %s" % (ATTACK, domid, kind, frame, shlex.quote(MARKER)),
                 check=False, timeout=120)
    out = r.stdout.decode(errors="replace")
    res = {}
    for line in out.splitlines():
        m = re.match(r"attack (\S+): (GOT|nothing|n/a)", line)
        if m:
            res[m.group(1)] = (m.group(2), line)
    if r.returncode == 2 or not res:
        raise Fail("sc-xen-attack failed (exit %d): %s %s" % (
            r.returncode, out, r.stderr.decode(errors="replace")))
    return r.returncode, res


def control_attacks(dom0, kinds):
    """The dom0 attacks against running guests of each kind that nobody
    bound: each attack must get what it went for (so that a refusal after the
    bind is the seal's doing, not a broken attack).  {kind: results}."""
    ids, frames, results = {}, {}, {}
    for kind in kinds:
        name = "guest-%s-ctl" % kind
        dom0.run("sed 's/^name = .*/name = \"%s\"/' /etc/xen/%s.cfg > /tmp/%s.cfg && "
                 "xl create -p /tmp/%s.cfg" % (name, kind, name, name), timeout=90)
        ids[kind] = int(dom0.run("xl domid %s" % name).stdout.strip())
        # The grant-table mapping taken while the guest is still paused (where
        # a bind would come), held while it runs.
        frame = xs(dom0, "/local/domain/%d/console/ring-ref" % ids[kind])
        hold(dom0, "%s %d hold-gnttab %s %s" % (ATTACK, ids[kind], frame, shlex.quote(MARKER)),
             "gnttab-" + kind)
        dom0.run("xl unpause %d" % ids[kind])
    end = time.monotonic() + CONTROL_WAIT
    while len(results) < len(kinds):
        for kind in kinds:
            if kind in results:
                continue
            frames[kind] = xs(dom0, "/local/domain/%d/console/ring-ref" % ids[kind])
            rc, res = attack_suite(dom0, ids[kind], kind, frames[kind])
            if rc == 0:
                held = held_gnttab_attack(dom0, kind, "gnttab-" + kind)
                if any(state != "GOT" for state, _ in held.values()):
                    raise Check("control: the held grant-table mapping got nothing from "
                                "the unbound %s guest: %s"
                                % (kind, "; ".join(l for _, l in held.values())))
                res.update(held)
                results[kind] = res
                for _, line in sorted(res.values(), key=lambda x: x[1]):
                    log("%s, unbound guest: %s" % (kind, line))
                dom0.run("xl destroy %d" % ids[kind], timeout=60)
            elif time.monotonic() > end:
                raise Check("control: not every attack worked against the unbound %s "
                            "guest: %s" % (kind, "; ".join(l for _, l in res.values())))
        time.sleep(3)
    return results


def sealed_attacks(dom0, domid, kind, frame, before):
    """The same attacks against the bound guest: none may get anything."""
    rc, res = attack_suite(dom0, domid, kind, frame)
    for name, (state, line) in sorted(res.items()):
        log("%s, bound guest: %s" % (kind, line))
        if state == "GOT":
            raise Check("dom0 attack worked against the bound %s guest: %s" % (kind, line))
    for name, (state, line) in before.items():
        if name in HELD_BEFORE_BIND:
            continue        # the bind was refused while it was held (pristine_refusals)
        if state == "GOT" and res.get(name, ("missing",))[0] != "nothing":
            raise Check("attack %s worked before the bind but was not tried after it"
                        % name)
    if rc != 1:
        raise Check("sc-xen-attack exit %d against the bound %s guest" % (rc, kind))


def bind_refused(dom0, domid, kind, reqdata, want, what):
    r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=reqdata, check=False,
                 timeout=60)
    err = r.stderr.decode(errors="replace").strip()
    if r.returncode == 0 or want not in err:
        raise Check("%s: bind with %s: exit %d, expected a refusal naming %r: %s"
                    % (kind, what, r.returncode, want, err))
    log("%s: bind refused with %s: %s" % (kind, what, err.splitlines()[-1]))


def hold(dom0, cmd, tag="hold"):
    """Starts a holder in dom0 (hold-map, hold-gnttab, hold-target) and waits
    until it holds; TAG names its files."""
    dom0.run("setsid %s > /tmp/%s.out 2>&1 < /dev/null & echo $! > /tmp/%s.pid"
             % (cmd, tag, tag))
    for _ in range(50):
        out = dom0.run("cat /tmp/%s.out" % tag, check=False).stdout.decode(errors="replace")
        if "holding" in out:
            return
        if "refused" in out:
            raise Fail("holder %s: %s" % (cmd, out.strip()))
        time.sleep(0.2)
    raise Fail("holder %s did not start: %s" % (cmd, out.strip()))


def release(dom0, tag="hold"):
    dom0.run("kill $(cat /tmp/%s.pid); sleep 1; rm -f /tmp/%s.pid /tmp/%s.out"
             % (tag, tag, tag))


def held_gnttab_attack(dom0, kind, tag):
    """Signals a hold-gnttab holder to attack through the grant-table mapping
    it held since before the guest ran; {attack: (GOT|nothing, line)}."""
    dom0.run("kill -USR1 $(cat /tmp/%s.pid)" % tag)
    res, out = {}, ""
    for _ in range(100):
        out = dom0.run("cat /tmp/%s.out" % tag, check=False).stdout.decode(errors="replace")
        if "attacks:" in out:
            break
        time.sleep(0.3)
    dom0.run("rm -f /tmp/%s.pid /tmp/%s.out" % (tag, tag), check=False)
    for line in out.splitlines():
        m = re.match(r"attack (\S+): (GOT|nothing|n/a)", line)
        if m:
            res[m.group(1)] = (m.group(2), line)
    if "attacks:" not in out or not res:
        raise Fail("the hold-gnttab attack against the %s guest did not report: %s"
                   % (kind, out.strip()))
    return res


def pristine_refusals(dom0, domid, kind, frame, reqdata):
    """A bind is refused while anything made before it could reach the guest:
    a mapping held, a grant entry seeded, a domain whose target it is."""
    # PV: a mapping of the console frame itself (the relay waits, then names
    # the console as held); PVH: of an ordinary page of its RAM.
    if kind == "pv":
        hold(dom0, "%s %d hold-map %s" % (ATTACK, domid, frame))
        bind_refused(dom0, domid, kind, reqdata, "still held", "its console frame mapped")
    else:
        hold(dom0, "%s %d hold-map 0x100" % (ATTACK, domid))
        bind_refused(dom0, domid, kind, reqdata, "holds a mapping", "a page mapped")
    release(dom0)
    # Its grant table mapped (XENMEM_acquire_resource) and held across the
    # bind: through it dom0 could later write an entry naming the console.
    hold(dom0, "%s %d hold-gnttab %s %s" % (ATTACK, domid, frame, shlex.quote(MARKER)))
    bind_refused(dom0, domid, kind, reqdata, "holds a mapping of the domain's grant table",
                 "its grant table mapped (acquire_resource)")
    release(dom0)
    dom0.run("%s %d seed-grant %s" % (ATTACK, domid, frame))
    bind_refused(dom0, domid, kind, reqdata, "grant table offers", "a grant entry seeded")
    dom0.run("%s %d unseed-grant" % (ATTACK, domid))
    # Xen lets only an HVM/PVH domain be another's target (set_target).
    if kind == "pvh":
        hold(dom0, "%s %d hold-target" % (ATTACK, domid))
        bind_refused(dom0, domid, kind, reqdata, "as its target", "a helper targeting it")
        release(dom0)


def timing_only(q, dom0, kinds, password, a, serial_fpr):
    """check_xen.py --mode timing: bind a guest of each kind and measure the
    keystroke-timing attack by run time (keystroke_timing) against it, then
    suspend it mid-output, on whatever hypervisor the image boots (the
    figures before and after); reports, asserts nothing about them."""
    out = os.path.abspath(a.out)
    env, pubfile = setup_env(dom0, a, serial_fpr)
    for kind in kinds:
        dom0.run("xl create -p /etc/xen/%s.cfg" % kind, timeout=90)
        domid = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())
        uuid = xs(dom0, "/local/domain/%d/vm" % domid).split("/")[-1]
        key = os.path.join(out, "key-%s" % kind)
        host(["sc-keygen", "-k", key], env=env)
        req = os.path.join(out, "req-%s" % kind)
        chal = fetch_challenge(dom0, domid, kind, out)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "--challenge", chal, "-o", req], env=env)
        with open(req, "rb") as f:
            reqdata = f.read()
        r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=reqdata,
                     check=False, timeout=30)
        if r.returncode != 0:
            raise Check("binding %s failed: %s" % (kind, r.stderr.decode(errors="replace")))
        dom0.run("xl unpause %d" % domid)
        session(dom0, a, env, domid, kind, password, "echo result=$((%s))-%s" % (
            "+".join(str(i) for i in range(1, 101)), kind), out)
        timing_report(dom0, env, domid, kind, password, out)
        # The suspend attack too, reported rather than asserted (before/after).
        try:
            suspended_mid_output(dom0, env, domid, kind, password, out)
        except Check as e:
            log("%s: the suspend attack worked: %s" % (kind, e))


def fetch_challenge(dom0, domid, kind, out):
    """The domain's bind challenge as dom0 hands it out (sc-relay --challenge),
    in a file for sc-keygen --seal --challenge; returns the file's path."""
    r = dom0.run(RELAY + " --challenge %d" % domid, user="op", timeout=30)
    line = r.stdout.decode(errors="replace").strip()
    if not re.match(r"^sccrypt-challenge-v1 [0-9a-f]{32}$", line):
        raise Check("%s: sc-relay --challenge printed %r" % (kind, line))
    path = os.path.join(out, "chal-%s" % kind)
    prev = open(path).read().strip() if os.path.exists(path) else None
    with open(path, "w") as f:
        f.write(line + "\n")
    if prev is not None and prev != line:
        log("%s: the challenge changed: %s -> %s" % (kind, prev, line))
    return path


def setup_env(dom0, a, serial_fpr):
    """The host side's environment and the VMM key dom0 hands out (checked
    against the fingerprint Xen printed on its own serial line)."""
    out = os.path.abspath(a.out)
    bindir = os.path.abspath(a.bin)
    env = dict(os.environ)
    env["PATH"] = bindir + ":" + env["PATH"]
    env["HOME"] = os.path.join(out, "home")
    env["XDG_CONFIG_HOME"] = os.path.join(out, "cfg")
    env["XDG_STATE_HOME"] = os.path.join(out, "state")
    env["XDG_RUNTIME_DIR"] = os.path.join(out, "run")
    # QEMU's machine has no IOMMU: the user accepts a seal without confined DMA,
    # explicitly, and still requires sealed memory (sc-keygen --seal's least
    # level and sc-dec's requirement; sccrypt(7) LEVELS).
    env["SCCRYPT_REQUIRE"] = "sealed"
    for d in ("home", "cfg", "state", "run"):
        os.makedirs(os.path.join(out, d), mode=0o700, exist_ok=True)
        os.chmod(os.path.join(out, d), 0o700)
    r = dom0.run(RELAY + " --vmm-key", user="op")
    pubfile = os.path.join(out, "vmm.pub")
    with open(pubfile, "wb") as f:
        f.write(r.stdout)
    fpr = host(["sc-keygen", "--vmm-fingerprint", pubfile], env=env).stdout.decode().split()
    fpr = [w for w in fpr if w.startswith("SHA256:")]
    if not fpr or fpr[0] != serial_fpr:
        raise Check("the VMM key from dom0 has fingerprint %s, Xen printed %s at boot"
                    % (fpr, serial_fpr))
    log("VMM key from dom0 matches the fingerprint on Xen's serial line")
    return env, pubfile


def run(q, dom0, kinds, password, a, serial_fpr):
    out = os.path.abspath(a.out)
    env, pubfile = setup_env(dom0, a, serial_fpr)

    secrets_typed = [password]
    ids = {}
    before = control_attacks(dom0, kinds)
    for kind in kinds:
        dom0.run("xl create -p /etc/xen/%s.cfg" % kind, timeout=90)
        ids[kind] = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())

    # Controls before any bind: debug keys and kexec work (stock Xen); a
    # kexec image is loaded now, so that the first bind must be refused.
    allowed(dom0, "xl debug-keys h", "xl debug-keys")
    allowed(dom0, PEEK + " 0 kexec load", "kexec load")
    # Livepatch: an invalid payload reaches Xen's ELF checks (EINVAL), and
    # listing works.
    refused_plain(dom0, PEEK + " 0 livepatch upload", "livepatch upload", "Invalid argument")
    allowed(dom0, PEEK + " 0 livepatch list", "livepatch list")
    for kind in kinds:
        domid = ids[kind]
        uuid = xs(dom0, "/local/domain/%d/vm" % domid).split("/")[-1]
        ring = xs(dom0, "/local/domain/%d/console/ring-ref" % domid)
        store = xs(dom0, "/local/domain/%d/store/ring-ref" % domid)
        # Control: before the bind dom0 can read the guest (stock Xen).
        rc, msg = peek(dom0, domid, "frame", store)
        if rc != 0:
            raise Fail("control read of %s's xenstore frame before the bind failed: %s"
                       % (kind, msg))
        if kind == "pvh":
            allowed(dom0, "%s %d param %d" % (PEEK, domid, HVM_PARAM_CONSOLE_PFN),
                    "HVMOP_set_param")
            allowed(dom0, "%s %d dmop" % (PEEK, domid), "dm_op")
        key = os.path.join(out, "key-%s" % kind)
        host(["sc-keygen", "-k", key], env=env)
        req = os.path.join(out, "req-%s" % kind)
        chal = fetch_challenge(dom0, domid, kind, out)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "--challenge", chal, "-o", req], env=env)
        with open(req, "rb") as f:
            reqdata = f.read()
        if kind == kinds[0]:
            r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=reqdata,
                         check=False, timeout=30)
            err = r.stderr.decode(errors="replace").strip()
            if r.returncode == 0 or "kexec image is loaded" not in err:
                raise Check("binding %s with a kexec image loaded: exit %d: %s"
                            % (kind, r.returncode, err))
            log("%s: bind refused while a kexec image is loaded: %s" % (kind, err))
            allowed(dom0, PEEK + " 0 kexec unload", "kexec unload")
        pristine_refusals(dom0, domid, kind, ring, reqdata)
        # A request sealed for another challenge (dom0 handing out a stale one):
        # refused, and it uses nothing up.
        first = open(chal).read()
        stale = os.path.join(out, "req-stale-%s" % kind)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "--challenge", "0" * 32, "-o", stale], env=env)
        with open(stale, "rb") as f:
            bind_refused(dom0, domid, kind, f.read(),
                         "does not open under the domain's current bind challenge",
                         "a request sealed for a stale challenge")
        fetch_challenge(dom0, domid, kind, out)
        if open(chal).read() != first:
            raise Check("%s: a refused stale request changed the challenge" % kind)
        # A request that requires the strongest level (a strict IOMMU): this
        # machine has none, so the VMM refuses it and binds nothing; the
        # attempt authenticated, so it used the challenge up and the user's
        # request is sealed again for the next one.
        strong = os.path.join(out, "req-strong-%s" % kind)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "--challenge", chal, "--require", "strongest", "-o", strong],
             env=env)
        with open(strong, "rb") as f:
            bind_refused(dom0, domid, kind, f.read(),
                         "less well than the request's least seal level",
                         "a request requiring a strict IOMMU on a host without one")
        fetch_challenge(dom0, domid, kind, out)
        if open(chal).read() == first:
            raise Check("%s: a request refused for its level left the challenge current" % kind)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "--challenge", chal, "-o", req], env=env)
        with open(req, "rb") as f:
            reqdata = f.read()
        # The domain named by its UUID: the relay finds it in xenstore.
        r = dom0.run(RELAY + " --bind %s" % uuid, user="op", input=reqdata,
                     check=False, timeout=30)
        if r.returncode != 0 or ("sc-relay: domain %d: console bound" % domid
                                 not in r.stderr.decode(errors="replace")):
            raise Check("binding %s (domid %d, by UUID) failed: %s" %
                        (kind, domid, r.stderr.decode(errors="replace").strip()))
        # The VMM's bind answer (sccrypt(7) BIND ANSWER), checked and recorded by the
        # user's tool.
        ans = os.path.join(out, "bound-%s" % kind)
        with open(ans, "wb") as f:
            f.write(r.stdout)
        rec = host(["sc-keygen", "-k", key, "--bound", req, "--guest", "g-" + kind, ans], env=env)
        log("%s: %s" % (kind, rec.stderr.decode(errors="replace").strip()))
        # Bound: no challenge to hand out, so no request can bind it again.
        r = dom0.run(RELAY + " --challenge %d" % domid, user="op", check=False, timeout=30)
        err = r.stderr.decode(errors="replace").strip()
        if r.returncode != 3 or "bound already" not in err:
            raise Check("%s: sc-relay --challenge of the bound domain: exit %d: %s"
                        % (kind, r.returncode, err))
        log("%s: a bound domain hands out no challenge: %s" % (kind, err))
        dom0.run("xl unpause %d" % domid)
        log("%s guest: domid %d uuid %s bound and unpaused" % (kind, domid, uuid))

        # Three reads of the bound guest from dom0, each refused.
        for what, val, name in (("frame", ring, "its console frame"),
                                ("frame", store, "another of its frames"),
                                ("grant", 0, "its grant entry 0")):
            rc, msg = peek(dom0, domid, what, val)
            if rc != 1:
                raise Check("dom0 could map %s of bound %s guest: %s" % (name, kind, msg))
            log("%s: dom0 mapping %s: %s" % (kind, name, msg))
        r = dom0.run("timeout 10 %s %d hold-gnttab %s %s" % (ATTACK, domid, ring,
                                                            shlex.quote(MARKER)), check=False,
                     timeout=30)
        msg = r.stdout.decode(errors="replace").strip()
        if r.returncode != 1 or "refused" not in msg:
            raise Check("dom0 could map the grant table of bound %s guest: %s" % (kind, msg))
        log("%s: dom0 mapping its grant table (acquire_resource): %s" % (kind, msg))
        if kind == "pvh":
            refused(dom0, "%s %d param %d" % (PEEK, domid, HVM_PARAM_CONSOLE_PFN),
                    "pvh: HVMOP_set_param HVM_PARAM_CONSOLE_PFN")
            refused(dom0, "%s %d dmop" % (PEEK, domid), "pvh: dm_op")
    # While a domain is sealed: no debug keys from dom0, no kexec at all, no
    # livepatch upload (listing stays allowed).
    refused(dom0, "xl debug-keys h", "xl debug-keys")
    refused(dom0, PEEK + " 0 kexec load", "kexec load")
    refused(dom0, PEEK + " 0 kexec unload", "kexec unload")
    refused(dom0, PEEK + " 0 livepatch upload", "livepatch upload")
    r = dom0.run(PEEK + " 0 livepatch list", check=False)
    if r.returncode != 0:
        raise Check("livepatch list refused after the bind (exit %d): %s"
                    % (r.returncode, (r.stdout + r.stderr).decode(errors="replace").strip()))

    for kind in kinds:
        secret_cmd = "echo result=$((%s))-%s  # %s" % (
            "+".join(str(i) for i in range(1, 101)), kind, secrets.token_hex(8))
        secrets_typed.append(secret_cmd)
        if kind == "pvh":
            takeover(dom0, a, env, ids[kind], kind, password, secret_cmd, out)
        else:
            session(dom0, a, env, ids[kind], kind, password, secret_cmd, out)
    # The attacks again, now against the bound guests that ran a session.
    for kind in kinds:
        ring = xs(dom0, "/local/domain/%d/console/ring-ref" % ids[kind])
        sealed_attacks(dom0, ids[kind], kind, ring, before[kind])
    # Keystrokes by run time (issue 16): recovery at chance level on the sealed guest.
    for r in timing_report(dom0, env, ids[kinds[0]], kinds[0], password, out):
        if r[2] > max(0.3, 2 * r[3]):
            raise Check("%s: keystrokes recovered by run time above chance: F1 %.2f "
                        "(chance %.2f)" % (kinds[0], r[2], r[3]))
    suspended_mid_output(dom0, env, ids[kinds[-1]], kinds[-1], password, out)
    guest_gone(dom0, env, ids[kinds[0]], kinds[0], out)

    # What dom0 captured: the relay's streams, logs, xenstore, kernel and Xen logs.
    cap = dom0.run("cat /tmp/cap-in-* /tmp/cap-out-* /tmp/relay-*.err "
                   "/var/log/sshd.log /var/log/xen/* 2>/dev/null; xenstore-ls -f; "
                   "dmesg; xl dmesg", check=False, timeout=60).stdout
    with open(os.path.join(out, "dom0-captured.bin"), "wb") as f:
        f.write(cap)
    nin = dom0.run("cat /tmp/cap-in-* | wc -c").stdout.strip().decode()
    for sec in secrets_typed:
        for probe in (sec, sec[:12], sec.split("#")[-1].strip()):
            if probe and probe.encode() in cap:
                raise Check("dom0 captured something the user typed: %r" % probe[:20])
    if b"result=5050" in cap or b"Welcome to the sccrypt test guest" in cap:
        raise Check("dom0 captured guest output in plaintext")
    log("nothing typed or printed appears in %d bytes dom0 captured (%s bytes of relay input)"
        % (len(cap), nin))


# What a bound HVM guest shows the user before its login prompt: hvmloader
# and SeaBIOS on port 0xe9, the kernel's early console on COM1.
HVM_EARLY = ((rb"HVM Loader", "hvmloader on port 0xe9"),
             (rb"Booting from ROM", "SeaBIOS on port 0xe9"),
             (rb"Linux version \d", "the kernel's early console on ttyS0"))


# The level the bound HVM guest's answers vouch for: its console is the
# hypervisor's UART, its memory is not sealed (QEMU maps it for fw_cfg DMA),
# and QEMU's machine has no IOMMU.
HVM_LEVEL = (r"^sc-dec: seal level: console UART, memory NOT sealed \(something outside "
             r"the guest may map it\), DMA NOT confined \(no strict IOMMU\)$")
# Seconds from unpause to the login prompt an HVM guest may take (measured:
# see hcall/README.md); PV and PVH take well under a minute.
HVM_BOOT = 600


def bind_request(dom0, env, pubfile, serial_fpr, domid, kind, out):
    """The user's sealed bind request for domid (a new key, the domain's
    UUID, a fresh challenge from the VMM): its bytes."""
    uuid = xs(dom0, "/local/domain/%d/vm" % domid).split("/")[-1]
    key = os.path.join(out, "key-%s" % kind)
    host(["sc-keygen", "-k", key], env=env)
    req = os.path.join(out, "req-%s" % kind)
    chal = fetch_challenge(dom0, domid, kind, out)
    host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
          "--domain", uuid, "--challenge", chal, "-o", req], env=env)
    with open(req, "rb") as f:
        return f.read()


def bind_new(dom0, env, pubfile, serial_fpr, kind, out, cfg=None, extra="", prep=None):
    """Creates a guest paused from /etc/xen/CFG.cfg (EXTRA: xl config lines),
    runs PREP(domid) if given (what dom0 sets up before the bind), binds it
    to a new key through sc-relay --bind and returns its domid (still paused)."""
    dom0.run("xl create -p /etc/xen/%s.cfg %s" % (cfg or kind, extra), timeout=90)
    domid = int(dom0.run("xl domid guest-%s" % (cfg or kind)).stdout.strip())
    if prep:
        prep(domid)
    reqdata = bind_request(dom0, env, pubfile, serial_fpr, domid, kind, out)
    r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=reqdata,
                 check=False, timeout=30)
    if r.returncode != 0:
        raise Check("binding %s (domid %d) failed: %s"
                    % (kind, domid, r.stderr.decode(errors="replace").strip()))
    return domid


def hvm(q, dom0, env, pubfile, password, a, serial_fpr):
    """An HVM guest (hvm.cfg: no emulated serial, disk, NIC or VGA; Linux by
    direct kernel boot through hvmloader and SeaBIOS) created paused, bound,
    unpaused: its COM1 and port 0xe9 are Xen's.  The user sees the
    firmware's and the kernel's early output and logs in through the
    pipeline; nothing typed and none of that output reaches dom0 in
    plaintext (the relay's streams, QEMU's and xenconsoled's logs, Xen's
    console).  Returns the guest's domid."""
    out = os.path.abspath(a.out)
    kind = "hvm"
    # Direct kernel boot needs QEMU to map the guest's RAM (fw_cfg DMA): the
    # user accepts that level explicitly (not "sealed"), and requires the
    # console to be the hypervisor's UART (sccrypt(7) LEVELS).
    env = dict(env, SCCRYPT_REQUIRE="uart")
    t0 = time.monotonic()
    domid = bind_new(dom0, env, pubfile, serial_fpr, kind, out)
    log("hvm: domid %d created paused and bound in %.0fs" % (domid, time.monotonic() - t0))
    dom0.run("xl unpause %d" % domid)
    t1 = time.monotonic()
    secret_cmd = "echo result=$((%s))-%s  # %s" % (
        "+".join(str(i) for i in range(1, 101)), kind, secrets.token_hex(8))
    try:
        plain = session(dom0, a, env, domid, kind, password, secret_cmd, out,
                        boot=HVM_BOOT, level=HVM_LEVEL)
    except Fail:
        # Xen prints the UART's counters when the domain goes (serial.log).
        dom0.run("xl destroy %d" % domid, check=False, timeout=60)
        raise
    log("hvm: unpause to the end of the session %.0fs" % (time.monotonic() - t1))
    for pat, what in HVM_EARLY:
        if not re.search(pat, plain):
            raise Check("hvm: the user did not see %s (%r) through sc-dec" % (what, pat))
    log("hvm: the user saw hvmloader's and SeaBIOS's 0xe9 output and the kernel's "
        "early console through sc-dec")
    cap = dom0.run("cat /tmp/cap-in-hvm /tmp/cap-out-hvm /tmp/relay-hvm.err "
                   "/var/log/xen/* 2>/dev/null; xenstore-ls -f; dmesg; xl dmesg",
                   check=False, timeout=60).stdout
    with open(os.path.join(out, "dom0-captured-hvm.bin"), "wb") as f:
        f.write(cap)
    for probe in (password, secret_cmd, secret_cmd.split("#")[-1].strip()):
        if probe.encode() in cap:
            raise Check("hvm: dom0 captured something the user typed: %r" % probe[:20])
    # (not "Linux version": dom0's own kernel log has its own such line)
    for leak in (b"result=5050", b"Welcome to the sccrypt test guest", b"HVM Loader",
                 b"Booting from ROM"):
        if leak in cap:
            raise Check("hvm: dom0 captured guest output in plaintext: %r" % leak)
    log("hvm: nothing typed or printed (firmware, kernel, shell) appears in %d bytes "
        "dom0 captured" % len(cap))
    hvm_inside(dom0, env, domid, password, out)
    return domid


# Against a bound HVM guest at the level "memory NOT sealed" (its device model
# may map its RAM, which direct kernel boot needs), dom0's memory attacks work,
# as that level says; every other door must stay shut.
HVM_MEMORY_ATTACKS = ("foreign-map", "mapcache")


def hvm_inside(dom0, env, domid, password, out):
    """The bound HVM guest, running: a second session through the pipeline
    in which inside_checks() runs (at the level "memory NOT sealed", which
    admits HVM_MEMORY_ATTACKS)."""
    p = Pipe(dom0, env, domid, "hvm", "hvm-inside", out)
    try:
        p.reprompt()
        p.login(password, 60)
        inside_checks(p.s, dom0, domid, "hvm", HVM_MEMORY_ATTACKS)
        p.logout()
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()


def break_session(dom0, env, domid, kind, password, out):
    """BREAK on real Xen: a session from a terminal (sc-enc reads a pty, as
    a user's), logged in; the user types Enter ~B, then h.  Xen's UART must
    give the guest a BREAK (LSR.BI): its 8250 driver counts it (brk: in
    /proc/tty/driver/serial) and, ttyS0 being its console, takes the next
    key as a Magic SysRq command (h: the help line, "sysrq: HELP")."""
    import pty
    master, slave = pty.openpty()
    tag = "%s-break" % kind
    p = Pipe(dom0, env, domid, kind, tag, out, tty=os.ttyname(slave))

    def brk(what):
        m = p.s.mark()
        os.write(master, b"echo brk=$(grep -o 'brk:[0-9]*' /proc/tty/driver/serial "
                         b"| head -1 | cut -d: -f2)=\r")
        return int(p.s.expect(rb"brk=(\d*)=", 60, m, what=what).group(1) or b"0")

    def write(b):
        os.write(master, b)

    try:
        p.reprompt(write, b"\r")
        p.login(password, 60, write, b"\r")
        b0 = brk("%s: the UART's BREAK count" % kind)
        m = p.s.mark()
        os.write(master, b"\r~B")
        time.sleep(1)
        os.write(master, b"h")
        g = p.s.expect(rb"sysrq: [^\r\n]*", 60, m, what="%s: SysRq's answer to BREAK h" % kind)
        time.sleep(1)
        os.write(master, b"\r")
        b1 = brk("%s: the UART's BREAK count after ~B" % kind)
        log("%s: the user's ~B reached the guest as a BREAK: its 8250 driver counted "
            "brk %d -> %d, and SysRq answered h with %r"
            % (kind, b0, b1, g.group(0).decode(errors="replace")[:60]))
        if b1 != b0 + 1:
            raise Check("%s: the guest's UART counted %d BREAKs for one ~B" % (kind, b1 - b0))
        rc, err = p.end_tty(write, 1)
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
        os.close(master)
        os.close(slave)
    if rc != "0":
        raise Check("%s: sc-dec exited %s after the BREAK session: %s" % (kind, rc, err))


def inside_checks(s, dom0, domid, tag, admitted):
    """On the shell of a bound HVM guest behind the user's pipeline s: the
    guest writes its marker to port 0xe9 and reads the i8042 while dom0
    types into QEMU's PS/2 keyboard and runs its attack suite
    (hvmseal.guest_side, the checks the hvmseal mode's unbound control shows
    working).  The user sees the marker through sc-dec; the guest sees no
    key and no interrupt from dom0 and reads the i8042's ports as absent;
    dom0 gets nothing but the attacks the guest's level admits."""
    import hvmseal
    frame = xs(dom0, "/local/domain/%d/console/ring-ref" % domid)
    res, suite = hvmseal.guest_side(s, dom0, domid, frame, tag)
    res.update(suite)
    if MARKER.encode() not in bytes(s.buf):
        raise Check("%s: the guest's marker written to port 0xe9 did not reach the user "
                    "through sc-dec" % tag)
    log("%s: the guest's marker written to port 0xe9 reached the user through sc-dec" % tag)
    for n, (st, ln) in sorted(res.items()):
        log("%s, bound guest: %s" % (tag, ln if ln.startswith("attack") else
                                     "attack %s: %s (%s)" % (n, st, ln)))
    for n in ("ps2", "dm-isa-irq-seen", "xl-dmesg", "dm-isa-irq", "mapcache", "vcpu-context",
              "hvm-context", "run-time", "grant-console"):
        if n not in res:
            raise Check("%s: attack %s was not tried against the bound guest" % (tag, n))
    for n, (st, ln) in sorted(res.items()):
        if st == "GOT" and n not in admitted:
            raise Check("%s: dom0 attack worked against the bound HVM guest: %s" % (tag, ln))
    if "0x64=ff 0x60=ff" not in res["ps2"][1]:
        raise Check("%s: the bound guest found an i8042 (its ports should be dead): %s"
                    % (tag, res["ps2"][1]))
    got = [n for n in admitted if res.get(n, ("",))[0] == "GOT"]
    log("%s: against the bound guest %s worked (what its level admits: %s); %d "
        "attacks got nothing" % (tag, ", ".join(got) or "nothing", ", ".join(admitted) or
                                 "nothing", sum(1 for st, _ in res.values() if st != "GOT")))


# ---- check_xen.py --mode bench: figures, never asserted -------------------

BENCH_KEYS = 20
BENCH_BYTES = 8192


def measure(s, what):
    """On a shell (prompt "guest# ") behind stream s: the median keystroke
    round trip (a key sent to its echo seen) and the guest's output rate
    (BENCH_BYTES of 'x' printed).  Returns (rtt_ms, mib_s)."""
    times = []
    for _ in range(BENCH_KEYS):
        m = s.mark()
        t = time.monotonic()
        s.send(b"a")
        s.expect(rb"a", 30, m, what="%s: the echo of a keystroke" % what)
        times.append(time.monotonic() - t)
    m = s.mark()
    s.send(b"\n")
    s.expect(rb"guest# ", 30, m, what="%s: the prompt again" % what)
    times.sort()
    rtt = 1000 * times[len(times) // 2]
    log("bench: %s: keystroke round trip %.1f ms (median of %d)" % (what, rtt, BENCH_KEYS))
    m = s.mark()
    t = time.monotonic()
    s.send(b"head -c %d /dev/zero | tr '\\0' x; echo; echo END-$((6*7))\n" % BENCH_BYTES)
    try:
        s.expect(rb"END-42", 600, m, what="%s: the end of %d bytes of output" % (what, BENCH_BYTES))
    except Fail as e:
        log("bench: %s: no output rate: %s" % (what, str(e)[:200]))
        return rtt, float("nan")
    dt = time.monotonic() - t
    log("bench: %s: %d bytes of output in %.2f s" % (what, BENCH_BYTES, dt))
    return rtt, BENCH_BYTES / dt / (1 << 20)


def plain_console(dom0, domid, kind, password, out, serial):
    """The stock plaintext path: `xl console` (-t serial: QEMU's COM1) to
    domid, created paused; unpaused once the console is attached."""
    how = "-t serial " if serial else ""
    s = Stream(dom0.ssh_argv("root", ["-tt"]) + ["xl console %s%d" % (how, domid)],
               os.path.join(out, "bench-plain-%s.log" % kind))
    try:
        time.sleep(3)
        dom0.run("xl unpause %d" % domid)
        s.expect(rb"login: ", HVM_BOOT, what="%s login prompt (xl console)" % kind)
        root_login(s, password, kind, b"\r")
        return measure(s, "%s (xl console %s)" % (kind, how))
    finally:
        s.kill()


def sealed_console(dom0, env, domid, kind, password, out):
    """The same through the user's pipeline to a bound guest; also the
    relay's count of hypercalls and events for the session."""
    p = Pipe(dom0, env, domid, kind, "bench-" + kind, out)
    try:
        p.login(password, HVM_BOOT)
        rtt, rate = measure(p.s, "%s (sc-enc | sc-relay | sc-dec)" % kind)
        p.logout()
    except Fail:
        p.relay_state(dom0)
        raise
    finally:
        p.s.kill()
    r = dom0.run("grep -h 'session end' /tmp/relay-bench-%s.err" % kind, check=False)
    line = r.stdout.decode(errors="replace").strip().splitlines()
    counts = {}
    if line:
        for k, v in re.findall(r"(\w+)=(\d+)", line[-1]):
            counts[k] = int(v)
    return rtt, rate, counts


def bench_uart(q, dom0, env, pubfile, serial_fpr, kind, password, out, name):
    """A bound HVM guest (/etc/xen/KIND.cfg) measured through the pipeline,
    with Xen's UART counters (printed when the domain goes) and the relay's
    hypercalls: a row of the table."""
    t = time.monotonic()
    domid = bind_new(dom0, env, pubfile, serial_fpr, kind, out)
    dom0.run("xl unpause %d" % domid)
    rtt, rate, c = sealed_console(dom0, env, domid, kind, password, out)
    log("bench: bound %s guest up and measured in %.0fs" % (kind, time.monotonic() - t))
    m = q.mark()
    dom0.run("xl destroy %d" % domid, timeout=60)
    u = q.expect(rb"SCCrypt: d%d: UART: (\d+) port accesses, (\d+) bytes out, (\d+) in, "
                 rb"(\d+) on port 0xe9 \((\d+) lost\), (\d+) flushes" % domid, 60, m,
                 what="the UART's counters on Xen's console")
    io, tx, rx, e9, lost, fl = (int(x) for x in u.groups())
    nbytes = tx + e9
    extra = ("%d port accesses for %d bytes out (%d THR, %d on 0xe9) and %d in: "
             "%.2f accesses per byte; %d flushes; relay: %s hypercalls, %s events "
             "for %s ciphertext bytes out (%.4f hypercalls per guest byte)"
             % (io, nbytes, tx, e9, rx, io / max(1, nbytes + rx), fl,
                c.get("exchanges", "?"), c.get("events", "?"), c.get("out", "?"),
                c.get("exchanges", 0) / max(1, nbytes)))
    log("bench: %s: %s" % (kind, extra))
    return (name, rtt, rate, extra)


def bench(q, dom0, password, a, serial_fpr):
    """Figures on the real hypervisor, in one boot, side by side with the
    plaintext path: keystroke round trip (median of BENCH_KEYS), guest
    output MiB/s (BENCH_BYTES), and for the bound HVM guest Xen's UART
    counters (port accesses, i.e. VM exits or rep elements, per byte) and
    the relay's hypercalls and events per byte.  Prints; asserts nothing."""
    out = os.path.abspath(a.out)
    env, pubfile = setup_env(dom0, a, serial_fpr)
    rows = []
    henv = dict(env, SCCRYPT_REQUIRE="uart")     # as in hvm(): the DM maps its RAM
    rows.append(bench_uart(q, dom0, henv, pubfile, serial_fpr, "hvm", password, out,
                           "HVM, Xen's COM1 (DM may map), pipeline"))
    # The sealed HVM guest (OvmfXen from a PV disk), when the image has it.
    if dom0.run("test -f /etc/xen/hvm-sealed.cfg", check=False).returncode == 0:
        rows.append(bench_uart(q, dom0, env, pubfile, serial_fpr, "hvm-sealed", password,
                               out, "HVM sealed (OvmfXen), Xen's COM1, pipeline"))

    t = time.monotonic()
    dom0.run("xl create -p /etc/xen/hvm-serial.cfg", timeout=90)
    domid = int(dom0.run("xl domid guest-hvm-serial").stdout.strip())
    rtt, rate = plain_console(dom0, domid, "hvm-serial", password, out, True)
    log("bench: stock HVM guest up and measured in %.0fs" % (time.monotonic() - t))
    rows.append(("HVM, QEMU's COM1, xl console -t serial", rtt, rate, ""))
    dom0.run("xl destroy %d" % domid, timeout=60)

    for sealed in (False, True):
        t = time.monotonic()
        if sealed:
            domid = bind_new(dom0, env, pubfile, serial_fpr, "pv", out)
            dom0.run("xl unpause %d" % domid)
            rtt, rate, c = sealed_console(dom0, env, domid, "pv", password, out)
            extra = ("relay: %s hypercalls, %s events for %s ciphertext bytes out"
                     % (c.get("exchanges", "?"), c.get("events", "?"), c.get("out", "?")))
            rows.append(("PV, sc-enc | sc-relay | sc-dec", rtt, rate, extra))
        else:
            dom0.run("xl create -p /etc/xen/pv.cfg", timeout=90)
            domid = int(dom0.run("xl domid guest-pv").stdout.strip())
            rtt, rate = plain_console(dom0, domid, "pv", password, out, False)
            rows.append(("PV, xl console", rtt, rate, ""))
        log("bench: PV guest (%s) measured in %.0fs" % ("bound" if sealed else "stock",
                                                        time.monotonic() - t))
        dom0.run("xl destroy %d" % domid, timeout=60)

    lines = ["bench-xen: %d keystrokes (median round trip), %d bytes of output"
             % (BENCH_KEYS, BENCH_BYTES)]
    for name, rtt, rate, extra in rows:
        lines.append("  %-45s %8.1f ms %8.4f MiB/s%s" % (name, rtt, rate,
                                                        ("\n      " + extra) if extra else ""))
    text = "\n".join(lines)
    with open(os.path.join(out, "bench.txt"), "w") as f:
        f.write(text + "\n")
    sys.stdout.write(text + "\n")
