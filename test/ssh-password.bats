#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Issue 10: ssh (and sudo) must be able to ask the terminal for a password.
# sc-enc used to put the terminal in raw mode and read it from its start, so
# the keys of ssh's password were split between ssh and sc-enc (and those
# sc-enc took were sent to the guest once the session began); the session
# timed out.  A real sshd that asks for a password (test/ssh_helpers.bash),
# the pipeline typed into under tmux as a user would.

bats_require_minimum_version 1.5.0

load sim_helpers
load ssh_helpers
load tmux_helpers

setup() {
    command -v tmux > /dev/null || skip "tmux is not installed"
    sim_setup
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat'
    SSH_PASSWORD="pw-$RANDOM-Ssh"
    ssh_fixture_setup "allow user:sccon$$ attach name:web1"
    bind_dom 5 "$SIM_UUID"
    # The client offers no key: sshd asks for the password on the terminal.
    cat > run.sh <<EOS
stty -g > before
sc-enc -N 2> enc.err |
    ssh -T -p $PORT -o PubkeyAuthentication=no -o PreferredAuthentications=password \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=$D/known_hosts -o LogLevel=ERROR \
        -o NumberOfPasswordPrompts=1 -l $TUSER 127.0.0.1 "$SUDO_RELAY 5" |
    sc-dec 2> dec.err
echo "\${PIPESTATUS[@]}" > st.tmp
stty -g > after
mv st.tmp st
EOS
    tmux_start 120 30
    keys ". ./env.sh; PS1='$ '" Enter
    WAIT_PANE_TRIES=200
}

teardown() {
    tmux_stop
    ssh_fixture_teardown
    sim_teardown
}


@test "ssh asks for a password on the terminal and gets all of it; the session then runs" {
    keys "bash run.sh" Enter
    wait_pane "password:"
    # typed as a user would, a key at a time
    for ((i = 0; i < ${#SSH_PASSWORD}; i++)); do
        keys -l "${SSH_PASSWORD:i:1}"
        sleep 0.03
    done
    keys Enter
    for _ in $(seq 200); do grep -q connected dec.err 2> /dev/null && break; sleep 0.1; done
    grep -q "sc-dec: connected to domain 5 uuid $SIM_UUID" dec.err
    keys -l 'after-login'
    keys Enter
    wait_pane "after-login"
    keys "~" "."
    for _ in $(seq 100); do [ -s st ] && break; sleep 0.1; done
    [ "$(cat st)" = "0 0 0" ]
    cmp before after
    # none of the password went to sc-enc: the guest (cat) would have echoed it
    pane > pane.txt
    grep -qF "after-login" pane.txt
    run ! grep -qF -- "$SSH_PASSWORD" pane.txt
}

# sudo in dom0 has no terminal to ask on (ssh -T): it must say so, and the
# tools must end without a session, the terminal never raw.
@test "a sudo rule that asks for a password fails clearly: no session, sc-enc and sc-dec exit 2" {
    printf '%s ALL=(root) %s\n' "$TUSER" "$D/prefix/sbin/sc-relay" > "$D/etc/sudoers.d/sccrypt-test"
    $NS visudo -cqf /etc/sudoers.d/sccrypt-test
    printf 'never-sent\n' > in
    # shellcheck disable=SC2086
    timeout 60 bash -c 'sc-enc < in 2> enc.err |
        ssh -T $SSH_OPTS 127.0.0.1 sudo "$D/prefix/sbin/sc-relay" 5 2> ssh.err |
        sc-dec > out 2> dec.err; echo "${PIPESTATUS[*]}" > rc'
    [ "$(cat rc)" = "2 1 2" ]
    grep -q "sudo: a terminal is required to read the password" ssh.err
    [ "$(cat dec.err)" = "sc-dec: the stream ended before the VMM's answer: no session (did ssh or the relay fail?)" ]
    # sc-enc hears it first from sc-dec, or from its closed output: 2 either way
    [ ! -s enc.err ] || [ "$(cat enc.err)" = "sc-enc: output closed (the relay or ssh ended): Broken pipe" ]
    [ ! -s out ]
}
