#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-relay on its own and against the simulator.

bats_require_minimum_version 1.5.0

load sim_helpers

setup() { sim_setup; }
teardown() { sim_teardown; }

@test "sc-relay -h prints usage on stdout and exits 0" {
    run -0 --separate-stderr sc-relay -h
    [[ "$output" == "usage: sc-relay "* ]]
}

@test "sc-relay --version prints its name and version" {
    run -0 sc-relay --version
    [[ "$output" =~ ^sc-relay\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-relay exits 2 on a bad domain id or a missing one" {
    run -2 --separate-stderr sc-relay -b sim 'fi/ve'
    [ "$stderr" = "sc-relay: fi/ve: not a domain id, name or UUID" ]
    run -2 --separate-stderr sc-relay -b sim
    [[ "$stderr" == "usage: sc-relay "* ]]
}

@test "sc-relay exits 2 on an unknown backend" {
    run -2 --separate-stderr sc-relay -b qemu 5
    [ "$stderr" = "sc-relay: unknown backend 'qemu' (sim or xen)" ]
    SCCRYPT_RELAY=qemu run -2 --separate-stderr sc-relay 5
    [ "$stderr" = "sc-relay: unknown backend 'qemu' (sim or xen)" ]
}

@test "sc-relay exits 2 naming the socket when no simulator runs" {
    run -2 --separate-stderr $RELAY --vmm-key
    [ "$stderr" = "sc-relay: sim: simulator socket $SOCK: No such file or directory (is sc-vmmsim running?)" ]
}

@test "sc-relay exits 2 naming both places when it finds no VMM at all" {
    [ -e /dev/xen/privcmd ] && skip "a Xen hypervisor is present"
    SCCRYPT_SIM_SOCKET=$SOCK run -2 --separate-stderr sc-relay --vmm-key
    [ "$stderr" = "sc-relay: no VMM found: neither the Xen hypercall (/dev/xen/privcmd) nor the simulator's socket ($SOCK); start sc-vmmsim or pass -b" ]
}

@test "sc-relay -b xen exits 2 with a clear message where there is no Xen" {
    [ -e /dev/xen/privcmd ] && skip "a Xen hypervisor is present"
    run -2 --separate-stderr sc-relay -b xen --vmm-key
    [ "$stderr" = "sc-relay: xen: cannot open /dev/xen/privcmd (not dom0, or the xen-privcmd module is not loaded): No such file or directory" ]
}

@test "sc-relay picks the simulator by itself when its socket exists" {
    start_sim
    SCCRYPT_SIM_SOCKET=$SOCK run -0 sc-relay --vmm-key
    [[ "$output" =~ ^sccrypt-vmm-v1\ [0-9a-f]{64}$ ]]
}

@test "sc-relay --vmm-key prints the key whose fingerprint the simulator printed" {
    start_sim
    run -0 $RELAY --vmm-key
    [[ "$output" =~ ^sccrypt-vmm-v1\ [0-9a-f]{64}$ ]]
    printf '%s\n' "$output" > vmm.pub
    run -0 sc-keygen --vmm-fingerprint vmm.pub
    [ "$output" = "$(sim_fingerprint)" ]
}

@test "sc-relay refuses a VMM that speaks another protocol version" {
    start_sim --report-version 9
    run -2 --separate-stderr $RELAY --vmm-key
    [ "$stderr" = "sc-relay: sim: the VMM speaks SCCrypt protocol version 9, this sc-relay speaks version 4; install matching versions" ]
}

@test "sc-relay --bind binds once and exits 3 when the same request comes again" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    run -0 bind_dom 5 $SIM_UUID
    run -3 --separate-stderr $RELAY --bind 5 < req.5
    [ "$stderr" = "sc-relay: domain 5: the VMM refused the bind: the domain has no current bind challenge (each bind attempt uses it up): fetch a new one (sc-relay --challenge GUEST) and seal a new request for it (sc-keygen --seal --challenge)" ]
    # A bound domain hands out no challenge.
    run -3 --separate-stderr $RELAY --challenge 5
    [ "$stderr" = "sc-relay: domain 5: the VMM refused the challenge: the domain's console is bound already; a guest is bound once, while paused: create it again (xl create -p) to bind it anew" ]
}

@test "sc-relay --challenge prints the domain's challenge, the same until a bind attempt uses it up" {
    start_sim --domain 5:demo:$SIM_UUID --domain 6:db:$SIM_UUID2 --guest 'exec sleep 600'
    run -0 --separate-stderr $RELAY --challenge 5
    [[ "$output" =~ ^sccrypt-challenge-v1\ [0-9a-f]{32}$ ]]
    c1=$output
    run -0 $RELAY --challenge demo
    [ "$output" = "$c1" ]
    run -0 $RELAY --challenge 6
    [ "$output" != "$c1" ]
    run -0 $RELAY --vmm-key --challenge 5
    [ "${#lines[@]}" = 2 ]
    [[ "${lines[0]}" =~ ^sccrypt-vmm-v1\ [0-9a-f]{64}$ ]]
    [ "${lines[1]}" = "$c1" ]
    # A request for the other domain's UUID, sealed for this one's challenge: refused, and it uses the challenge up.
    sc-keygen > /dev/null 2>&1
    printf '%s\n' "${lines[@]}" > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID2 --challenge vmm.pub -o wrong 2> /dev/null
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID --challenge vmm.pub -o good 2> /dev/null
    run -3 $RELAY --bind 5 < wrong
    run -0 $RELAY --challenge 5
    [ "$output" != "$c1" ]
    # The good request was sealed for the challenge the failed attempt used up: refused.
    run -3 --separate-stderr $RELAY --bind 5 < good
    [[ "$stderr" == "sc-relay: domain 5: the VMM refused the bind: the request does not open under the domain's current bind challenge and this VMM's key: "*"fetch both again (sc-relay --vmm-key --challenge GUEST), check the key's fingerprint and seal a new request (sc-keygen --seal --challenge)" ]]
    run -0 bind_dom 5 $SIM_UUID
}

@test "sc-relay --bind exits 2 on a request of the wrong size" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    head -c 99 /dev/zero > short
    run -2 --separate-stderr $RELAY --bind 5 < short
    [ "$stderr" = "sc-relay: stdin: expected a 100-byte bind request (sc-keygen --seal), got fewer" ]
}

