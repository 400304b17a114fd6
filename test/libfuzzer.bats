#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Coverage-guided fuzzing (libFuzzer, clang) of every parser that takes bytes from dom0 or
# a file: the VMM engine (bind, hello, records, closes), sc-dec's answer check and frame
# reader, sc-relay's framing, and the key, known-VMMs, instances and VMM-key files.
# Each target runs briefly from its seeds (test/fuzz/corpus/); `make fuzz` runs longer.
# SC_LIBFUZZER_SECONDS overrides the time per target (default 12).

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/.."

setup_file() {
    make -s -C "$ROOT" fuzz-build
}

# run_fuzzer NAME: a fresh corpus in the test's directory on top of the seeds; the
# executions and coverage it reached are kept in bin/fuzz/NAME.check.log.
run_fuzzer() {
    mkdir -p "$BATS_TEST_TMPDIR/corpus"
    run env TMPDIR="$BATS_TEST_TMPDIR" "$ROOT/bin/fuzz/$1" \
        -max_total_time="${SC_LIBFUZZER_SECONDS:-12}" -print_final_stats=1 \
        -artifact_prefix="$BATS_TEST_TMPDIR/" \
        "$BATS_TEST_TMPDIR/corpus" "$ROOT/test/fuzz/corpus/$1"
    printf '%s\n' "$output" > "$ROOT/bin/fuzz/$1.check.log"
    [ "$status" -eq 0 ] || { printf '%s\n' "$output" | tail -n 40; return 1; }
    [[ "$output" != *"ERROR: AddressSanitizer"* ]]
    [[ "$output" != *"runtime error"* ]]
    [[ "$output" =~ stat::number_of_executed_units:\ ([0-9]+) ]]
    [ "${BASH_REMATCH[1]}" -ge 1000 ]
    [[ "$output" =~ DONE\ +cov:\ ([0-9]+) ]]
    [ "${BASH_REMATCH[1]}" -ge "$2" ]
}

@test "libFuzzer: the VMM engine survives hostile bind requests, hellos and record streams" {
    run_fuzzer fuzz_vmm 200
}

@test "libFuzzer: sc-dec's answer check and frame reader survive hostile output streams" {
    run_fuzzer fuzz_client 80
}

@test "libFuzzer: the key, known-VMMs, instances and VMM-key parsers survive hostile files" {
    run_fuzzer fuzz_files 60
}

@test "libFuzzer: sc-relay's framing passes exactly the whole frames" {
    run_fuzzer fuzz_relay 10
}
