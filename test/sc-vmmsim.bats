#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-vmmsim, the VMM simulator, on its own.

bats_require_minimum_version 1.5.0

load sim_helpers

setup() { sim_setup; }
teardown() { sim_teardown; }

@test "sc-vmmsim -h prints usage on stdout and exits 0" {
    run -0 --separate-stderr sc-vmmsim -h
    [[ "$output" == "usage: sc-vmmsim "* ]]
}

@test "sc-vmmsim --version prints its name and version" {
    run -0 sc-vmmsim --version
    [[ "$output" =~ ^sc-vmmsim\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-vmmsim exits 2 on a malformed --domain or a duplicate one" {
    run -2 --separate-stderr sc-vmmsim -f --domain 5:demo:not-a-uuid
    [ "$stderr" = "sc-vmmsim: --domain 5:demo:not-a-uuid: expected ID[:NAME[:UUID]] (UUID as 8-4-4-4-12 hex)" ]
    run -2 --separate-stderr sc-vmmsim -f --domain 5 --domain 5:again
    [ "$stderr" = "sc-vmmsim: domain 5 named twice" ]
    run -2 --separate-stderr sc-vmmsim -f --backlog 12
    [ "$stderr" = "sc-vmmsim: --backlog 12: expected 4096 to 1073741824 bytes" ]
}

@test "sc-vmmsim makes a 0600 identity key on first start and keeps it across restarts" {
    start_sim
    [ "$(stat -c %a state/vmm-key)" = 600 ]
    fp1=$(sim_fingerprint)
    [[ "$fp1" =~ ^SHA256:[A-Za-z0-9+/]{43}$ ]]
    grep -q "^sc-vmmsim: made a new VMM identity key in $BATS_TEST_TMPDIR/state/vmm-key$" sim.log
    grep -qx "sc-vmmsim: ready" sim.log
    sim_teardown
    start_sim
    [ "$(sim_fingerprint)" = "$fp1" ]
    run ! grep -q "made a new" sim.log
}

@test "sc-vmmsim's fingerprint is the one sc-keygen computes from sc-relay --vmm-key" {
    start_sim
    $RELAY --vmm-key > vmm.pub
    run -0 sc-keygen --vmm-fingerprint vmm.pub
    [ "$output" = "$(sim_fingerprint)" ]
}

@test "sc-vmmsim refuses an identity key that others can read" {
    start_sim
    sim_teardown
    chmod 644 state/vmm-key
    run -2 start_sim
    grep -q "vmm-key: readable by group or others; run chmod 600" sim.log
}

@test "sc-vmmsim refuses to start on a socket another simulator serves" {
    start_sim
    run -2 sc-vmmsim -f -d state2 -s "$SOCK"
    [[ "$output" == *"sc-vmmsim: $SOCK: another simulator is serving this socket"* ]]
}

@test "sc-vmmsim runs the default domain 5 named demo with a random UUID" {
    start_sim
    grep -Eq "^sc-vmmsim: domain 5 name demo uuid [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} guest \(built-in login\)$" sim.log
}

@test "sc-vmmsim serves several domains, each with its own guest" {
    start_sim --domain 5:one:$SIM_UUID --guest 'stty raw -echo; echo from-one; exec sleep 600' \
              --domain 6:two:$SIM_UUID2 --guest 'stty raw -echo; echo from-two; exec sleep 600'
    bind_dom 5 $SIM_UUID
    sleep 0.3
    : > in
    run -0 pipeline 5
    [ "$(cat out)" = from-one ]
    # One key binds both; with two bound, each session names its domain.
    $RELAY --vmm-key --challenge 6 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID2 --challenge vmm.pub -o req6 2> /dev/null
    run -0 --separate-stderr $RELAY --bind 6 < req6
    [ "$stderr" = "sc-relay: domain 6: console bound" ]
    [[ "$output" =~ ^sccrypt-bound-v1\ [0-9a-f]{144}$ ]]
    run -0 pipeline 6
    [ "$(cat relay.rc)" = 3 ]
    [ "$(cat relay.err)" = "sc-relay: domain 6: the VMM refused the session: this key binds several domains here and the session named none: name the guest (sc-enc -g NAME|UUID, sc-console HOST NAME)" ]
    run -0 pipeline 6 -g $SIM_UUID2
    [ "$(cat out)" = from-two ]
}

@test "a bind request used before a sc-vmmsim restart is refused after it (new challenges, no table)" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    bind_dom 5 $SIM_UUID
    sim_teardown
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    $RELAY --challenge 5 > /dev/null
    run -3 --separate-stderr $RELAY --bind 5 < req.5
    [[ "$stderr" == "sc-relay: domain 5: the VMM refused the bind: the request does not open under the domain's current bind challenge and this VMM's key: "* ]]
    [ ! -e "$BATS_TEST_TMPDIR/state/used-requests" ]
}

@test "sc-vmmsim stops on SIGTERM and removes its socket and pid file" {
    start_sim
    pid=$(cat sim.pid)
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    run ! kill -0 "$pid" 2> /dev/null
    [ ! -e "$SOCK" ]
    [ ! -e sim.pid ]
}

@test "sc-vmmsim started from a terminal shows its fingerprint there before it detaches" {
    command -v tmux > /dev/null || skip "needs tmux"
    sock=$BATS_TEST_TMPDIR/tty.sock
    tmux -L "scsim$$" new-session -d -x 160 -y 20 \
        "sc-vmmsim -d '$BATS_TEST_TMPDIR/ttystate' -s '$sock' --pid-file '$BATS_TEST_TMPDIR/tty.pid'; echo EXIT=\$?; sleep 30"
    for _ in $(seq 50); do
        tmux -L "scsim$$" capture-pane -p | grep -q '^EXIT=' && break
        sleep 0.1
    done
    screen=$(tmux -L "scsim$$" capture-pane -p)
    kill "$(cat "$BATS_TEST_TMPDIR/tty.pid")"
    tmux -L "scsim$$" kill-server
    echo "$screen"
    [[ "$screen" =~ sc-vmmsim:\ VMM\ key\ fingerprint\ SHA256:[A-Za-z0-9+/]{43} ]]
    [[ "$screen" == *"EXIT=0"* ]]
}

@test "sc-vmmsim --guest-user runs every guest as that user, the built-in login guest's shell too" {
    [ "$(id -u)" = 0 ] || skip "needs root"
    start_sim --guest-user nobody \
        --domain 5:demo:$SIM_UUID --guest 'echo "guest-is-$(id -un)-$(id -u)-in-$PWD"; exec cat' \
        --domain 6:login:$SIM_UUID2
    bind_dom 5 $SIM_UUID
    printf 'x\n' > in
    pipeline 5
    [ "$(cat dec.rc)" = 0 ]
    grep -q 'guest-is-nobody-65534-in-/' out
    bind_dom 6 $SIM_UUID2 "$BATS_TEST_TMPDIR/key6"
    printf 'root\ndemo\necho "shell-is-$(id -un)"\n' > in
    SCCRYPT_KEY="$BATS_TEST_TMPDIR/key6" pipeline 6
    [ "$(cat dec.rc)" = 0 ]
    grep -q 'shell-is-nobody' out
    grep -q 'root@login:\$ ' out
}

@test "sc-vmmsim --guest-user needs root, and refuses root itself and an unknown user" {
    [ "$(id -u)" = 0 ] || skip "needs root"
    run -2 --separate-stderr sc-vmmsim -f --guest-user root
    [ "$stderr" = "sc-vmmsim: --guest-user root: that is root; name an unprivileged user" ]
    run -2 --separate-stderr sc-vmmsim -f --guest-user no-such-user-xyz
    [ "$stderr" = "sc-vmmsim: --guest-user no-such-user-xyz: no such user" ]
    run -2 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$(command -v sc-vmmsim)" -f --guest-user nobody
    [ "$stderr" = "sc-vmmsim: --guest-user needs root (without it the guests run as you)" ]
}

# Issue 9 item 7: one request at a time with blocking reads, a 64-slot table
# anyone could fill, and a socket directory taken as found.
@test "a half-sent request on one connection does not stall another relay" {
    start_sim --domain 5:demo:$SIM_UUID
    simconn "$SOCK" half 1 10 > hold.out &
    wait_for hold.out ready
    t0=$(date +%s%N)
    run -0 $RELAY --vmm-key
    t1=$(date +%s%N)
    [[ "$output" == "sccrypt-vmm-v1 "* ]]
    [ $(( (t1 - t0) / 1000000 )) -lt 1500 ]
    kill %1 2> /dev/null || true
}

@test "70 idle connections do not lock other relays out" {
    start_sim --domain 5:demo:$SIM_UUID
    simconn "$SOCK" idle 70 10 > hold.out &
    wait_for hold.out ready
    run -0 $RELAY --vmm-key
    [[ "$output" == "sccrypt-vmm-v1 "* ]]
    kill %1 2> /dev/null || true
}

@test "sc-vmmsim refuses a socket directory that another user owns, or that others can write and is not sticky" {
    mkdir -m 700 theirs
    chown nobody theirs
    run -2 timeout 10 sc-vmmsim -f -d state -s "$PWD/theirs/sim.sock"
    [[ "$output" == *"$PWD/theirs: the socket's directory must be a directory (not a symlink) owned by you or root, and sticky if others can write in it; remove it or choose another --socket"* ]]
    [ ! -e theirs/sim.sock ]
    mkdir -m 777 open
    run -2 timeout 10 sc-vmmsim -f -d state -s "$PWD/open/sim.sock"
    [[ "$output" == *"$PWD/open: the socket's directory must be"* ]]
    [ ! -e open/sim.sock ]
}

@test "sc-vmmsim as root without --guest-user says loudly that its guests run as root" {
    [ "$(id -u)" = 0 ] || skip "needs root"
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec cat'
    grep -qx "sc-vmmsim: WARNING: running as root without --guest-user: every guest is a real program on this machine and runs as root (the built-in login's shell too), so whoever types into a console controls this machine; give --guest-user nobody (or another unprivileged user)" sim.log
    start_sim -n 2 --guest-user nobody --domain 5:demo:$SIM_UUID --guest 'exec cat'
    run ! grep -q WARNING sim2.log
}

@test "sc-vmmsim starts a guest that exited again after its 1 s delay, with nothing else to wake it" {
    start_sim --domain 5:demo:$SIM_UUID --guest "echo x >> '$BATS_TEST_TMPDIR/starts'; exec sleep 0.3"
    sleep 6
    # started at 0 s, then about once a second (the delay counts from each start)
    n=$(wc -l < starts)
    echo "starts in 6 s: $n"
    [ "$n" -ge 4 ]
}
