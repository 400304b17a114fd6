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
import secrets
import shlex
import subprocess
import time

from xenqemu import Stream, Fail, log

RELAY = "sudo /usr/local/bin/sc-relay -b xen"
PEEK = "/usr/local/bin/sc-xen-peek"


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


def session(dom0, a, env, domid, kind, password, secret_cmd, outdir):
    """One user session through the pipeline; returns the plaintext seen."""
    ssh = " ".join(shlex.quote(x) for x in dom0.ssh_argv("op"))
    key = os.path.join(outdir, "key-%s" % kind)
    remote = ("tee /tmp/cap-in-%s | %s %d 2>/tmp/relay-%s.err | tee /tmp/cap-out-%s"
              % (kind, RELAY, domid, kind, kind))
    pipeline = (
        "{ sc-enc -k %s; echo $? > %s/enc.rc; } 2> %s/enc-%s.err | %s %s | "
        "{ sc-dec -k %s; echo $? > %s/dec.rc; } 2> %s/dec-%s.err"
        % (shlex.quote(key), outdir, outdir, kind, ssh, shlex.quote(remote),
           shlex.quote(key), outdir, outdir, kind))
    for f in ("enc.rc", "dec.rc"):
        if os.path.exists(os.path.join(outdir, f)):
            os.unlink(os.path.join(outdir, f))

    def dead():
        for tool in ("enc", "dec"):
            rcf = os.path.join(outdir, "%s.rc" % tool)
            if os.path.exists(rcf):
                err = open(os.path.join(outdir, "%s-%s.err" % (tool, kind))).read().strip()
                return "sc-%s exited %s (%s)" % (tool, open(rcf).read().strip(), err)
        return None

    s = Stream(["bash", "-c", pipeline],
               os.path.join(outdir, "plain-%s.log" % kind), env=env, dead=dead)
    try:
        s.expect(rb"login: ", 240, what="%s login prompt through sc-dec" % kind)
        m = s.mark()
        s.send(b"root\n")
        s.expect(rb"Password: ", 60, m, what="%s password prompt" % kind)
        m = s.mark()
        s.send(password.encode() + b"\n")
        s.expect(rb"guest# ", 60, m, what="%s shell prompt after the password" % kind)
        m = s.mark()
        s.send(secret_cmd.encode() + b"\n")
        want = b"result=" + str(sum(range(1, 101))).encode() + b"-" + kind.encode()
        s.expect(rb"\r?\n" + want + rb"\r?\n", 60, m, what="%s command output" % kind)
        m = s.mark()
        s.send(b"printf 'a\\tb\\\\n%s|\\n' \"$(uname -s)\"\n")
        s.expect(rb"a\tb\\nLinux\|\r?\n", 60, m, what="%s byte-exact output" % kind)
        s.send(b"exit\n")
        s.close_input()
        rc = s.wait(90)
    except Fail:
        r = dom0.run("ls -la /tmp; cat /tmp/relay-%s.err" % kind, check=False)
        log("dom0 relay state:\n" + r.stdout.decode(errors="replace"))
        raise
    finally:
        s.kill()
    enc = open(os.path.join(outdir, "enc.rc")).read().strip()
    dec = open(os.path.join(outdir, "dec.rc")).read().strip()
    log("%s guest (domid %d): session over the pipeline ok (sc-enc %s, sc-dec %s, pipeline %d)"
        % (kind, domid, enc, dec, rc))
    if dec != "0":
        raise Check("%s: sc-dec exited %s (expected 0: a clean quiet close); stderr: %s"
                    % (kind, dec, open(os.path.join(outdir, "dec-%s.err" % kind)).read()))
    return bytes(s.buf)


def run(q, dom0, kinds, password, a, serial_fpr):
    out = os.path.abspath(a.out)
    bindir = os.path.abspath(a.bin)
    env = dict(os.environ)
    env["PATH"] = bindir + ":" + env["PATH"]
    env["HOME"] = os.path.join(out, "home")
    env["XDG_CONFIG_HOME"] = os.path.join(out, "cfg")
    env["XDG_STATE_HOME"] = os.path.join(out, "state")
    env["XDG_RUNTIME_DIR"] = os.path.join(out, "run")
    for d in ("home", "cfg", "state", "run"):
        os.makedirs(os.path.join(out, d), mode=0o700, exist_ok=True)
        os.chmod(os.path.join(out, d), 0o700)

    # 1. The relay's VMM key is the one Xen printed on its own console.
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

    secrets_typed = [password]
    ids = {}
    for kind in kinds:
        dom0.run("xl create -p /etc/xen/%s.cfg" % kind, timeout=90)
        ids[kind] = int(dom0.run("xl domid guest-%s" % kind).stdout.strip())
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
        key = os.path.join(out, "key-%s" % kind)
        host(["sc-keygen", "-k", key], env=env)
        req = os.path.join(out, "req-%s" % kind)
        host(["sc-keygen", "-k", key, "--seal", pubfile, "--expect", serial_fpr,
              "--domain", uuid, "-o", req], env=env)
        with open(req, "rb") as f:
            r = dom0.run(RELAY + " --bind %d" % domid, user="op", input=f.read(),
                         check=False, timeout=30)
        if r.returncode != 0:
            raise Check("binding %s (domid %d) failed: %s" %
                        (kind, domid, r.stderr.decode(errors="replace").strip()))
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

    for kind in kinds:
        secret_cmd = "echo result=$((%s))-%s  # %s" % (
            "+".join(str(i) for i in range(1, 101)), kind, secrets.token_hex(8))
        secrets_typed.append(secret_cmd)
        session(dom0, a, env, ids[kind], kind, password, secret_cmd, out)

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
