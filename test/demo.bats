#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# make demo (test/demo.sh), run without a terminal: its scripted part.

bats_require_minimum_version 1.5.0

@test "make demo's scripted session runs, keeps the password off dom0, and its guest shell is not root" {
    [ "$(id -u)" = 0 ] || skip "needs root (the guest runs as nobody only when the demo is root's)"
    run -0 timeout 120 sh "$BATS_TEST_DIRNAME/demo.sh" < /dev/null
    [[ "$output" == *"=> the password and the guest's output crossed dom0 only as ciphertext."* ]]
    [[ "$output" == *"its shell runs as nobody on this machine"* ]]
    [[ "$output" == *"| uid=65534(nobody) gid=65534("* ]]
    [[ "$output" != *"uid=0(root)"* ]]
}
