#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The 16550A UART register model (src/core/uart16550.c): the probe and
# start-up sequences of Linux, hvmloader, OVMF and GRUB, Xen's compile
# rules, and a differential test against QEMU's 16550A through qtest.

bats_require_minimum_version 1.5.0

setup() {
    ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
    T="$ROOT/bin/test"
}

# Xen's own flags for the core, with -Werror (as in core.bats).
XEN_CFLAGS="-std=gnu99 -ffreestanding -fno-builtin -O2 -Wall -Wextra
    -Wdeclaration-after-statement -Wvla -Wstrict-prototypes -Wmissing-prototypes
    -Werror -mno-sse -mno-mmx -mno-avx -mno-red-zone"

# Builds the differential driver against the model source given (default: the real one).
build_diff() {
    cc -std=gnu99 -O1 -g -Wall -Wextra -Werror -I"$ROOT/src/core" \
        -o "$BATS_TEST_TMPDIR/qtest_diff" "$ROOT/test/uart/qtest_diff.c" \
        "${1:-$ROOT/src/core/uart16550.c}"
}

need_qemu() {
    command -v qemu-system-x86_64 >/dev/null ||
        skip "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86)"
}

@test "Linux 8250 autoconfig, autoconfig_irq and startup, hvmloader, OVMF and GRUB find a working 16550A" {
    run -0 "$T/uart_probe"
    [[ "$output" =~ uart_probe:\ ([0-9]+)\ checks,\ 0\ failures ]]
    [ "${BASH_REMATCH[1]}" -ge 240 ]
}

@test "300000 random guest accesses and host calls keep the UART model within its buffers (ASan, UBSan)" {
    cc -std=gnu99 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -I"$ROOT/src/core" -o "$BATS_TEST_TMPDIR/uart_probe" \
        "$ROOT/test/unit/uart_probe.c" "$ROOT/src/core/uart16550.c"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
        run -0 timeout 120 "$BATS_TEST_TMPDIR/uart_probe"
    [[ "$output" =~ uart_probe:\ [0-9]+\ checks,\ 0\ failures ]]
}

@test "the UART model compiles with Xen's flags and has no writable globals and no calls out" {
    # shellcheck disable=SC2086
    gcc $XEN_CFLAGS -c -o "$BATS_TEST_TMPDIR/u.o" "$ROOT/src/core/uart16550.c"
    nm "$BATS_TEST_TMPDIR/u.o" > "$BATS_TEST_TMPDIR/nm"
    grep -q ' T sc_uart_read$' "$BATS_TEST_TMPDIR/nm"
    run -1 grep -E ' [BbDdCcGgSsU] ' "$BATS_TEST_TMPDIR/nm"
}

@test "the UART model agrees with QEMU's 16550A on every read, on IRQ 4 and on the bytes sent and received over 12000 random accesses" {
    need_qemu
    build_diff
    for seed in 1 2 3; do
        run -0 timeout 60 "$BATS_TEST_TMPDIR/qtest_diff" "$seed" 4000
        echo "$output"
        [[ "$output" =~ "4000 ops (".*", 0 differences" ]]
    done
}

@test "the differential test catches a model that does not arm THRE when IER.THRI is set" {
    need_qemu
    sed 's/if ( changed & SC_UART_IER_THRI )/if ( changed \& 0 )/' "$ROOT/src/core/uart16550.c" \
        > "$BATS_TEST_TMPDIR/broken.c"
    run -1 cmp -s "$ROOT/src/core/uart16550.c" "$BATS_TEST_TMPDIR/broken.c"
    build_diff "$BATS_TEST_TMPDIR/broken.c"
    run -1 --separate-stderr timeout 60 "$BATS_TEST_TMPDIR/qtest_diff" 1 4000
    [[ "$stderr" =~ "IRQ 4: qemu 1, model 0" ]]
}

