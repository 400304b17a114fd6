#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-relay's policy file (sc-relay(8), THE POLICY FILE): the parser and the
# loader's checks, through sc-relay --check-policy, on good and hostile input.
# (The policy applied through real sudo is test/relay-sudo.bats.)

bats_require_minimum_version 1.5.0

load sim_helpers

setup() {
    sim_setup
    P="$BATS_TEST_TMPDIR/pol"
    mkdir -m 755 "$P"
}
teardown() { sim_teardown; }

# check TEXT: writes TEXT (printf format) as the policy file and checks it.
check() {
    # shellcheck disable=SC2059
    printf "$1" > "$P/relay.conf"
    chmod 644 "$P/relay.conf"
    run --separate-stderr sc-relay --check-policy "$P/relay.conf"
}

@test "sc-relay --check-policy accepts the documented example and counts its rules" {
    check '# consoles\nbackend sim\nsocket /run/sccrypt-sim/sim.sock\n\n  allow user:alice attach,bind name:web1 uuid:5A5A5A5A-1111-4222-8333-444444444444\n\tallow group:consoles all *   # everyone\n'
    [ "$status" -eq 0 ]
    [ "$output" = "$P/relay.conf: 3 rules, backend sim, socket /run/sccrypt-sim/sim.sock" ]
}

@test "sc-relay --check-policy names the line and the fault, never the file's text" {
    check 'allow user:alice attach name:web1\nallow user:bob atach name:secret-dom\n'
    [ "$status" -eq 2 ]
    [ "$stderr" = "sc-relay: $P/relay.conf: line 2: actions must be attach, bind, takeover or all, separated by commas" ]
    [[ "$stderr" != *secret-dom* ]]
}

@test "sc-relay --check-policy refuses every malformed line with exit 2" {
    local bad=(
        'permit user:a attach *'
        'allow user:a attach'
        'allow a attach *'
        'allow user: attach *'
        'allow user:-a attach *'
        'allow user:a/b attach *'
        'allow group:a attach,,bind *'
        'allow group:a attach, *'
        'allow user:a ,attach *'
        'allow user:a attach name:'
        'allow user:a attach name:a;b'
        'allow user:a attach uuid:5a5a5a5a-1111-4222-8333-44444444444'
        'allow user:a attach uuid:5a5a5a5a-1111-4222-8333-44444444444g'
        'allow user:a attach uuid:5a5a5a5a11111-4222-8333-444444444444'
        'allow user:a attach web1'
        'backend qemu'
        'backend sim xen'
        'backend sim\nbackend sim'
        'socket relative/path'
        'socket /a\nsocket /b'
        'socket'
    )
    for b in "${bad[@]}"; do
        check "$b\n"
        echo "$b -> $status $stderr"
        [ "$status" -eq 2 ]
        [[ "$stderr" == "sc-relay: $P/relay.conf: line "[12]": "* ]]
    done
}

@test "sc-relay --check-policy refuses NUL bytes, control and non-ASCII bytes, and carriage returns" {
    for b in 'allow user:a attach *\0\n' 'allow user:a\001 attach *\n' 'allow user:\303\251 attach *\n' \
             'allow user:a attach *\r\n' 'backend sim\033[2J\n'; do
        check "$b"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"line 1: a control or non-ASCII character (byte 0x"* ]]
    done
}

@test "sc-relay --check-policy refuses overlong names, lines, files and too many rules" {
    local long
    long=$(printf 'a%.0s' $(seq 64))
    check "allow user:$long attach *\n"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"line 1: a bad user name"* ]]
    check "allow user:${long:1} attach *\n"
    [ "$status" -eq 0 ]
    check "socket /$(printf 's%.0s' $(seq 107))\n"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"line 1: the socket path is longer than 107 bytes" ]]
    check "# $(printf 'x%.0s' $(seq 1100))\n"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"line 1: longer than 1024 bytes" ]]
    check "allow user:a attach$(printf ' *%.0s' $(seq 33))\n"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"line 1: too many words (at most 32 domains a line)" ]]
    # 1025 rules: 41 lines of 25 domains
    { for _ in $(seq 41); do printf 'allow user:a attach'; printf ' *%.0s' $(seq 25); echo; done; } > "$P/relay.conf"
    run -2 --separate-stderr sc-relay --check-policy "$P/relay.conf"
    [[ "$stderr" == *"line 41: more than 1024 rules" ]]
    head -c 70000 /dev/zero | tr '\0' '#' > "$P/relay.conf"
    run -2 --separate-stderr sc-relay --check-policy "$P/relay.conf"
    [ "$stderr" = "sc-relay: $P/relay.conf: longer than 65536 bytes" ]
}

