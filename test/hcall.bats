#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# hcall/: the Xen patch series stays generated from hcall/ and src/core (one truth).

@test "the Xen patch in hcall/patches is what hcall/ and src/core generate now" {
    run make -s -C hcall patch-check
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "the generated patch carries every src/core file unchanged" {
    for f in src/core/*.c src/core/*.h; do
        grep -q "^+++ b/xen/common/sccrypt/$(basename "$f")\$" hcall/patches/0001-sccrypt-core-and-hypercall.patch
    done
}
