#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The seal level (sccrypt(7) LEVELS, issue 15.4): the level the VMM vouches
# for in its authenticated answer, sc-dec's level line and --require, the
# least level a bind request accepts, and what dom0 can do to either.

bats_require_minimum_version 1.5.0

load sim_helpers

UUID=$SIM_UUID
WEAK_LINE="sc-dec: seal level: console PV ring, memory NOT sealed (something outside the guest may map it), DMA NOT confined (no strict IOMMU)"

setup() {
    sim_setup
    # These tests decide the requirement themselves: no blanket acceptance.
    unset SCCRYPT_REQUIRE
    printf 'echo lvl-$((6*7))\n' > in
}

teardown() {
    sim_teardown
}

# bind_with LEAST: bind domain 5 with a request whose least level is LEAST.
bind_with() {
    [ -f "$XDG_CONFIG_HOME/sccrypt/key" ] || sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key --challenge 5 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain "$UUID" \
        --challenge vmm.pub --require "$1" -o req 2> keygen.err
    $RELAY --bind 5 < req > bound 2> bind.err
}

# session [DEC ARGS]: sc-enc < in | relay 5 | [FILTER] | sc-dec ARGS, statuses in *.rc.
session() {
    timeout 60 bash -c '
        { sc-enc -w 300 < in 2> enc.err; echo $? > enc.rc; } | tee wire.in |
        { $RELAY 5 2> relay.err; echo $? > relay.rc; } | ${FILTER:-cat} | tee wire.out |
        { sc-dec "$@" > out 2> dec.err; echo $? > dec.rc; }' session "$@"
}

@test "sc-dec prints the simulator's honest seal level on one line before the output" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i'
    bind_with none
    session --require none
    cat dec.err
    [ "$(cat dec.rc)" = 0 ]
    grep -qx "$WEAK_LINE" dec.err
    grep -q "lvl-42" out
    # the line follows the domain's line, and comes once
    [ "$(grep -c 'seal level' dec.err)" = 1 ]
    [[ "$(sed -n 2p dec.err)" == "sc-dec: seal level:"* ]]
}

@test "sc-dec refuses by default a level below the strongest, exits 10, names the weakness and the option that accepts it, and nothing typed is sent" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i'
    bind_with none
    session
    cat dec.err
    [ "$(cat dec.rc)" = 10 ]
    [ "$(cat enc.rc)" = 10 ]
    grep -qx "$WEAK_LINE" dec.err
    grep -q "the seal is weaker than required: DMA NOT confined (no strict IOMMU): a device dom0 drives may read and write the guest's memory; memory NOT sealed" dec.err
    grep -q "run sc-dec with --require none (sc-console --require none, or SCCRYPT_REQUIRE=none)" dec.err
    [ ! -s out ]
    # sc-enc sent its hello (2 + 68 bytes) and nothing after it
    [ "$(wc -c < wire.in)" = 70 ]
    [ ! -s enc.err ]
}

@test "--require names exactly the missing part: a host claiming sealed memory but no strict IOMMU" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i' --claim-level sealed
    bind_with sealed
    session --require dma,sealed
    cat dec.err
    [ "$(cat dec.rc)" = 10 ]
    grep -qx "sc-dec: seal level: console PV ring, memory sealed, DMA NOT confined (no strict IOMMU)" dec.err
    grep -q "weaker than required: DMA NOT confined (no strict IOMMU): a device dom0 drives may read and write the guest's memory. Nothing you type was sent. To accept this, run sc-dec with --require sealed " dec.err
    ! grep -q "memory NOT sealed" dec.err
    # the option the message names works
    session --require sealed
    [ "$(cat dec.rc)" = 0 ]
    grep -q "lvl-42" out
    # SCCRYPT_REQUIRE is the default that --require overrides
    SCCRYPT_REQUIRE=strongest session
    [ "$(cat dec.rc)" = 10 ]
    SCCRYPT_REQUIRE=sealed session
    [ "$(cat dec.rc)" = 0 ]
    SCCRYPT_REQUIRE=sealed session --require strongest
    [ "$(cat dec.rc)" = 10 ]
}