@test "sc-relay --bind exits 3 for a domain that does not exist or another UUID" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key > vmm.pub
    $RELAY --challenge 5 > chal
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID2 --challenge chal -o req 2> /dev/null
    run -3 --separate-stderr $RELAY --bind 6 < req
    [ "$stderr" = "sc-relay: domain 6: the VMM refused the bind: no such domain" ]
    run -3 --separate-stderr $RELAY --bind 5 < req
    [ "$stderr" = "sc-relay: domain 5: the VMM refused the bind: the request names another domain's UUID (sealed with this domain's challenge, which it used up): check the domain id or name (xl domid NAME) and the --domain UUID, then fetch a new challenge and seal a new request" ]
}

@test "a bind request sent to the wrong domain id does not use it up, and binds once where it belongs" {
    start_sim --domain 5:demo:$SIM_UUID --domain 6:db:$SIM_UUID2 --guest 'exec sleep 600'
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key --challenge 6 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID2 --challenge vmm.pub -o req 2> /dev/null
    c5=$($RELAY --challenge 5)
    run -3 --separate-stderr $RELAY --bind 5 < req
    [[ "$stderr" == *"the request does not open under the domain's current bind challenge"* ]]
    [ "$($RELAY --challenge 5)" = "$c5" ]
    run -0 --separate-stderr $RELAY --bind 6 < req
    run -3 --separate-stderr $RELAY --bind 6 < req
    [[ "$stderr" == *"the domain has no current bind challenge"* ]]
}

@test "sc-relay exits 7 for a session on an unbound domain and writes only its refusal notice; sc-dec and sc-enc exit 7" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key --challenge 5 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID --challenge vmm.pub -o req 2> /dev/null
    printf 'x' > in
    run -0 pipeline 5 -t 3
    [ "$(cat relay.rc)" = 7 ]
    [ "$(cat relay.err)" = "sc-relay: domain 5: the VMM refused the session: the domain's console is not bound (sc-relay --bind GUEST < request)" ]
    printf '\000\010REFUSED\007' > notice
    cmp notice wire.out
    [ ! -s out ]
    [ "$(cat dec.rc)" = 7 ]
    [ "$(cat enc.rc)" = 7 ]
    # Regression: sc-dec also printed a stray "….answer: No such file or directory".
    [ "$(cat dec.err)" = "sc-dec: no session: the relay says the domain is not bound (exit 7; its message says why)" ]
}

@test "sc-relay exits 2 when its stdin does not start with a hello" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    printf 'GET / HTTP/1.0\r\n\r\n' > junk
    run -2 --separate-stderr $RELAY 5 < junk
    [ "$stderr" = "sc-relay: stdin does not start with a hello (is sc-enc on the other end?)" ]
    run -2 --separate-stderr $RELAY 5 < /dev/null
    [ "$stderr" = "sc-relay: stdin ended before the hello" ]
}

