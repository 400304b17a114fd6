#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Many guests, one key, guests by name (issue 18 items 2-4): a key binds
# several domains, each session names the domain (UUID) it is for inside its
# authenticated hello, the relay finds domains by name or UUID, and the VMM's
# authenticated bind answer is recorded so a rebind is not taken for an
# impostor.  The last test runs the whole fleet through a real sshd and sudo.

bats_require_minimum_version 1.5.0

load sim_helpers
load ssh_helpers

SIM_UUID3=5a5a5a5a-1111-4222-8333-666666666666

setup() {
    sim_setup
    sc-keygen > /dev/null 2>&1
}

teardown() {
    ssh_fixture_teardown
    sim_teardown
}

# bind_named GUEST UUID: seal the one key for UUID, bind by name through the
# relay, record the VMM's answer under GUEST.
bind_named() {
    $RELAY --vmm-key --challenge "$1" > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain "$2" --challenge vmm.pub -o "req.$1" 2> /dev/null
    $RELAY --bind "$1" < "req.$1" > "ans.$1" 2> /dev/null
    sc-keygen --bound "req.$1" --guest "$1" "ans.$1" 2> /dev/null
}

@test "one key binds two guests; dom0 routing a session meant for one to the other gets nothing" {
    start_sim --domain 5:web1:$SIM_UUID --guest "stty raw -echo; exec cat > '$BATS_TEST_TMPDIR/a.log'" \
              --domain 6:db1:$SIM_UUID2 --guest "stty raw -echo; exec cat > '$BATS_TEST_TMPDIR/b.log'"
    bind_named web1 $SIM_UUID
    bind_named db1 $SIM_UUID2
    printf 'secret-for-web1\n' > in
    # dom0 sends the session the user meant for web1 to db1 (also bound to this key)
    run -0 pipeline 6 -g web1
    [ "$(cat relay.rc)" = 3 ]
    [[ "$(cat relay.err)" == "sc-relay: domain 6: the VMM refused the session: the request names another domain (UUID mismatch)"* ]]
    [ "$(cat dec.rc)" = 3 ]
    [ "$(cat enc.rc)" != 0 ]
    # what the attacker got: nothing reached db1's guest, nothing came back
    sleep 0.3
    [ ! -s b.log ]
    [ ! -s out ]
    run ! grep -a -q secret-for-web1 wire.in wire.out
    # the same session sent where it was meant goes through
    run -0 pipeline 5 -g web1
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    for _ in $(seq 50); do grep -q secret-for-web1 a.log && break; sleep 0.1; done
    grep -q secret-for-web1 a.log
    [ ! -s b.log ]
}

@test "with two guests on one key a session that names none is refused, whichever guest dom0 picks" {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat'
    bind_named web1 $SIM_UUID
    printf 'x\n' > in
    run -0 pipeline 5
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    bind_named db1 $SIM_UUID2
    for d in 5 6; do
        run -0 pipeline $d
        [ "$(cat relay.rc)" = 3 ]
        [[ "$(cat relay.err)" == *"this key binds several domains here and the session named none: name the guest"* ]]
    done
}

@test "sc-relay finds a domain by name or UUID; an unknown or shared name is refused" {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat' \
              --domain 7:db1:$SIM_UUID3 --guest 'exec cat'
    bind_named web1 $SIM_UUID
    printf 'by-name\n' > in
    run -0 pipeline web1 -g web1
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    grep -q by-name out
    grep -q "sc-dec: connected to domain 5 uuid $SIM_UUID" dec.err
    run -0 pipeline "${SIM_UUID^^}" -g web1
    [ "$(cat relay.rc)" = 0 ]
    run -3 --separate-stderr $RELAY nosuch < /dev/null
    [ "$stderr" = "sc-relay: nosuch: no such domain" ]
    run -2 --separate-stderr $RELAY db1 < /dev/null
    [ "$stderr" = "sc-relay: db1: 2 domains have this name; name one by its UUID" ]
    run -2 --separate-stderr $RELAY 'web 1' < /dev/null
    [ "$stderr" = "sc-relay: web 1: not a domain id, name or UUID" ]
}

@test "the bind answer is checked: forged, replayed, or for another request it records nothing" {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat'
    bind_named web1 $SIM_UUID
    [[ "$(cat ans.web1)" =~ ^sccrypt-bound-v1\ [0-9a-f]{144}$ ]]
    cp "$XDG_STATE_HOME/sccrypt/instances" inst.before
    # flip one hex digit of the answer
    sed 's/.$/x/; s/x$/0/' ans.web1 > forged
    [ "$(cat forged)" != "$(cat ans.web1)" ] || sed -i 's/.$/1/' forged
    run -1 --separate-stderr sc-keygen --bound req.web1 --guest web1 forged
    [[ "$stderr" == "sc-keygen: the bind answer failed authentication (authentication failed): not the VMM's answer to this request under this key"* ]]
    # web1's answer offered as the answer to db1's request (dom0 replaying an old answer)
    $RELAY --vmm-key > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID2 --challenge "$(printf '%032d' 0)" -o req.db1 2> /dev/null
    run -1 --separate-stderr sc-keygen --bound req.db1 --guest db1 ans.web1
    [[ "$stderr" == "sc-keygen: the bind answer failed authentication"* ]]
    run -2 --separate-stderr sc-keygen --bound req.db1 --guest db1 < /dev/null
    [[ "$stderr" == "sc-keygen: no bind answer on stdin: the bind failed"* ]]
    cmp inst.before "$XDG_STATE_HOME/sccrypt/instances"
}

