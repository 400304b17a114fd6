# SPDX-License-Identifier: MIT
"""Boot a Xen image under QEMU and talk to its dom0.

Qemu: runs qemu-system-x86_64 (TCG, -cpu qemu64,+rdrand,+svm) with Xen's serial
on stdio, copies every serial byte to a log file, and lets the caller wait
for a pattern with a timeout. QEMU is always killed: by close(), at exit,
and on SIGTERM/SIGINT/SIGHUP.

Dom0: runs commands in dom0 through real OpenSSH over QEMU user
networking (a host port forwarded to dom0's sshd), with the known_hosts
entry of the host key that mk-images.sh put in the image.
"""

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

T0 = time.monotonic()

# The outer CPU: rdrand for the hypervisor's random source, svm so Xen runs
# HVM and PVH guests, with its shadow pager.  Not npt: with TCG's nested
# paging (QEMU 7.2) a guest now and then resumes at Xen's own address after
# its VMRUN and triple-faults (Xen's dump: the guest's RIP and CR2 both
# svm_asm_do_resume+0xa5, the instruction after vmrun; 2 of 2 HVM stress
# runs, once in 6 rounds, and a PVH session once), while under shadow paging
# 10 rounds of 16 KiB through the UART passed.  SCCRYPT_XEN_CPU=
# qemu64,+rdrand,+svm,+npt runs Xen with HAP all the same.
CPU = os.environ.get("SCCRYPT_XEN_CPU", "qemu64,+rdrand,+svm")


def log(msg):
    sys.stderr.write("[%6.1fs] %s\n" % (time.monotonic() - T0, msg))
    sys.stderr.flush()


class Fail(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


_live = []


def _kill_all(*_):
    for q in list(_live):
        q.close()


def _on_signal(signum, _frame):
    _kill_all()
    sys.stderr.write("check-xen: killed by signal %d\n" % signum)
    os._exit(128 + signum)


atexit.register(_kill_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class Stream:
    """A child process whose stdout we read in the background and whose
    stdin we write: expect()/send() on byte streams, with timeouts."""

    ended = "stream ended"          # what to say when the output ends early
    where = ""                      # where we were waiting, for the timeout message

    def __init__(self, argv, logpath, stdin=subprocess.PIPE, dead=None, **kw):
        self.dead = dead            # callable: a reason to give up early, or None
        self.buf = bytearray()
        self.lock = threading.Condition()
        self.eof = False
        self.logf = open(logpath, "wb")
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                  start_new_session=True, **kw)
        self.t = threading.Thread(target=self._reader, daemon=True)
        self.t.start()

    def _reader(self):
        fd = self.p.stdout.fileno()
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            with self.lock:
                if not b:
                    self.eof = True
                    self.lock.notify_all()
                    return
                self.buf += b
                self.logf.write(b)
                self.logf.flush()
                self.lock.notify_all()

    def expect(self, pattern, timeout, start=0, what=None):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return m
                why = self.dead() if self.dead else None
                if why:
                    raise Fail("%s while waiting for %s; got %r" %
                               (why, what or pattern, bytes(self.buf[-300:])))
                if self.eof:
                    raise Fail("%s while waiting for %s; got %r" %
                               (self.ended, what or pattern, bytes(self.buf[-300:])))
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("timed out after %ds waiting for %s%s; got %r" %
                               (timeout, what or pattern, self.where,
                                bytes(self.buf[-300:])))
                self.lock.wait(min(left, 1.0))

    def mark(self):
        with self.lock:
            return len(self.buf)

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close_input(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def wait(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail("process did not exit within %ds" % timeout)
        self.t.join(5)
        return rc

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        self.t.join(5)
        self.logf.close()


class Qemu(Stream):
    """QEMU with Xen on its serial line (stdio); its output is a Stream."""
    ended = "QEMU exited"
    where = " on the serial line"

    def __init__(self, xen, kernel, initrd, xen_args, dom0_args, logpath,
                 mem=2048, smp=2):
        self.port = free_port()
        cmd = [
            "qemu-system-x86_64", "-nographic", "-no-reboot",
            "-accel", "tcg", "-cpu", CPU,
            "-m", str(mem), "-smp", str(smp),
            "-kernel", xen, "-append", xen_args,
            "-initrd", "%s %s,%s" % (kernel, dom0_args, initrd),
            "-monitor", "none", "-serial", "stdio",
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22" % self.port,
            "-device", "e1000,netdev=n0",
        ]
        log("qemu: " + " ".join(cmd))
        Stream.__init__(self, cmd, logpath, stderr=subprocess.STDOUT)
        _live.append(self)

    def serial(self):
        with self.lock:
            return bytes(self.buf)

    def wait_exit(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self in _live:
            _live.remove(self)
        self.kill()


class Dom0:
    def __init__(self, port, sshdir):
        self.port = port
        self.key = os.path.join(sshdir, "id_ed25519")
        self.known = os.path.join(sshdir, "known_hosts")
        with open(os.path.join(sshdir, "ssh_host_ed25519_key.pub")) as f:
            hostkey = " ".join(f.read().split()[:2])
        with open(self.known, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (port, hostkey))

    def ssh_argv(self, user, extra=()):
        return ["ssh", "-T", "-p", str(self.port), "-i", self.key,
                "-o", "UserKnownHostsFile=" + self.known,
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
                "-o", "ServerAliveInterval=10", "-o", "LogLevel=ERROR",
                "-F", "/dev/null"] + list(extra) + [user + "@127.0.0.1"]

    def run(self, cmd, user="root", timeout=60, check=True, input=None):
        argv = self.ssh_argv(user) + [cmd]
        try:
            r = subprocess.run(argv, input=input, capture_output=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Fail("dom0: timed out after %ds: %s" % (timeout, cmd))
        if check and r.returncode != 0:
            raise Fail("dom0: `%s` exited %d: %s" %
                       (cmd, r.returncode,
                        r.stderr.decode(errors="replace").strip()))
        return r

    def wait_ssh(self, timeout):
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            try:
                r = self.run("true", timeout=15, check=False)
                if r.returncode == 0:
                    return
                last = r.stderr.decode(errors="replace").strip()
            except Fail as e:
                last = str(e)
            time.sleep(1)
        raise Fail("dom0's sshd did not answer within %ds: %s" %
                   (timeout, last))
