#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The freestanding crypto core (src/core): published vectors, agreement with
# OpenSSL, constant time under valgrind (ctgrind), and the rules that let it
# be compiled into Xen.

bats_require_minimum_version 1.5.0

setup() {
    ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
    T="$ROOT/bin/test"
}

# Xen's own flags for the core (issue 2), with -Werror.
XEN_CFLAGS="-std=gnu99 -ffreestanding -fno-builtin -O2 -Wall -Wextra
    -Wdeclaration-after-statement -Wvla -Wstrict-prototypes -Wmissing-prototypes
    -Werror -mno-sse -mno-mmx -mno-avx -mno-red-zone"

# Compiles every src/core/*.c afresh into $BATS_TEST_TMPDIR/core.
build_core() {
    local f
    mkdir -p "$BATS_TEST_TMPDIR/core"
    for f in "$ROOT"/src/core/*.c; do
        # shellcheck disable=SC2086
        gcc $XEN_CFLAGS -c -o "$BATS_TEST_TMPDIR/core/$(basename "$f" .c).o" "$f" || return 1
    done
}

@test "the core passes every RFC 8439, RFC 7748, RFC 5869, RFC 4231 and FIPS 180 vector, and its self-test" {
    run "$T/crypto_vectors"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" =~ crypto_vectors:\ ([0-9]+)\ checks,\ 0\ failures ]]
    [ "${BASH_REMATCH[1]}" -ge 140 ]
}

@test "the core agrees with OpenSSL on random inputs and refuses every single-bit flip" {
    run "$T/crypto_diff"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" =~ crypto_diff:\ seed\ [0-9]+:\ ([0-9]+)\ checks,\ 0\ failures ]]
    [ "${BASH_REMATCH[1]}" -ge 30000 ]
}

@test "X25519 has no branch or memory index that depends on the scalar or the point (valgrind ctgrind)" {
    command -v valgrind || skip "valgrind is not installed"
    run valgrind --error-exitcode=99 --track-origins=no "$T/ct_x25519"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ct_x25519: results correct"* ]]
    [[ "$output" != *"depends on uninitialised value"* ]]
    [[ "$output" != *"Conditional jump"* ]]
    [[ "$output" != *"Use of uninitialised value"* ]]
    [[ "$output" == *"ERROR SUMMARY: 0 errors"* ]]
}

@test "ChaCha20-Poly1305 and HKDF have no branch or memory index that depends on a key, a plaintext or the tag check (valgrind ctgrind)" {
    command -v valgrind || skip "valgrind is not installed"
    run valgrind --error-exitcode=99 --track-origins=no "$T/ct_aead"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ct_aead: results correct"* ]]
    [[ "$output" != *"depends on uninitialised value"* ]]
    [[ "$output" != *"Conditional jump"* ]]
    [[ "$output" != *"Use of uninitialised value"* ]]
    [[ "$output" == *"ERROR SUMMARY: 0 errors"* ]]
}

@test "the ctgrind harness does report a deliberate secret-dependent branch and table index" {
    command -v valgrind || skip "valgrind is not installed"
    run -99 valgrind --error-exitcode=99 --track-origins=no "$T/ct_x25519" --leak
    echo "$output"
    [[ "$output" == *"Conditional jump or move depends on uninitialised value"* ]]
    [[ "$output" == *"Use of uninitialised value of size"* ]]
}

@test "the core compiles warning-free with Xen's flags and needs no symbol but memcpy, memset and memmove" {
    [ "$(uname -m)" = x86_64 ] || skip "the Xen flags here are x86_64 flags"
    run build_core
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    ld -r -o "$BATS_TEST_TMPDIR/core.o" "$BATS_TEST_TMPDIR"/core/*.o
    run nm -u "$BATS_TEST_TMPDIR/core.o"
    echo "undefined: $output"
    [ "$status" -eq 0 ]
    run grep -Evx ' *U (memcpy|memset|memmove)' <<<"$output"
    echo "not allowed: $output"
    [ -z "$output" ]
}

@test "the core has no writable global or static data" {
    [ "$(uname -m)" = x86_64 ] || skip "the Xen flags here are x86_64 flags"
    build_core
    run objdump -t "$BATS_TEST_TMPDIR"/core/*.o
    [ "$status" -eq 0 ]
    # Objects in .data, .bss or common; const data with relocations sits in
    # .data.rel.ro, which is read-only once loaded.
    run grep -E ' O +(\.data|\.bss|\*COM\*)' <<<"$output"
    run grep -Ev ' O +\.data\.rel\.ro' <<<"$output"
    echo "writable: $output"
    [ -z "$output" ]
}

@test "the core's sources include no header but sc_types.h and the core's own" {
    local f line hdr bad=""
    for f in "$ROOT"/src/core/*.[ch]; do
        while IFS= read -r line; do
            if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
                hdr="${BASH_REMATCH[1]}"
                [[ "$hdr" != */* && -f "$ROOT/src/core/$hdr" ]] || bad="$bad $f:$hdr"
            elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include ]]; then
                # Only sc_types.h may take the freestanding system headers.
                if [[ "$(basename "$f")" != sc_types.h ||
                      ! "$line" =~ \<(stdint\.h|stddef\.h|xen/types\.h)\> ]]; then
                    bad="$bad $f:$line"
                fi
            fi
        done < "$f"
    done
    echo "offending includes:$bad"
    [ -z "$bad" ]
}

@test "every core source starts with its SPDX licence line" {
    local f bad=""
    for f in "$ROOT"/src/core/*.[ch]; do
        [ "$(head -n 1 "$f")" = "/* SPDX-License-Identifier: MIT */" ] || bad="$bad $f"
    done
    echo "without SPDX line:$bad"
    [ -z "$bad" ]
}
