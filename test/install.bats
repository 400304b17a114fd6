#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# make install / install-client / install-relay / uninstall honour PREFIX and DESTDIR.

bats_require_minimum_version 1.5.0

CLIENT_FILES="bin/sc-keygen bin/sc-enc bin/sc-dec bin/sc-console bin/sc-vmmsim
    share/man/man1/sc-keygen.1 share/man/man1/sc-enc.1 share/man/man1/sc-dec.1
    share/man/man1/sc-console.1 share/man/man1/sc-vmmsim.1 share/man/man7/sccrypt.7"
RELAY_FILES="sbin/sc-relay share/man/man8/sc-relay.8 share/doc/sccrypt/sudoers.sccrypt
    share/doc/sccrypt/relay.conf"

# installed DIR: the files under DIR, relative, sorted.
installed() {
    (cd "$1" && find . -type f | sed 's|^\./||' | sort)
}
sorted() {
    printf '%s\n' $1 | sed "s|^|$2|" | sort
}

@test "make install puts every tool, man page and example under DESTDIR and PREFIX, and uninstall removes them" {
    d="$BATS_TEST_TMPDIR/stage"
    run make -s install DESTDIR="$d" PREFIX=/opt/sc
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(installed "$d")" = "$(sorted "$CLIENT_FILES $RELAY_FILES" opt/sc/ | sort)" ]
    for t in sc-keygen sc-enc sc-dec sc-console sc-vmmsim; do
        [ -x "$d/opt/sc/bin/$t" ]
    done
    [ -x "$d/opt/sc/sbin/sc-relay" ]
    run make -s uninstall DESTDIR="$d" PREFIX=/opt/sc
    [ "$status" -eq 0 ]
    run find "$d" -type f
    [ -z "$output" ]
}

@test "make install-client installs the user's side only: no relay, no sudoers example" {
    d="$BATS_TEST_TMPDIR/client"
    run make -s install-client DESTDIR="$d" PREFIX=/usr
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(installed "$d")" = "$(sorted "$CLIENT_FILES" usr/)" ]
    run make -s uninstall-client DESTDIR="$d" PREFIX=/usr
    [ "$status" -eq 0 ]
    run find "$d" -type f
    [ -z "$output" ]
}

@test "make install-relay installs dom0's side only: the relay, its man page, the sudoers and policy examples" {
    d="$BATS_TEST_TMPDIR/relay"
    run make -s install-relay DESTDIR="$d" PREFIX=/usr/local SBINDIR=/usr/local/libexec/sc DOCDIR=/usr/share/doc/x
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(installed "$d")" = "$(printf '%s\n' usr/local/libexec/sc/sc-relay usr/local/share/man/man8/sc-relay.8 \
        usr/share/doc/x/relay.conf usr/share/doc/x/sudoers.sccrypt | sort)" ]
    # its page names where this install put the relay and the examples
    grep -qF '%consoles ALL=(root) NOPASSWD: /usr/local/libexec/sc/sc-relay' "$d/usr/local/share/man/man8/sc-relay.8"
    grep -qF '/usr/share/doc/x' "$d/usr/local/share/man/man8/sc-relay.8"
    run make -s uninstall-relay DESTDIR="$d" PREFIX=/usr/local SBINDIR=/usr/local/libexec/sc DOCDIR=/usr/share/doc/x
    [ "$status" -eq 0 ]
    run find "$d" -type f
    [ -z "$output" ]
}

@test "the installed sudoers example passes visudo and names the installed relay" {
    command -v visudo > /dev/null || skip "sudo is not installed"
    d="$BATS_TEST_TMPDIR/relay"
    run make -s install-relay DESTDIR="$d" PREFIX=/opt/sc
    [ "$status" -eq 0 ]
    f="$d/opt/sc/share/doc/sccrypt/sudoers.sccrypt"
    run -0 visudo -cf "$f"
    [ "$(grep -v '^#' "$f" | grep -c .)" = 1 ]
    [ "$(grep -v '^#' "$f")" = "%consoles ALL=(root) NOPASSWD: /opt/sc/sbin/sc-relay" ]
}

@test "the installed policy example passes sc-relay --check-policy" {
    [ "$(id -u)" = 0 ] || skip "needs root (the policy must be root's)"
    d="$BATS_TEST_TMPDIR/relay"
    run make -s install-relay DESTDIR="$d" PREFIX=/opt/sc
    [ "$status" -eq 0 ]
    run -0 "$d/opt/sc/sbin/sc-relay" --check-policy "$d/opt/sc/share/doc/sccrypt/relay.conf"
    [ "$output" = "$d/opt/sc/share/doc/sccrypt/relay.conf: 4 rules, backend xen (default), socket /run/sccrypt-sim/sim.sock (default)" ]
}

@test "the installed relay links no crypto library" {
    run ldd bin/sc-relay
    [ "$status" -eq 0 ]
    [[ "$output" != *libcrypto* ]]
    [[ "$output" != *libssl* ]]
}

@test "every tool answers -h and --version" {
    for t in sc-keygen sc-enc sc-dec sc-console sc-relay sc-vmmsim; do
        run "bin/$t" -h
        [ "$status" -eq 0 ]
        [[ "$output" == *usage:* ]]
        run "bin/$t" --version
        [ "$status" -eq 0 ]
        [[ "$output" == "$t "* ]]
    done
}