@test "sc-relay refuses a second session on a held domain with exit 6, and --takeover ends the first" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'stty raw -echo; exec cat'
    bind_dom 5 $SIM_UUID
    mkfifo keep
    # The first session stays open while its input pipe stays open.
    ( timeout 60 bash -c 'cat keep | sc-enc -N 2> enc1.err | $RELAY 5 2> relay1.err | sc-dec > out1 2> dec1.err; echo "${PIPESTATUS[*]}" > rc1' ) &
    exec 7> keep
    wait_for "$BATS_TEST_TMPDIR/sim.log" "session opened"
    printf 'second\n' > in
    run -0 pipeline 5 -t 3
    [ "$(cat relay.rc)" = 6 ]
    [ "$(cat dec.rc)" = 6 ]
    [ "$(cat enc.rc)" = 6 ]
    [ "$(cat relay.err)" = "sc-relay: domain 5: the VMM refused the session: another session holds the domain's console (--takeover takes it over)" ]
    [ ! -s out ]
    export RELAY_ARGS=--takeover
    run -0 pipeline 5
    [ "$(cat relay.rc)" = 0 ]
    [ "$(cat dec.rc)" = 0 ]
    [ "$(cat out)" = second ]
    exec 7>&-
    wait
    # The first relay ended normally (the VMM closed), its sc-dec says why and exits 6.
    [ "$(cut -d' ' -f3,4 rc1)" = "0 6" ]
    grep -q "took\|takeover\|taken over\|another session" dec1.err
}

@test "sc-relay on SIGTERM asks the VMM to close, forwards the close and exits 4" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'stty raw -echo; exec cat'
    bind_dom 5 $SIM_UUID
    mkfifo keep
    ( timeout 60 bash -c 'cat keep | sc-enc -N 2> enc.err | sc-relay -v -b sim --socket $SOCK 5 2> relay.err | sc-dec > out 2> dec.err; echo "${PIPESTATUS[*]}" > rc' ) &
    exec 7> keep
    wait_for "$BATS_TEST_TMPDIR/sim.log" "session opened"
    printf 'hello\n' >&7
    wait_for out hello
    pid=$(sed -n 's/^sc-relay\[\([0-9]*\)\]: session start.*/\1/p' relay.err)
    kill -TERM "$pid"
    wait_for dec.err "."
    exec 7>&-
    wait
    [ "$(cut -d' ' -f3 rc)" = 4 ]
    [ "$(cut -d' ' -f4 rc)" = 4 ]
    grep -q "how=signal: the relay asked the VMM to close" relay.err
    grep -q "session end: user=.* domain=5 in=[0-9]* out=[0-9]*" relay.err
}

@test "sc-relay logs start and end of a session, never its content" {
    start_sim --domain 5:demo:$SIM_UUID --guest 'stty raw -echo; exec cat'
    bind_dom 5 $SIM_UUID
    printf 'sekrit-content\n' > in
    export RELAY_ARGS=-v
    # root through sudo (sudo sets all three; one alone is refused by the gate)
    export SUDO_USER=root SUDO_UID=0 SUDO_GID=0
    run -0 pipeline 5
    [ "$(cat relay.rc)" = 0 ]
    grep -q "^sc-relay\[[0-9]*\]: session start: user=root domain=5 backend=sim$" relay.err
    grep -q "^sc-relay\[[0-9]*\]: session end: user=root domain=5 in=[0-9]* out=[0-9]* records_in=[1-9][0-9]* exchanges=[1-9][0-9]* events=[0-9]* how=ended by the VMM$" relay.err
    run ! grep -q sekrit relay.err
}

@test "sc-relay run without sudo says to run it with sudo, not which device or socket it missed" {
    [ "$(id -u)" = 0 ] || skip "needs root (to run it as another user)"
    command -v setpriv > /dev/null || skip "setpriv is not installed"
    run -2 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -u XDG_RUNTIME_DIR "$BATS_TEST_DIRNAME/../bin/sc-relay" 5 < /dev/null
    [ "$stderr" = "sc-relay: no VMM reachable without root: run it with sudo (sudo sc-relay ...), or start sc-vmmsim as yourself to try things out (its socket: /tmp/sccrypt-sim-65534/sim.sock)" ]
}

@test "a bind request sealed to the previous boot's VMM key is refused as the VMM key having changed" {
    # the hypervisor before its reboot, and after it (a new VMM key)
    start_sim -n old --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    sc-keygen > /dev/null 2>&1
    sc-relay -b sim --socket "$BATS_TEST_TMPDIR/simold.sock" --vmm-key --challenge 5 > old.pub
    sc-keygen --seal old.pub --expect "$(sim_fingerprint old)" --domain $SIM_UUID --challenge old.pub -o req 2> /dev/null
    start_sim --domain 5:demo:$SIM_UUID --guest 'exec sleep 600'
    $RELAY --challenge 5 > /dev/null
    run -3 --separate-stderr $RELAY --bind 5 < req
    [ "$stderr" = "sc-relay: domain 5: the VMM refused the bind: the request does not open under the domain's current bind challenge and this VMM's key: each bind attempt uses the challenge up (a re-created domain has a new one), and the VMM key changes at every boot of the hypervisor; fetch both again (sc-relay --vmm-key --challenge GUEST), check the key's fingerprint and seal a new request (sc-keygen --seal --challenge)" ]
}