@test "after a rebind the first session is accepted without the impostor warning; an instance not bound still warns" {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat'
    bind_named web1 $SIM_UUID
    printf 'one\n' > in
    run -0 pipeline web1 -g web1
    [ "$(cat dec.rc)" = 0 ]
    # The guest is re-created (a new domain, a new instance) and bound again.
    sim_teardown
    start_sim --domain 8:web1:$SIM_UUID --guest 'exec cat'
    bind_named web1 $SIM_UUID
    run -0 pipeline web1 -g web1
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    run ! grep -q WARNING dec.err
    # dom0 binds the key to the guest again itself (a request the user made, the
    # answer never shown to the user): the instance was not the user's bind.
    sim_teardown
    start_sim --domain 9:web1:$SIM_UUID --guest 'exec cat'
    $RELAY --vmm-key --challenge web1 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain $SIM_UUID --challenge vmm.pub -o req.x 2> /dev/null
    $RELAY --bind web1 < req.x > /dev/null 2>&1
    run -0 pipeline web1 -g web1
    [ "$(cat dec.rc)" = 8 ]
    grep -q "WARNING: YOUR KEY REACHED ANOTHER DOMAIN INSTANCE" dec.err
}

@test "sc-keygen --pin makes or replaces a pin without a bind request" {
    start_sim --domain 5:web1:$SIM_UUID
    $RELAY --vmm-key > vmm.pub
    run -0 --separate-stderr sc-keygen --pin vmm.pub --expect "$(sim_fingerprint)" --name hostx
    [ "$stderr" = "sc-keygen: pinned VMM hostx ($(sim_fingerprint))" ]
    grep -q "^hostx $(sim_fingerprint) " "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    start_sim -n 2
    sc-relay -b sim --socket "$BATS_TEST_TMPDIR/sim2.sock" --vmm-key > vmm2.pub
    run -1 --separate-stderr sc-keygen --pin vmm2.pub --expect "$(sim_fingerprint 2)" --name hostx
    [[ "$stderr" == *"already pins another key for the VMM named hostx"* ]]
    run -1 --separate-stderr sc-keygen --pin vmm2.pub --expect "$(sim_fingerprint)" --name hostx --replace
    [[ "$stderr" == "sc-keygen: the VMM key's fingerprint "*" is not the expected "* ]]
    run -0 sc-keygen --pin vmm2.pub --expect "$(sim_fingerprint 2)" --name hostx --replace
    grep -q "^hostx $(sim_fingerprint 2) " "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    # no key is needed to pin
    rm "$XDG_CONFIG_HOME/sccrypt/key"
    run -0 sc-keygen --pin vmm.pub --expect "$(sim_fingerprint)" --name hosty
}

# Issue 18, "Done when": through a real sshd and sudo.
@test "three guests bound by name with one key, each reached by name; after a VMM reboot one command per guest rebinds and sessions start without a warning" {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:web2:$SIM_UUID2 --guest 'exec cat' \
              --domain 7:db1:$SIM_UUID3 --guest 'exec cat'
    ssh_fixture_setup "allow user:sccon$$ attach,bind *"
    fp1=$(sim_fingerprint)
    uuids="web1=$SIM_UUID web2=$SIM_UUID2 db1=$SIM_UUID3"
    for g in $uuids; do
        # shellcheck disable=SC2086
        run -0 --separate-stderr timeout 60 sc-console --bind --relay "$SUDO_RELAY" --uuid "${g#*=}" \
            --expect "$fp1" $SSH_OPTS 127.0.0.1 "${g%%=*}"
        [[ "$stderr" == *"sc-keygen: VMM 127.0.0.1 bound domain "*" uuid ${g#*=} as ${g%%=*} instance "* ]]
    done
    for g in web1 web2 db1; do
        printf 'hello-%s\n' "$g" > in
        # shellcheck disable=SC2086
        run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 "$g" < in
        [[ "$output" == *"hello-$g"* ]]
        u=$(printf '%s\n' $uuids | sed -n "s/^$g=//p")
        [[ "$stderr" == *"sc-dec: connected to domain "*" uuid $u instance "* ]]
    done
    # The host reboots: a new VMM key, new domain ids, new instances.
    sim_teardown
    # (the simulator's state: its key; the user's records stay)
    rm -f "$BATS_TEST_TMPDIR/state/vmm-key"
    start_sim --domain 11:web1:$SIM_UUID --guest 'exec cat' --domain 12:web2:$SIM_UUID2 --guest 'exec cat' \
              --domain 13:db1:$SIM_UUID3 --guest 'exec cat'
    fp2=$(sim_fingerprint)
    [ "$fp2" != "$fp1" ]
    for g in web1 web2 db1; do
        # shellcheck disable=SC2086
        run -0 --separate-stderr timeout 60 sc-console --bind --relay "$SUDO_RELAY" --expect "$fp2" \
            $SSH_OPTS 127.0.0.1 "$g"
    done
    for g in web1 web2 db1; do
        printf 'again-%s\n' "$g" > in
        # shellcheck disable=SC2086
        run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 "$g" < in
        [[ "$output" == *"again-$g"* ]]
        [[ "$stderr" != *WARNING* ]]
        u=$(printf '%s\n' $uuids | sed -n "s/^$g=//p")
        [[ "$stderr" == *"sc-dec: connected to domain 1"?" uuid $u instance "* ]]
    done
}
