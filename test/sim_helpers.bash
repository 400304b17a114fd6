# SPDX-License-Identifier: MIT
# Helpers for the tests that run the VMM simulator, sc-relay and the whole pipeline.
bats_require_minimum_version 1.5.0

SIM_UUID=5a5a5a5a-1111-4222-8333-444444444444
SIM_UUID2=5a5a5a5a-1111-4222-8333-555555555555

# A private HOME, XDG directories and PATH for one test.
sim_setup() {
    export HOME="$BATS_TEST_TMPDIR/home"
    export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/cfg"
    export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
    unset SCCRYPT_KEY SCCRYPT_VMM SCCRYPT_RELAY SCCRYPT_SIM_SOCKET
    # The simulator's honest seal level is the weakest (a user-space process
    # seals nothing, sccrypt(7) LEVELS): the tests accept it explicitly, as a
    # user must; test/level.bats runs without this and sees the refusal.
    export SCCRYPT_REQUIRE=none
    # `sudo make check`: the relay run by the tests is root's, not the policy's caller
    unset SUDO_USER SUDO_UID SUDO_GID
    PATH="$BATS_TEST_DIRNAME/../bin:$BATS_TEST_DIRNAME/../bin/test:$PATH"
    SOCK="$BATS_TEST_TMPDIR/sim.sock"
    RELAY="sc-relay -b sim --socket $SOCK"
    export SOCK RELAY
    cd "$BATS_TEST_TMPDIR" || return 1
}

# Stops every simulator this test started (by its pid file).
sim_teardown() {
    local p pid
    for p in "$BATS_TEST_TMPDIR"/sim*.pid; do
        [ -f "$p" ] || continue
        pid=$(cat "$p")
        kill "$pid" 2> /dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2> /dev/null || true
    done
}

# start_sim [SUFFIX] ARGS...: a simulator in the background (daemon mode returns when it
# listens), state in state$SUFFIX, log in sim$SUFFIX.log, pid in sim$SUFFIX.pid.
start_sim() {
    local s=""
    if [ "${1:-}" = -n ]; then s=$2; shift 2; fi
    sc-vmmsim -d "$BATS_TEST_TMPDIR/state$s" -s "$BATS_TEST_TMPDIR/sim$s.sock" \
        --pid-file "$BATS_TEST_TMPDIR/sim$s.pid" "$@" 2> "$BATS_TEST_TMPDIR/sim$s.log"
}

# The fingerprint the simulator printed at start (the channel outside dom0).
sim_fingerprint() {
    sed -n 's/^sc-vmmsim: VMM key fingerprint //p' "$BATS_TEST_TMPDIR/sim${1:-}.log" | head -1
}

# bind_dom DOMID UUID [KEYFILE]: make the key if needed, seal it to the simulator's key
# (checked against its fingerprint) and bind it through the relay.
bind_dom() {
    local k=${3:-$XDG_CONFIG_HOME/sccrypt/key}
    if [ ! -f "$k" ]; then
        if [ -n "${3:-}" ]; then sc-keygen -k "$k"; else sc-keygen; fi > /dev/null 2>&1
    fi
    $RELAY --vmm-key --challenge "$1" > vmm.pub
    sc-keygen -k "$k" --seal vmm.pub --expect "$(sim_fingerprint)" --domain "$2" \
        --challenge vmm.pub -o "req.$1" 2> /dev/null
    $RELAY --bind "$1" < "req.$1" 2> /dev/null
}

# pipeline DOMID [ENC ARGS]: sc-enc < in | sc-relay DOMID | sc-dec > out, each stage's
# status in enc.rc relay.rc dec.rc, stderr in *.err, the relay's stdin in wire.in and
# stdout in wire.out.  One process group (timeout's) for the rendezvous; 60 s at most.
pipeline() {
    local dom=$1
    shift
    timeout 60 bash -c '
        dom=$1; shift
        { sc-enc "$@" < "${INPUT:-in}" 2> enc.err; echo $? > enc.rc; } | tee wire.in |
        { $RELAY $RELAY_ARGS "$dom" 2> relay.err; echo $? > relay.rc; } | tee wire.out |
        { sc-dec $DEC_ARGS > out 2> dec.err; echo $? > dec.rc; }' pipeline "$dom" "$@"
}

# Waits (20 s at most: a loaded machine, ssh and sudo are slow) until FILE
# contains TEXT.
wait_for() {
    local i
    for i in $(seq 400); do
        grep -q -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.05
    done
    echo "timed out waiting for '$2' in $1" >&2
    return 1
}