@test "sc-relay refuses a policy file that is not root's, or that others may write" {
    [ "$(id -u)" = 0 ] || skip "needs root (chown)"
    check 'allow user:a attach *\n'
    [ "$status" -eq 0 ]
    for m in 664 646 666; do
        chmod "$m" "$P/relay.conf"
        run -2 --separate-stderr sc-relay --check-policy "$P/relay.conf"
        [ "$stderr" = "sc-relay: $P/relay.conf: must be owned by root and writable by nobody else (chown root $P/relay.conf; chmod go-w $P/relay.conf)" ]
    done
    chmod 644 "$P/relay.conf"
    chown nobody "$P/relay.conf"
    run -2 --separate-stderr sc-relay --check-policy "$P/relay.conf"
    [[ "$stderr" == *"must be owned by root and writable by nobody else"* ]]
    chown root "$P/relay.conf"
    chmod 775 "$P"
    run -2 --separate-stderr sc-relay --check-policy "$P/relay.conf"
    [ "$stderr" = "sc-relay: $P: the policy's directory must be owned by root and writable by nobody else (chown root $P; chmod go-w $P)" ]
    chmod 755 "$P"
    run -0 sc-relay --check-policy "$P/relay.conf"
}

@test "sc-relay refuses a policy file that is a symbolic link, a FIFO or a directory, without hanging" {
    check 'allow user:a attach *\n'
    ln -s "$P/relay.conf" "$P/link.conf"
    run -2 --separate-stderr sc-relay --check-policy "$P/link.conf"
    [ "$stderr" = "sc-relay: $P/link.conf: a symbolic link (refused)" ]
    mkfifo "$P/fifo.conf"
    run -2 --separate-stderr timeout 10 sc-relay --check-policy "$P/fifo.conf"
    [ "$stderr" = "sc-relay: $P/fifo.conf: not a regular file" ]
    run -2 --separate-stderr sc-relay --check-policy "$P"
    [ "$stderr" = "sc-relay: $P: not a regular file" ]
    run -2 --separate-stderr sc-relay --check-policy "$P/none.conf"
    [ "$stderr" = "sc-relay: $P/none.conf: No such file or directory" ]
}

@test "sc-relay --check-policy survives random bytes under valgrind" {
    command -v valgrind > /dev/null || skip "valgrind is not installed"
    for i in 1 2 3 4 5; do
        head -c $((i * 3000)) /dev/urandom > "$P/relay.conf"
        run valgrind -q --error-exitcode=99 --leak-check=full sc-relay --check-policy "$P/relay.conf"
        [ "$status" -eq 2 ]
    done
    check 'allow user:a attach *\n'
    run valgrind -q --error-exitcode=99 --leak-check=full sc-relay --check-policy "$P/relay.conf"
    [ "$status" -eq 0 ]
}

@test "under ASan and UBSan, the policy parser survives 30000 mutated policies" {
    ROOT="$BATS_TEST_DIRNAME/.."
    ${CC:-cc} -std=gnu99 -D_GNU_SOURCE -Wall -Wextra -Werror -fsanitize=address,undefined \
        -fno-sanitize-recover=all -g -O1 -I"$ROOT/src" -I"$ROOT/src/lib" -I"$ROOT/src/relay" -o rp_fuzz \
        "$ROOT/test/policy/rp_fuzz.c" "$ROOT/src/relay/relay_policy.c" "$ROOT/src/lib/io.c" "$ROOT/src/lib/text.c"
    run -0 ./rp_fuzz "${SC_FUZZ_SEED:-0x5cc0f022a11ce}" 30000
    [[ "$output" =~ ^rp_fuzz:\ ([0-9]+)\ parsed,\ ([0-9]+)\ refused$ ]]
    [ "${BASH_REMATCH[1]}" -gt 100 ]
    [ "${BASH_REMATCH[2]}" -gt 100 ]
}
