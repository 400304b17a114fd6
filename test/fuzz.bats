#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Hostile input against the VMM side and the client's parsers (test/unit/proto_fuzz.c):
# mutated dom0 bytes into the engine, wild guest indexes around the ring, under ASan
# and UBSan on the core's own code and under valgrind.
#
# SC_FUZZ_SEED (a number) and SC_FUZZ_SECONDS override the seed and the ASan run's length.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/.."
SEED=${SC_FUZZ_SEED:-0x5cc0f022a11ce}

# proto_fuzz with ASan and UBSan in $BATS_TEST_TMPDIR: the core with its own freestanding
# flags (the no-SIMD ones too: they do not conflict with the sanitizers), the client's
# OpenSSL table, the fuzzer.
build_asan() {
    # shellcheck disable=SC2054  # the commas belong to the option
    local san=(-fsanitize=address,undefined -fno-sanitize-recover=all -g -O1)
    local core=(-std=gnu99 -ffreestanding -fno-builtin -fno-strict-aliasing -Wall -Wextra
                -Wdeclaration-after-statement -Wvla -Wstrict-prototypes -Wmissing-prototypes)
    local host=(-std=gnu99 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
                -I"$ROOT/src" -I"$ROOT/src/core" -I"$ROOT/src/lib" -I"$ROOT/src/client")
    [ "$(uname -m)" = x86_64 ] && core+=(-mno-sse -mno-mmx -mno-avx -mno-red-zone)
    mkdir -p "$BATS_TEST_TMPDIR/obj"
    (cd "$BATS_TEST_TMPDIR/obj" && ${CC:-cc} "${core[@]}" "${san[@]}" -c "$ROOT"/src/core/*.c) &&
    ${CC:-cc} "${host[@]}" "${san[@]}" -o "$BATS_TEST_TMPDIR/proto_fuzz" \
        "$ROOT/test/unit/proto_fuzz.c" "$ROOT/src/client/ossl_crypto.c" \
        "$BATS_TEST_TMPDIR"/obj/*.o -lcrypto
}

@test "under ASan and UBSan, mutated dom0 input and wild guest indexes break no invariant and touch no memory outside their buffers" {
    build_asan
    run "$BATS_TEST_TMPDIR/proto_fuzz" -s "$SEED" -t "${SC_FUZZ_SECONDS:-18}"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" passed, 0 failed" ]]
    [[ "$output" =~ proto_fuzz:\ ([0-9]+)\ iterations ]]
    [ "${BASH_REMATCH[1]}" -ge 20000 ]
    [[ "$output" != *"runtime error"* ]]
}

@test "under valgrind, the Makefile-built fuzzer reads no uninitialised byte and nothing out of bounds" {
    command -v valgrind > /dev/null || skip "valgrind is not installed"
    run valgrind -q --error-exitcode=99 "$ROOT/bin/test/proto_fuzz" -s "$SEED" -n 5000 -t 12
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" passed, 0 failed" ]]
}

@test "the same seed replays the same run and another seed makes another" {
    run -0 "$ROOT/bin/test/proto_fuzz" -s 0x1234 -n 3000
    local a=${lines[-2]}
    run -0 "$ROOT/bin/test/proto_fuzz" -s 0x1234 -n 3000
    [ "${lines[-2]}" = "$a" ]
    run -0 "$ROOT/bin/test/proto_fuzz" -s 0x1235 -n 3000
    [[ "$a" == "proto_fuzz: digest 0x"* ]]
    [ "${lines[-2]}" != "$a" ]
}

@test "a broken invariant fails the run and names the seed and iteration that replay it alone" {
    run -1 "$ROOT/bin/test/proto_fuzz" -s 0x77 -n 300 -x
    [[ "$output" == *"FAIL proto_fuzz.c:"*"seed=0x77 iter="* ]]
    [[ "$output" =~ replay:\ proto_fuzz\ (-s\ 0x77\ -i\ [0-9]+\ -x) ]]
    local first=${lines[1]}
    # shellcheck disable=SC2086
    run -1 "$ROOT/bin/test/proto_fuzz" ${BASH_REMATCH[1]}
    [ "${lines[1]}" = "$first" ]
    [ "${lines[-1]}" = "5 passed, 1 failed" ]
}

@test "proto_fuzz refuses an unknown option with its usage" {
    run -2 --separate-stderr "$ROOT/bin/test/proto_fuzz" -q
    [ "$output" = "" ]
    # shellcheck disable=SC2154  # bats sets stderr
    [[ "$stderr" == *"usage: proto_fuzz [-s SEED] [-n ITERATIONS]"* ]]
}
