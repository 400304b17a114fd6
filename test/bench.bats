#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `make bench` (test/bench/run.sh): its tools run end to end and it prints
# every figure.  A smoke test with tiny sizes: no figure is judged, no time
# asserted (timings belong in the bench's medians, not in tests).

bats_require_minimum_version 1.5.0

setup() {
    ROOT="$BATS_TEST_DIRNAME/.."
}

@test "make bench's tools run and it prints every figure with a value" {
    BENCH_ROUNDS=1 BENCH_KEYS=5 BENCH_OUT=65536 BENCH_IN=65536 BENCH_COUNT=65536 \
        run -0 --separate-stderr timeout 240 bash "$ROOT/test/bench/run.sh"
    for f in "keystroke round trip, us (vs cat|relay|cat)" \
             "keystroke round trip, us (vs bare relay)" \
             "guest output 64 KiB, MiB/s" "input 64 KiB, MiB/s" \
             "launch to first echo, ms (vs cat|relay|cat)"; do
        line=$(grep -F -- "$f" <<< "$output")
        # figure, SCCrypt, plaintext, ratio: all numbers.
        [[ "${line#"$f"}" =~ ^\ +[0-9.]+\ +[0-9.]+\ +[0-9.]+\  ]] || { echo "bad: $line"; false; }
    done
    grep -Eq '^  SCCrypt: +sc-enc [0-9.-]+/[0-9.-]+, sc-relay [0-9.-]+/[0-9.-]+, sc-dec [0-9.-]+/[0-9.-]+, sc-vmmsim [0-9.-]+/[0-9.-]+, total [0-9.-]+/[0-9.-]+$' <<< "$output"
    grep -Eq '^  plaintext: cat1 [0-9.-]+/[0-9.-]+, plaincon-relay ' <<< "$output"
    grep -Eq '^  ratio, SCCrypt / plaintext: CPU [0-9.-]+, context switches [0-9.-]+$' <<< "$output"
    grep -Eq '^bytes on the wire per keystroke, in/out +[0-9.]+/[0-9.]+ ' <<< "$output"
    # the obfuscated session's records, measured on a terminal: one size each way
    grep -Eq "^obfuscated: every record's bytes on the wire, in/out +[0-9]+/[0-9]+ " <<< "$output"
    grep -Eq '^  out, SCCrypt: sc-enc [0-9.]+ \(rss [0-9]+\) sc-relay [0-9.]+ \(rss [0-9]+\) sc-dec [0-9.]+ \(rss [0-9]+\) sc-vmmsim [0-9.]+$' <<< "$output"
    grep -Eq '^  in, plaintext: cat1 [0-9.]+ ' <<< "$output"
    grep -Eq '^  SCCrypt, per keystroke: sc-enc [0-9.-]+, sc-relay [0-9.-]+, sc-dec [0-9.-]+, sc-vmmsim [0-9.-]+, total' <<< "$output"
    grep -Eq '^  plaintext, per KiB of input: ' <<< "$output"
    grep -Eq '^VMM calls \(sc-relay.s requests to sc-vmmsim\): per keystroke [0-9.-]+, per KiB of output [0-9.]+, per KiB of input [0-9.]+$' <<< "$output"
    grep -Eq 'X25519' <<< "$output"
    if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v sudo > /dev/null; then
        grep -Eq '^  through ssh, us \(vs cat\|ssh relay\|cat\) +[0-9.]+ +[0-9.]+ +[0-9.]+ ' <<< "$output"
        grep -Eq '^  through ssh, us \(vs bare ssh relay\) +[0-9.]+ +[0-9.]+ +[0-9.]+' <<< "$output"
    fi
    # The machine's /etc is untouched: the bench's user, sudoers drop-in and
    # relay policy lived in a private copy.
    run ! compgen -G "/etc/sudoers.d/sccrypt-bench*"
}