@test "the differential test catches a model with the 16550A's trigger level 14 taken as 16" {
    need_qemu
    sed 's/{ 1, 4, 8, 14 }/{ 1, 4, 8, 16 }/' "$ROOT/src/core/uart16550.c" \
        > "$BATS_TEST_TMPDIR/broken.c"
    run -1 cmp -s "$ROOT/src/core/uart16550.c" "$BATS_TEST_TMPDIR/broken.c"
    build_diff "$BATS_TEST_TMPDIR/broken.c"
    run -1 --separate-stderr timeout 60 "$BATS_TEST_TMPDIR/qtest_diff" 1 4000
    [[ "$stderr" =~ "qtest_diff: op " ]]
}

@test "the UART console moves 3000 input bytes to slow, polling and FIFO-less guests in order without an overrun, holds output back on THRE, and delivers a BREAK in order" {
    run -0 "$T/uart_con"
    [[ "$output" =~ uart_con:\ ([0-9]+)\ checks,\ 0\ failures ]]
    [ "${BASH_REMATCH[1]}" -ge 800000 ]
}

@test "the UART console stays within its ring and buffers under hostile guest accesses (ASan, UBSan)" {
    cc -std=gnu99 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -I"$ROOT/src/core" -o "$BATS_TEST_TMPDIR/uart_con" \
        "$ROOT/test/unit/uart_con.c" "$ROOT/src/core/uart_con.c" "$ROOT/src/core/uart16550.c" \
        "$ROOT/src/core/ring.c" "$ROOT/src/core/ct.c"
    UBSAN_OPTIONS=halt_on_error=1 run -0 timeout 120 "$BATS_TEST_TMPDIR/uart_con" 7
    [[ "$output" =~ uart_con:\ [0-9]+\ checks,\ 0\ failures ]]
}

@test "the UART console compiles with Xen's flags and has no writable globals" {
    # shellcheck disable=SC2086
    gcc $XEN_CFLAGS -c -o "$BATS_TEST_TMPDIR/c.o" "$ROOT/src/core/uart_con.c"
    nm "$BATS_TEST_TMPDIR/c.o" > "$BATS_TEST_TMPDIR/nm"
    grep -q ' T sc_uart_con_io$' "$BATS_TEST_TMPDIR/nm"
    run -1 grep -E ' [BbDdCcGgSs] ' "$BATS_TEST_TMPDIR/nm"
}

@test "the UART console test catches a glue that lets input overtake a BREAK" {
    sed 's/if ( !c->brk_n )$/if ( 1 )/' "$ROOT/src/core/uart_con.c" > "$BATS_TEST_TMPDIR/broken.c"
    run -1 cmp -s "$ROOT/src/core/uart_con.c" "$BATS_TEST_TMPDIR/broken.c"
    cc -std=gnu99 -O1 -I"$ROOT/src/core" -o "$BATS_TEST_TMPDIR/uart_con" \
        "$ROOT/test/unit/uart_con.c" "$BATS_TEST_TMPDIR/broken.c" "$ROOT/src/core/uart16550.c" \
        "$ROOT/src/core/ring.c" "$ROOT/src/core/ct.c"
    run -1 --separate-stderr "$BATS_TEST_TMPDIR/uart_con"
    [[ "$stderr" == *"SC_UART_LSR_BI"* ]]
}

@test "the UART console test catches a glue that feeds the receiver before the guest drained it" {
    sed 's/while ( sc_uart_rx_ready(&c->uart) )/c->uart.lsr \&= ~SC_UART_LSR_DR; while ( sc_uart_rx_ready(\&c->uart) )/' \
        "$ROOT/src/core/uart_con.c" > "$BATS_TEST_TMPDIR/broken.c"
    run -1 cmp -s "$ROOT/src/core/uart_con.c" "$BATS_TEST_TMPDIR/broken.c"
    cc -std=gnu99 -O1 -I"$ROOT/src/core" -o "$BATS_TEST_TMPDIR/uart_con" \
        "$ROOT/test/unit/uart_con.c" "$BATS_TEST_TMPDIR/broken.c" "$ROOT/src/core/uart16550.c" \
        "$ROOT/src/core/ring.c" "$ROOT/src/core/ct.c"
    run -1 --separate-stderr "$BATS_TEST_TMPDIR/uart_con"
    [[ "$stderr" == *"oe_seen"* ]]
}
