#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# hcall/: the Xen patch series is generated from hcall/ and src/core (one truth), never committed.
bats_require_minimum_version 1.5.0

@test "make patch writes the whole series, carrying every src/core file unchanged" {
    out="$BATS_TEST_TMPDIR/patch"
    run -0 sh hcall/scripts/gen-patch.sh "$out"
    [ "$(cat "$out/series")" = "$(printf '%s\n' 0001-sccrypt-core-and-hypercall.patch 0002-sccrypt-hooks.patch 0003-svm-cr8-write-exit.patch)" ]
    cmp "$out/0002-sccrypt-hooks.patch" hcall/patches/0002-sccrypt-hooks.patch
    cmp "$out/0003-svm-cr8-write-exit.patch" hcall/patches/0003-svm-cr8-write-exit.patch
    for f in src/core/*.c src/core/*.h hcall/xen/sccrypt.c hcall/xen/pristine.c; do
        grep -q "^+++ b/xen/common/sccrypt/$(basename "$f")\$" "$out/0001-sccrypt-core-and-hypercall.patch"
        # The file's lines, each with the patch's "+", in order and complete.
        sed 's/^/+/' "$f" > "$BATS_TEST_TMPDIR/want"
        awk -v f="+++ b/xen/common/sccrypt/$(basename "$f")" '
            $0 == f { on = 1; getline; next }
            on && /^(diff|--- )/ { exit }
            on { print }' "$out/0001-sccrypt-core-and-hypercall.patch" > "$BATS_TEST_TMPDIR/got"
        cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
    done
}

@test "the generated patch is not in git: hcall/patches holds only the hand-kept patches" {
    run -0 git ls-files hcall/patches
    [ "$output" = "$(printf '%s\n' hcall/patches/0002-sccrypt-hooks.patch hcall/patches/0003-svm-cr8-write-exit.patch)" ]
}
