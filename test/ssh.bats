#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Through real OpenSSH and sudo, as an operator sets it up (sc-relay(8)):
# Debian's sshd on 127.0.0.1 with its own host key and config, a test user
# with an authorized key, and a sudoers drop-in letting that user run only
# sc-relay as root without a password.
#
# The fixture (test/ssh_helpers.bash): sshd, the user, the drop-in and
# sc-relay's policy (the test user may attach to the test's simulator only)
# live in a private copy of /etc that a mount namespace shows to sshd, and
# so to sudo and sc-relay under it; the machine's /etc is never touched.

bats_require_minimum_version 1.5.0

load sim_helpers
load ssh_helpers

setup() {
    sim_setup
    ssh_fixture_setup "allow user:sccon$$ attach *"
    SSH="ssh -T $SSH_OPTS 127.0.0.1"
    export SSH
}

teardown() {
    ssh_fixture_teardown
    sim_teardown
    # The machine's /etc never had the test user.
    run ! id "sccon$$"
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
