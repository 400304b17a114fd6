#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The console ring code against a hostile guest, under AddressSanitizer.

bats_require_minimum_version 1.5.0

setup() {
    ROOT="$BATS_TEST_DIRNAME/.."
}

@test "wild guest ring indexes never make the VMM touch memory outside the ring (ASan)" {
    # The Makefile builds without sanitizers; this test builds its own copy.
    cc -std=gnu99 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -I"$ROOT/src/core" \
        -o "$BATS_TEST_TMPDIR/ring_hostile" "$ROOT/test/unit/ring_hostile.c" \
        "$ROOT/src/core/ring.c" "$ROOT/src/core/ct.c" -lpthread
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1 \
        run -0 timeout 120 "$BATS_TEST_TMPDIR/ring_hostile"
    [ "$output" = "ring_hostile: ok" ]
}
