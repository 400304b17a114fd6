#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# What dom0 learns of keystrokes from the guest's echo, with timing
# obfuscation on: test/echo-attack.sh types at a login prompt and a shell
# prompt of the simulator and scores an attacker watching the relay's records.

bats_require_minimum_version 1.5.0

setup() {
    PATH="$BATS_TEST_DIRNAME/../bin:$BATS_TEST_DIRNAME/../bin/test:$PATH"
    cd "$BATS_TEST_TMPDIR" || return 1
}

# Issue 17 item 3: a key got two output records (the answer, then its echo
# about 0.4 ms later) and chaff one: counting records found 100% of the login
# name's keys at 0% false positives, 93% of the shell prompt's at 0.9%.
@test "with obfuscation on, the count and size of output records tell keys from chaff at no prompt" {
    run -0 bash "$BATS_TEST_DIRNAME/echo-attack.sh" 17
    echo "$output" | sed 's/^/# /' >&3
    for p in login-name shell-prompt; do
        line=$(echo "$output" | grep "^$p ")
        keys=$(echo "$line" | sed -n 's/.* keys=\([0-9]*\) .*/\1/p')
        tpr=$(echo "$line" | sed -n 's/.* count_tpr=\([0-9]*\)\.[0-9]%.*/\1/p')
        fpr=$(echo "$line" | sed -n 's/.* count_fpr=\([0-9]*\)\.[0-9]%.*/\1/p')
        [ "$keys" -ge 20 ]
        # One record of the one size per slot, key or chaff: counting finds keys
        # no more often than chaff (before: 92-100% of keys at 0-1% of chaff).
        # On a loaded machine a late answer can land in the next slot's window,
        # for keys and chaff alike: hence a margin, not zero.
        [ $((tpr - fpr)) -lt 20 ]
    done
    # the echo still comes, one slot later at most (plus the machine's load)
    grep -q 'login: thequickbrownfoxjumpsover' user.out
    grep -q 'echothelazydogsleepsinthesun' user.out
    [ "$(cat rc)" = "0 0 0 0 0 0" ]
}
