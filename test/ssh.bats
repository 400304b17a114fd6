#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Through real OpenSSH and sudo, as an operator sets it up (sc-relay(8)):
# Debian's sshd on 127.0.0.1 with its own host key and config, a test user
# with an authorized key, and a sudoers drop-in letting that user run only
# sc-relay as root without a password.
#
# Layout: everything under one directory made with mktemp -d in /tmp
# (mode 0755, so sshd, running as the test user, can read the user's
# authorized_keys; the tools are copied into D/prefix/sbin, owned by root,
# readable by all).  /run/sshd (sshd's privilege-separation directory) is
# made if missing and removed again only if this test made it.  Teardown
# stops sshd, every process of the test user (by pid), the simulator, and
# removes the user, the sudoers drop-in and the directory.
#
# sc-relay's policy (sc-relay(8)) lets the test user act on the test's
# simulator only: it lives in D/etc, a copy of /etc that sshd (and so sudo
# and sc-relay under it) sees in place of /etc through a private mount
# namespace, so the machine's /etc/sccrypt is never touched.

bats_require_minimum_version 1.5.0

load sim_helpers

setup() {
    [ "$(id -u)" = 0 ] || skip "needs root (sshd, useradd, sudoers)"
    [ -x /usr/sbin/sshd ] || skip "openssh-server is not installed"
    command -v sudo > /dev/null || skip "sudo is not installed"
    sim_setup
    D=$(mktemp -d /tmp/sccrypt-ssh.XXXXXX)
    chmod 755 "$D"
    TUSER="sctest$$"
    MADE_RUN_SSHD=""
    if [ ! -d /run/sshd ]; then
        mkdir -m 755 /run/sshd
        MADE_RUN_SSHD=1
    fi
    # The relay, where root (through sudo) runs it.
    mkdir -p -m 755 "$D/prefix" "$D/prefix/sbin"
    install -m 755 "$BATS_TEST_DIRNAME/../bin/sc-relay" "$D/prefix/sbin/sc-relay"
    # The test user: no password (not locked: "*"), an authorized key.
    useradd -M -d "$D/home" -s /bin/sh "$TUSER"
    usermod -p '*' "$TUSER"
    mkdir -p -m 755 "$D/home"
    ssh-keygen -q -t ed25519 -N '' -f "$D/client_key"
    mkdir -p -m 755 "$D/keys"
    cp "$D/client_key.pub" "$D/keys/$TUSER"
    chmod 644 "$D/keys/$TUSER"
    # Only sc-relay, as root, without a password.
    SUDOERS="/etc/sudoers.d/sccrypt-test-$TUSER"
    printf '%s ALL=(root) NOPASSWD: %s\n' "$TUSER" "$D/prefix/sbin/sc-relay" > "$SUDOERS.tmp"
    chmod 440 "$SUDOERS.tmp"
    visudo -cqf "$SUDOERS.tmp"
    mv "$SUDOERS.tmp" "$SUDOERS"
    # The relay's policy, in a copy of /etc made after the user and the drop-in.
    cp -a /etc "$D/etc"
    mkdir -p -m 755 "$D/etc/sccrypt"
    printf 'backend sim\nsocket %s\nallow user:%s attach *\n' "$SOCK" "$TUSER" \
        > "$D/etc/sccrypt/relay.conf"
    # sshd: own host key and config, a free port on 127.0.0.1.
    ssh-keygen -q -t ed25519 -N '' -f "$D/host_key"
    for try in $(seq 20); do
        PORT=$(( 20000 + (RANDOM % 40000) ))
        cat > "$D/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/host_key
PidFile $D/sshd.pid
AuthorizedKeysFile $D/keys/%u
AllowUsers $TUSER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
        rm -f "$D/sshd.pid"
        unshare -m --propagation private sh -c 'mount --bind "$1/etc" /etc &&
            exec /usr/sbin/sshd -f "$1/sshd_config" -E "$1/sshd.log"' sshd "$D"
        for _ in $(seq 50); do [ -s "$D/sshd.pid" ] && break; sleep 0.05; done
        [ -s "$D/sshd.pid" ] && break
    done
    [ -s "$D/sshd.pid" ]
    SSH="ssh -T -p $PORT -i $D/client_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$D/known_hosts -o LogLevel=ERROR $TUSER@127.0.0.1"
    export SSH D TUSER
}

teardown() {
    [ -n "${D:-}" ] || return 0
    [ -s "$D/sshd.pid" ] && kill "$(cat "$D/sshd.pid")" 2> /dev/null
    if id "$TUSER" > /dev/null 2>&1; then
        for pid in $(ps -o pid= -u "$TUSER" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
        userdel "$TUSER" 2> /dev/null || true
    fi
    rm -f "/etc/sudoers.d/sccrypt-test-$TUSER" "/etc/sudoers.d/sccrypt-test-$TUSER.tmp"
    sim_teardown
    [ -n "$MADE_RUN_SSHD" ] && rmdir /run/sshd 2> /dev/null
    rm -rf "$D"
    run ! id "$TUSER" > /dev/null 2>&1
}

@test "the test user may run only sc-relay through sudo" {
    run -0 timeout 30 $SSH sudo -n "$D/prefix/sbin/sc-relay" --version
    [[ "$output" == "sc-relay "* ]]
    run ! timeout 30 $SSH sudo -n /bin/cat /etc/shadow
}

@test "sc-enc | ssh -T user@host sudo sc-relay DOMID | sc-dec runs a session end to end" {
    start_sim --domain 5:demo:$SIM_UUID --guest-password 'ssh-Pw-77'
    bind_dom 5 $SIM_UUID
    printf 'root\nssh-Pw-77\necho "over-ssh-$((40+2))"\n' > in
    timeout 60 bash -c 'sc-enc < in 2> enc.err | tee wire.in |
        $SSH sudo "$D/prefix/sbin/sc-relay" -b sim --socket "$SOCK" 5 2> relay.err | tee wire.out |
        sc-dec > out 2> dec.err; echo "${PIPESTATUS[*]}" > rc'
    [ "$(cat rc)" = "0 0 0 0 0" ]
    grep -q 'over-ssh-42' out
    run ! grep -a -q 'ssh-Pw-77' wire.in wire.out out
    run ! grep -a -q 'over-ssh-42' wire.in wire.out
}

@test "an eavesdropper on sshd and sc-relay (strace) never sees the password" {
    command -v strace > /dev/null || skip "strace is not installed"
    start_sim --domain 5:demo:$SIM_UUID --guest-password 'strace-Pw-99'
    bind_dom 5 $SIM_UUID
    strace -f -qq -s 65536 -e trace=read,write,sendmsg,recvmsg,sendto,recvfrom \
        -o "$BATS_TEST_TMPDIR/trace" -p "$(cat "$D/sshd.pid")" &
    tracer=$!
    sleep 0.5
    printf 'root\nstrace-Pw-99\necho "traced-$((40+2))"\n' > in
    timeout 60 bash -c 'sc-enc < in 2> enc.err |
        $SSH sudo "$D/prefix/sbin/sc-relay" -b sim --socket "$SOCK" 5 2> relay.err |
        sc-dec > out 2> dec.err; echo "${PIPESTATUS[*]}" > rc'
    kill "$tracer" 2> /dev/null || true
    wait "$tracer" 2> /dev/null || true
    [ "$(cat rc)" = "0 0 0" ]
    grep -q 'traced-42' out
    [ -s trace ]
    run ! grep -a -q 'strace-Pw-99' trace
    run ! grep -a -q 'traced-42' trace
}
