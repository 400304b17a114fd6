# SPDX-License-Identifier: MIT
# A real sshd and sudo for one test, as an operator sets them up (sc-relay(8)):
# Debian's sshd on 127.0.0.1 with its own host key and config, a test user
# with an authorized key, a sudoers drop-in letting that user run only
# sc-relay as root without a password, and sc-relay's policy file.
#
# Nothing of the machine's /etc changes: the user, the drop-in and the policy
# live in D/etc, a copy of /etc that a private mount namespace (held by the
# process NSPID) shows in place of /etc; sshd runs in it, and so sudo and
# sc-relay under it.  Everything else is under D (mktemp -d in /tmp, mode
# 0755 so sshd, as the user, can read the authorized key): the relay in
# D/prefix/sbin, root's and readable by all.  /run/sshd is made if missing
# and left (as openssh-server's service leaves it).  ssh_fixture_teardown stops sshd,
# the user's processes and the namespace (by pid) and removes D.
bats_require_minimum_version 1.5.0

# shellcheck source=test/sshd.sh
. "$BATS_TEST_DIRNAME/sshd.sh"

# ssh_fixture_setup POLICY-LINE...: after sim_setup; sets D NSPID TUSER PORT SSH_OPTS SUDO_RELAY.
# With SSH_PASSWORD set, the test user has that password and sshd asks for it
# (PasswordAuthentication yes) when the client offers no key.
ssh_fixture_setup() {
    [ "$(id -u)" = 0 ] || skip "needs root (sshd, useradd, sudoers, mount namespace)"
    [ -x /usr/sbin/sshd ] || skip "openssh-server is not installed"
    command -v sudo > /dev/null || skip "sudo is not installed"
    D=$(mktemp -d /tmp/sccrypt-ssh.XXXXXX)
    chmod 755 "$D"
    TUSER="sccon$$"
    # sshd's privilege-separation directory, as openssh-server's service makes
    # it; left in place (removing it would break another sshd starting now).
    mkdir -p -m 755 /run/sshd
    mkdir -p -m 755 "$D/prefix/sbin" "$D/home" "$D/keys"
    install -m 755 "$BATS_TEST_DIRNAME/../bin/sc-relay" "$D/prefix/sbin/sc-relay"
    private_etc "$D" "$TUSER" "$D/home"
    ssh-keygen -q -t ed25519 -N '' -f "$D/client_key"
    install -m 644 "$D/client_key.pub" "$D/keys/$TUSER"
    printf '%s ALL=(root) NOPASSWD: %s\n' "$TUSER" "$D/prefix/sbin/sc-relay" \
        > "$D/etc/sudoers.d/sccrypt-test"
    chmod 440 "$D/etc/sudoers.d/sccrypt-test"
    $NS visudo -cqf /etc/sudoers.d/sccrypt-test
    printf '%s\n' "backend sim" "socket $SOCK" "$@" > "$D/etc/sccrypt/relay.conf"
    chmod 644 "$D/etc/sccrypt/relay.conf"
    start_sshd "$D" "$TUSER" $NS
    SSH_OPTS="-p $PORT -i $D/client_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$D/known_hosts -o LogLevel=ERROR -l $TUSER"
    SUDO_RELAY="sudo -n $D/prefix/sbin/sc-relay"
    export D NSPID TUSER TUID PORT SSH_OPTS SUDO_RELAY NS
}

ssh_fixture_teardown() {
    [ -n "${D:-}" ] || return 0
    [ -s "$D/sshd.pid" ] && kill "$(cat "$D/sshd.pid")" 2> /dev/null
    if [ -n "${TUID:-}" ]; then
        for pid in $(ps -o pid= -U "$TUID" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    fi
    [ -n "${NSPID:-}" ] && kill "$NSPID" 2> /dev/null
    rm -rf "$D"
}
