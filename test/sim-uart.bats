#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The simulator's UART guest (sc-vmmsim --uart): the whole pipeline,
# sc-enc | sc-relay | sc-dec, to a guest whose console is a 16550A at COM1,
# every byte through the register model (src/core/uart16550.c), the UART
# console glue (src/core/uart_con.c) and a guest driver that drives them as
# Linux's 8250 driver does (src/sim/uart.c).

bats_require_minimum_version 1.5.0

load sim_helpers
load tmux_helpers

setup() { sim_setup; }
teardown() {
    [ -n "${DBG:-}" ] && { rm -rf /tmp/dbgout; cp -r "$BATS_TEST_TMPDIR" /tmp/dbgout; }
    exec 7>&- 2> /dev/null || true
    tmux_stop
    sim_teardown
}

RAWCAT='stty raw -echo; exec cat'

@test "a scripted login to a UART guest runs the commands and ends cleanly" {
    start_sim --domain 5:hvm:$SIM_UUID --uart
    grep -q 'console uart (16550A at COM1)' sim.log
    bind_dom 5 $SIM_UUID
    printf 'root\ndemo\necho out-$((6*7))\n' > in
    run -0 pipeline 5
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    grep -q 'console ttyS0: a 16550A UART' out
    grep -q '^login: root' out
    grep -q 'out-42' out
    run ! grep -q "found no 16550A" sim.log
}

@test "every byte value passes both ways through the UART unchanged" {
    start_sim --domain 5:hvm:$SIM_UUID --uart --guest "$RAWCAT"
    bind_dom 5 $SIM_UUID
    for i in 1 2 3 4; do
        for b in $(seq 0 255); do printf "\\$(printf %03o "$b")"; done
    done > in
    run -0 pipeline 5 -N
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    cmp in out
}

@test "the relay's stdin and stdout never carry the password typed to a UART guest or its output" {
    start_sim --domain 5:hvm:$SIM_UUID --uart --guest-password 'pw-Sekr1t-9'
    bind_dom 5 $SIM_UUID
    printf 'operator\npw-Sekr1t-9\necho "$((1000+337))-leet"\n' > in
    run -0 pipeline 5
    [ "$(cat dec.rc)" = 0 ]
    grep -q '1337-leet' out
    run ! grep -q 'pw-Sekr1t' out
    for f in wire.in wire.out relay.err; do
        run ! grep -a -q 'pw-Sekr1t' "$f"
        run ! grep -a -q '1337-leet' "$f"
        run ! grep -a -q 'operator' "$f"
    done
}

@test "4 MiB of UART guest output to a reader that stalls arrives whole: THRE holds the guest back" {
    head -c 4194304 /dev/urandom > big
    start_sim --domain 5:hvm:$SIM_UUID --uart \
        --guest "stty raw -echo; head -c 1 > /dev/null; cat '$BATS_TEST_TMPDIR/big'; exec sleep 600"
    bind_dom 5 $SIM_UUID
    printf 'x' > in
    # The terminal stops reading for 2 s after 64 KiB: sc-dec, the relay, the backlog and
    # the ring fill meanwhile, so the guest finds THRE clear and waits.
    start=$(date +%s%N)
    run -0 timeout 60 bash -c '
        { sc-enc -N -w 500 < in 2> enc.err; echo $? > enc.rc; } |
        { $RELAY 5 2> relay.err; echo $? > relay.rc; } |
        { sc-dec 2> dec.err; echo $? > dec.rc; } |
        perl -e '"'"'$|=1; my ($b, $n); $n += length($b) while $n < 65536 && sysread(STDIN, $b, 65536 - $n) && print $b;
                   sleep 2; print $b while sysread(STDIN, $b, 65536);'"'"' > out'
    end=$(date +%s%N)
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    cmp big out
    # The simulator's account of COM1, logged as it stops: the guest waited on THRE.
    sim_teardown
    line=$(grep 'COM1: ' sim.log)
    [[ "$line" =~ ([0-9]+)\ out,\ ([0-9]+)\ register\ accesses,\ ([0-9]+)\ interrupts,\ ([0-9]+)\ waits\ on\ THRE ]]
    [ "${BASH_REMATCH[1]}" -ge 4194304 ]
    [ "${BASH_REMATCH[4]}" -gt 0 ]
    echo "# 4 MiB through the UART in $(( (end - start) / 1000000 )) ms (2 s of stall, 500 ms quiet time);" \
        "$(( BASH_REMATCH[2] * 100 / BASH_REMATCH[1] / 100 )).$(( BASH_REMATCH[2] * 100 / BASH_REMATCH[1] % 100 ))" \
        "register accesses and $(( BASH_REMATCH[3] * 1000 / BASH_REMATCH[1] )) interrupts per 1000 bytes," \
        "${BASH_REMATCH[4]} waits on THRE" >&3
}