@test "a console kind asked for that the host does not offer is refused" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i'
    bind_with none
    session --require uart
    [ "$(cat dec.rc)" = 10 ]
    grep -q "weaker than required: console PV ring, not the UART asked for. .*--require none " dec.err
    session --require ring
    [ "$(cat dec.rc)" = 0 ]
}

@test "the strongest level passes the default requirement and says so" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i' --claim-level strongest
    bind_with strongest
    grep -q "least seal level dma,sealed" keygen.err
    session
    cat dec.err
    [ "$(cat dec.rc)" = 0 ]
    grep -qx "sc-dec: seal level: console PV ring, memory sealed, DMA confined (strict IOMMU)" dec.err
    # the bind answer vouched for it too
    run -0 sc-keygen --bound req bound
    [[ "$output" == *"sc-keygen: seal level: console PV ring, memory sealed, DMA confined (strict IOMMU)"* ]]
}

@test "a level dom0 flips in the answer fails authentication: sc-dec exits 1 and shows no level" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i'
    bind_with none
    # body byte 2 of frame 0 (the answer) is the level's flags: claim a strict IOMMU
    FILTER="tamper flip 0 2" session --require none
    cat dec.err
    [ "$(cat dec.rc)" = 1 ]
    grep -q "the VMM's answer failed authentication (authentication failed)" dec.err
    ! grep -q "seal level" dec.err
    [ ! -s out ]
    # and the console kind byte
    FILTER="tamper flip 0 3" session --require none
    [ "$(cat dec.rc)" = 1 ]
    ! grep -q "seal level" dec.err
}

@test "a bind request requiring more than the host offers is refused with its own message and nothing is bound" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i' --claim-level sealed
    run -3 bind_with strongest
    cat bind.err
    grep -q "sc-relay: domain 5: the VMM refused the bind: this host seals the domain less well than the request's least seal level (sccrypt(7) LEVELS); nothing was bound. The request requires at least: dma,sealed. If the user accepts a weaker seal, they seal a new request with sc-keygen --seal ... --require LEVEL" bind.err
    [ ! -s bound ]
    grep -q "bind refused: the host's seal level is below the least level the bind request accepts" sim.log
    # nothing is bound: a session finds the domain unbound
    session --require none
    [ "$(cat dec.rc)" = 7 ]
    # the challenge was used up: the same request cannot be retried
    run -3 $RELAY --bind 5 < req
    # a request the host meets binds
    bind_with sealed
    session --require sealed
    [ "$(cat dec.rc)" = 0 ]
}

@test "a hello of protocol version 3 is refused with a clear version error" {
    start_sim --domain "5:web1:$UUID" --guest 'exec sh -i'
    bind_with none
    session --require none
    [ "$(cat dec.rc)" = 0 ]
    # the hello sc-enc sent, its version byte set back to 3
    head -c 70 wire.in > hello4
    { head -c 2 hello4; printf '\003'; tail -c +4 hello4; } > hello3
    [ "$(wc -c < hello3)" = 70 ]
    run -3 --separate-stderr $RELAY 5 < hello3
    [[ "$stderr" == *"the client speaks another protocol version than the VMM (version 4): update sc-enc, sc-dec and sc-keygen on the client, or the hypervisor, so they match"* ]]
}

@test "--require and SCCRYPT_REQUIRE refuse words they do not know" {
    run -2 sc-dec --require dma,bogus < /dev/null
    [[ "$output" == *"sc-dec: --require dma,bogus: expected strongest, none, or words from dma, sealed, ring, uart joined by commas (sccrypt(7) LEVELS)"* ]]
    SCCRYPT_REQUIRE=ring,uart run -2 sc-dec < /dev/null
    [[ "$output" == *"sc-dec: SCCRYPT_REQUIRE=ring,uart: expected"* ]]
    run -2 sc-keygen --seal x --expect y --domain z --challenge 00 --require maybe
    run -2 sc-vmmsim --claim-level uart
    [[ "$output" == *"--claim-level uart: expected none, strongest, or dma and sealed"* ]]
}
