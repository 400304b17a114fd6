#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# make install / uninstall honour PREFIX and DESTDIR.

@test "make install puts every tool and man page under DESTDIR and PREFIX, and uninstall removes them" {
    d="$BATS_TEST_TMPDIR/stage"
    run make -s install DESTDIR="$d" PREFIX=/opt/sc
    echo "$output"
    [ "$status" -eq 0 ]
    for t in sc-keygen sc-enc sc-dec sc-vmmsim; do
        [ -x "$d/opt/sc/bin/$t" ]
    done
    [ -x "$d/opt/sc/sbin/sc-relay" ]
    for m in man1/sc-keygen.1 man1/sc-enc.1 man1/sc-dec.1 man1/sc-vmmsim.1 \
             man7/sccrypt.7 man8/sc-relay.8; do
        [ -s "$d/opt/sc/share/man/$m" ]
    done
    run make -s uninstall DESTDIR="$d" PREFIX=/opt/sc
    [ "$status" -eq 0 ]
    run find "$d" -type f
    [ -z "$output" ]
}

@test "the installed relay links no crypto library" {
    run ldd bin/sc-relay
    [ "$status" -eq 0 ]
    [[ "$output" != *libcrypto* ]]
    [[ "$output" != *libssl* ]]
}

@test "every tool answers -h and --version" {
    for t in sc-keygen sc-enc sc-dec sc-relay sc-vmmsim; do
        run "bin/$t" -h
        [ "$status" -eq 0 ]
        [[ "$output" == *usage:* ]]
        run "bin/$t" --version
        [ "$status" -eq 0 ]
        [[ "$output" == "$t "* ]]
    done
}
