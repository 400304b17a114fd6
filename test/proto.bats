#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The protocol and the VMM engine, in one process (test/unit/proto_vmm.c).

bats_require_minimum_version 1.5.0

@test "the VMM engine enforces bind rules, the handshake and record integrity" {
    run bin/test/proto_vmm
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" passed, 0 failed"* ]]
}

@test "the per-domain VMM state fits in one 4 KiB page" {
    run bin/test/proto_vmm
    [[ "$output" =~ sizeof\(struct\ sc_dom\)\ =\ ([0-9]+) ]]
    [ "${BASH_REMATCH[1]}" -le 4096 ]
}

@test "the protocol test vectors hold for the OpenSSL client code and for the core" {
    run bin/test/proto_vectors test/vectors/protocol-v4.txt
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" passed, 0 failed"* ]]
}

@test "a changed vector is caught" {
    sed 's/^hello = \(..\)/hello = ff/' test/vectors/protocol-v4.txt > "$BATS_TEST_TMPDIR/v.txt"
    run -1 bin/test/proto_vectors "$BATS_TEST_TMPDIR/v.txt"
    [[ "$output" == *"FAIL openssl: hello differs"* ]]
    [[ "$output" == *"FAIL core: hello differs"* ]]
}