@test "256 KiB pasted into a UART guest arrive whole: the FIFO is fed only once drained" {
    head -c 262144 /dev/urandom > in
    start_sim --domain 5:hvm:$SIM_UUID --uart \
        --guest "stty raw -echo; head -c 262144 > '$BATS_TEST_TMPDIR/got'; echo done; exec sleep 600"
    bind_dom 5 $SIM_UUID
    run -0 pipeline 5 -N -w 500
    [ "$(cat enc.rc) $(cat relay.rc) $(cat dec.rc)" = "0 0 0" ]
    cmp in got
}

# break_session ENC_ARGS: sc-enc on a terminal (escapes work only there) types
# "ab" Enter ~B "cd" Enter to a UART guest that logs and echoes its input; its driver
# must see LSR.BI after "ab\r" and before "cd" (the tty gets the BREAK's zero byte
# there, as Linux's does with stty raw), and dom0 sees none of it.
break_session() {
    command -v tmux > /dev/null || skip "tmux is not installed"
    start_sim --domain 5:hvm:$SIM_UUID --uart \
        --guest "stty raw -echo; exec tee '$BATS_TEST_TMPDIR/glog'"
    bind_dom 5 $SIM_UUID
    tmux_start 100 30 "export RELAY='$RELAY'"
    keys ". ./env.sh; PS1='$ '" Enter
    cat > run.sh <<EOS
sc-enc $1 2> enc.err | tee wire.in | \$RELAY 5 2> relay.err | tee wire.out | sc-dec > out 2> dec.err
echo "\${PIPESTATUS[@]}" > st.tmp
mv st.tmp st
EOS
    keys "bash run.sh" Enter
    wait_for dec.err connected
    wait_raw
    keys a b Enter "~" B c d Enter
    wait_for out cd
    keys "~" "."
    wait_for st .
    [ "$(cat st)" = "0 0 0 0 0" ]
    grep -aq 'sysrq: BREAK on ttyS0 (LSR.BI)' out
    printf 'ab\r\0cd\r' > want
    cmp want glog
    [ "$(grep -c 'COM1\|sysrq' out)" = 1 ]
    run ! grep -aq 'sysrq' wire.out
    run ! grep -aq 'ab' wire.in
}

@test "~B typed to a UART guest reaches it as a BREAK (LSR.BI), in order between the keys" {
    break_session ""
}

@test "~B without timing obfuscation (-N) reaches a UART guest as a BREAK, in order too" {
    break_session -N
}

@test "an input record dom0 tampered with ends the UART session and nothing of it reaches the guest" {
    start_sim --domain 5:hvm:$SIM_UUID --uart --guest "stty raw -echo; exec cat > '$BATS_TEST_TMPDIR/glog'"
    bind_dom 5 $SIM_UUID
    printf 'root\nsecret-pw\n' > in
    # dom0 flips one bit of the first record after the hello on its way to the VMM.
    run -0 timeout 60 bash -c '
        { sc-enc -N < in 2> enc.err; echo $? > enc.rc; } | tamper flip 1 |
        { $RELAY 5 2> relay.err; echo $? > relay.rc; } |
        { sc-dec > out 2> dec.err; echo $? > dec.rc; }'
    [ "$(cat dec.rc)" = 1 ]
    grep -q 'the VMM ended the session: the VMM refused a record that failed authentication' dec.err
    [ ! -s glog ]
    grep -q 'an input record failed' sim.log
}
