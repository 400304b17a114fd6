#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-console through a real sshd and sudo (test/ssh_helpers.bash): one
# command, one key, the VMM pinned for the host, ssh's options passed through.

bats_require_minimum_version 1.5.0

load sim_helpers
load ssh_helpers

setup() {
    sim_setup
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat'
    ssh_fixture_setup "allow user:sccon$$ attach,takeover name:web1"
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key > vmm.pub
    printf 'typed-through-ssh\n' > in
}

teardown() {
    ssh_fixture_teardown
    sim_teardown
}

# pin_and_bind HOST: seals the key to the simulator for domain 5, pinned under HOST, and binds.
pin_and_bind() {
    $RELAY --challenge 5 > chal
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain "$SIM_UUID" --name "$1" \
        --challenge chal -o req 2> /dev/null
    $RELAY --bind 5 < req 2> /dev/null
}

@test "sc-console -h prints usage and --version its version" {
    run -0 sc-console -h
    [[ "$output" == "usage: sc-console "* ]]
    run -0 sc-console --version
    [[ "$output" =~ ^sc-console\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-console HOST DOMID runs the whole session through ssh and sudo with the VMM pinned for HOST" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    [[ "$stderr" == *"sc-dec: connected to domain 5 uuid $SIM_UUID instance "* ]]
}

@test "sc-console passes ssh's options through, grouped and attached ones too" {
    pin_and_bind 127.0.0.1
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" -qp"$PORT" \
        -i "$D/client_key" -oBatchMode=yes -o StrictHostKeyChecking=no \
        -o "UserKnownHostsFile=$D/known_hosts" "$TUSER@127.0.0.1" 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    # without the port ssh reaches no sshd: the options are what made it work
    run -2 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" -q -i "$D/client_key" \
        -oBatchMode=yes -o ConnectTimeout=5 "$TUSER@127.0.0.1" 5 < in
    [[ "$stderr" == *"sc-console: ssh to $TUSER@127.0.0.1 failed (exit 255)"* ]]
}

@test "sc-console picks the VMM pinned for each host, so one host's key never goes to another's VMM" {
    pin_and_bind 127.0.0.1
    # localhost reaches the same sshd, but its pin is another VMM's key
    start_sim -n 2
    sc-relay -b sim --socket "$BATS_TEST_TMPDIR/sim2.sock" --vmm-key --challenge 5 > vmm2.pub
    sc-keygen --seal vmm2.pub --expect "$(sim_fingerprint 2)" --domain "$SIM_UUID" \
        --name localhost --challenge vmm2.pub -o req2 2> /dev/null
    # shellcheck disable=SC2086
    run -3 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS localhost 5 < in
    [[ "$output" != *typed-through-ssh* ]]
    [[ "$stderr" == *"sc-relay: domain 5: the VMM refused the session: "* ]]
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS --vmm 127.0.0.1 localhost 5 < in
    [[ "$output" == *typed-through-ssh* ]]
}

@test "sc-console exits 2 and says how to pin when no VMM is pinned for the host" {
    pin_and_bind somewhere-else
    # shellcheck disable=SC2086
    run -2 --separate-stderr sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [ "$stderr" = "sc-console: no VMM key pinned for host 127.0.0.1 in $XDG_CONFIG_HOME/sccrypt/known_vmms: pin it when you bind (sc-keygen --seal vmm.pub --expect SHA256:... --domain UUID --name 127.0.0.1), or name a pinned VMM with --vmm NAME" ]
}

@test "sc-console exits with the relay's 5 when the policy does not let the user attach" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -5 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 6 < in
    [[ "$stderr" == *"sc-relay: $TUSER may not attach to domain 6 (name db1, UUID $SIM_UUID2): "* ]]
    [ -z "$output" ]
}

@test "sc-console --takeover takes over a held console" {
    pin_and_bind 127.0.0.1
    mkfifo hold
    # shellcheck disable=SC2086
    { r=0; timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < hold > first.out 2> first.err || r=$?; echo $r > first.rc; } &
    first=$!
    exec 5> hold
    wait_for first.err 'sc-dec: connected'
    # shellcheck disable=SC2086
    run -6 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$stderr" == *"another session holds the domain's console (--takeover takes it over)"* ]]
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --takeover --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    exec 5>&-
    wait "$first"
    [ "$(cat first.rc)" = 6 ]
    grep -q 'sc-dec: the VMM ended the session: another session took the console over' first.err
}

@test "sc-console refuses another domain instance than last time (8), --accept-instance accepts it once" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    # the domain as another instance would present it: the remembered one differs
    f="$XDG_STATE_HOME/sccrypt/instances"
    sed -i 's/ [0-9a-f]\{32\}$/ 0123456789abcdef0123456789abcdef/' "$f"
    # shellcheck disable=SC2086
    run -8 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" != *typed-through-ssh* ]]
    [[ "$stderr" == *"WARNING: YOUR KEY REACHED ANOTHER DOMAIN INSTANCE"* ]]
    grep -q ' 0123456789abcdef0123456789abcdef$' "$f"
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --accept-instance --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    run ! grep -q ' 0123456789abcdef0123456789abcdef$' "$f"
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    [[ "$stderr" != *WARNING* ]]
}

@test "sc-console refuses a guest that is not an id, name or UUID, a host that looks like an option, and ssh options that break the session" {
    run -2 --separate-stderr sc-console host '5;id'
    [ "$stderr" = "sc-console: 5;id: not a domain id, name or UUID" ]
    run -2 --separate-stderr sc-console host '-5'
    [ "$stderr" = "sc-console: -5: not a domain id, name or UUID" ]
    run -2 --separate-stderr sc-console -- -oProxyCommand=x 5
    [ "$stderr" = "sc-console: -oProxyCommand=x: not a host name" ]
    for o in -t -N -f -n -tt -vN "-W h:1" "-O exit"; do
        # shellcheck disable=SC2086
        run -2 --separate-stderr sc-console $o host 5
        [[ "$stderr" == "sc-console: ssh option -"?" does not fit a console session"* ]]
    done
    run -2 --separate-stderr sc-console -p
    [ "$stderr" = "sc-console: ssh option -p needs an argument" ]
    run -2 --separate-stderr sc-console --frobnicate host 5
    [ "$stderr" = "sc-console: unknown option --frobnicate (sc-console -h)" ]
}
