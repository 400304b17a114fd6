#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# make demo (test/demo.sh), run without a terminal: its scripted part.

bats_require_minimum_version 1.5.0

load tmux_helpers

teardown() {
    tmux_stop
}

@test "make demo's scripted session runs, keeps the password off dom0, and its guest shell is not root" {
    [ "$(id -u)" = 0 ] || skip "needs root (the guest runs as nobody only when the demo is root's)"
    run -0 timeout 120 sh "$BATS_TEST_DIRNAME/demo.sh" < /dev/null
    [[ "$output" == *"=> the password and the guest's output crossed dom0 only as ciphertext."* ]]
    [[ "$output" == *"its shell runs as nobody on this machine"* ]]
    [[ "$output" == *"| uid=65534(nobody) gid=65534("* ]]
    [[ "$output" == *"console ttyS0: a 16550A UART"* ]]
    [[ "$output" == *"| the UART answer is 42"* ]]
    [[ "$output" == *"=> through the UART too, dom0 carried only ciphertext."* ]]
    [[ "$output" != *"uid=0(root)"* ]]
    # sc-dec's seal level line: the simulator's honest (weakest) level, accepted explicitly
    [[ "$output" == *"sc-dec: seal level: console PV ring, memory NOT sealed (something outside the guest may map it), DMA NOT confined (no strict IOMMU)"* ]]
}

@test "make demo installs only what the demo needs: none of the test toolchain" {
    run -0 sh "$BATS_TEST_DIRNAME/deps.sh" --list demo
    demo=$output
    [[ "$demo" == *libssl-dev* ]]
    for p in openssh-server sudo tmux clang valgrind debhelper bats strace dpkg-dev scdoc; do
        ! grep -qx "$p" <<< "$demo" || { echo "the demo's list has $p"; return 1; }
    done
    # make check keeps them all
    run -0 sh "$BATS_TEST_DIRNAME/deps.sh" --list test
    for p in $demo openssh-server sudo tmux clang valgrind debhelper bats; do
        grep -qx "$p" <<< "$output" || { echo "the test list lacks $p"; return 1; }
    done
    # make demo asks for the demo's set, make check for the test's
    run -0 make -n -C "$BATS_TEST_DIRNAME/.." demo
    [[ "$output" == *"sh test/deps.sh demo"* ]]
    [[ "$output" != *"sh test/deps.sh test"* ]]
    run -0 make -n -C "$BATS_TEST_DIRNAME/.." check
    [[ "$output" == *"sh test/deps.sh test"* ]]
}

@test "make demo's interactive step opens with the guest's prompt, before any key" {
    [ "$(id -u)" = 0 ] || skip "needs root (the guest runs as nobody only when the demo is root's)"
    command -v tmux > /dev/null || skip "tmux is not installed"
    export HOME=$BATS_TEST_TMPDIR XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/cfg
    export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
    cd "$BATS_TEST_TMPDIR"
    tmux_start 120 50
    keys ". ./env.sh; sh '$BATS_TEST_DIRNAME/demo.sh'; echo demo-rc=\$?" Enter
    WAIT_PANE_TRIES=900 wait_pane "8. Your turn"
    # the guest's prompt ("root@demo:$ ") comes without a key typed
    for _ in $(seq 100); do
        pane | sed -n '/8. Your turn/,$p' | grep -q '@demo:\$ *$' && break
        sleep 0.1
    done
    pane | sed -n '/8. Your turn/,$p' | grep -q '@demo:\$ *$'
    keys Enter '~.'
    wait_pane "demo-rc=0"
    tmux_stop
}
