#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The terminal of a whole session (sc-enc | sc-relay | sc-dec, the simulator
# behind), under tmux as a user would see it (issue 10): every message
# written while the terminal is raw ends in CR LF (a bare LF staircases: the
# next line starts where the last one ended), ~? lists the escapes, ~^Z
# suspends the pipeline, ~. says "session closed" before the prompt returns,
# and one setting (-e, SCCRYPT_ESCAPE) is the escape for all of them.

bats_require_minimum_version 1.5.0

load sim_helpers
load tmux_helpers

setup() {
    command -v tmux > /dev/null || skip "tmux is not installed"
    sim_setup
    start_sim --domain 5:demo:$SIM_UUID --guest 'stty raw -echo; exec cat'
    bind_dom 5 "$SIM_UUID"
    tmux_start 200 40 "unset SCCRYPT_ESCAPE"
    keys ". ./env.sh; PS1='PROMPT\$ '; clear" Enter
    wait_pane 'PROMPT$'
}

teardown() {
    tmux_stop
    sim_teardown
}


# Starts a session in the pane (sc-enc's options in $1; stderr to the
# terminal, as a user runs it); statuses in st, settings before and after.
start_session() {
    cat > run.sh <<EOS
stty -g > before
sc-enc $1 | $RELAY 5 | sc-dec
echo "\${PIPESTATUS[@]}" > st.tmp
stty -g > after
mv st.tmp st
EOS
    keys "bash run.sh" Enter
    wait_pane "sc-dec: connected to domain 5"
    wait_raw
}


wait_st() {
    for _ in $(seq 100); do [ -s st ] && return 0; sleep 0.1; done
    return 1
}

@test "every message written while the terminal is raw starts at the left margin: sc-relay's, sc-dec's and sc-enc's" {
    start_session -N
    keys hello Enter
    wait_pane hello
    kill -9 "$(cat sim.pid)"
    wait_pane "sc-dec: the stream ended"
    # a key makes sc-enc write into the closed pipe
    keys x
    wait_st
    pane > p
    grep -qx "sc-relay: sim: the simulator went away (its event channel closed)" p
    grep -qx "sc-dec: the stream ended without an authenticated close (truncated)" p
    # sc-dec said why the stream ended; sc-enc adds no "Broken pipe" (regression: it did)
    run ! grep -q "sc-enc: output closed" p
    [ "$(cat st)" = "2 2 1" ]
    cmp before after
}

@test "~? lists the escapes, each line at the left margin, and the session goes on" {
    start_session -N
    keys Enter "~" "?"
    wait_pane "sc-enc escapes (after Enter):"
    keys echoed-after-help Enter
    wait_pane echoed-after-help
    keys "~" "."
    wait_st
    pane > p
    grep -qx "sc-enc escapes (after Enter):" p
    grep -qx "  ~.   end the session" p
    grep -qx "  ~^Z  suspend the console (fg resumes it)" p
    grep -qx "  ~B   send a BREAK (hvc0's SysRq key, ^O: then the SysRq command)" p
    grep -qx "  ~?   this list" p
    grep -qx "  ~~   send ~ itself" p
    [ "$(cat st)" = "0 0 0" ]
}

@test "~. prints one 'session closed' line and the shell's prompt comes back below it" {
    start_session -N
    keys Enter "~" "."
    wait_st
    wait_pane 'PROMPT$ '
    pane | sed '/^$/d' > p
    [ "$(grep -c "session closed" p)" = 1 ]
    [ "$(grep -A1 -x "sc-enc: session closed" p | tail -n1)" = 'PROMPT$' ]
    [ "$(cat st)" = "0 0 0" ]
    cmp before after
}

@test "~^Z suspends the whole pipeline with the terminal restored, and fg resumes it raw" {
    start_session -N
    stty -g -F "$(pane_tty)" > raw
    keys Enter "~" C-z
    wait_pane "Stopped"
    # (the shell's readline owns the terminal's settings now: tty.bats checks sc-enc's restore)
    wait_pane 'PROMPT$ '
    # the relay and sc-dec are stopped too (the whole process group)
    relay=$(pgrep -f -n "^sc-relay -b sim --socket $SOCK 5")
    [ "$(ps -o stat= -p "$relay" | cut -c1)" = T ]
    keys fg Enter
    for _ in $(seq 50); do
        stty -g -F "$(pane_tty)" > raw2
        cmp -s raw raw2 && break
        sleep 0.1
    done
    cmp raw raw2
    keys after-fg Enter
    wait_pane after-fg
    keys "~" "."
    wait_st
    [ "$(cat st)" = "0 0 0" ]
    cmp before after
}

@test "one escape setting for all escapes: SCCRYPT_ESCAPE=% makes %? and %. the escapes and ~ plain" {
    keys "export SCCRYPT_ESCAPE=%" Enter
    start_session -N
    keys Enter "~" "?"
    sleep 0.5
    pane > p0
    run ! grep -qF "escapes (after Enter)" p0
    keys Enter "%" "?"
    wait_pane "sc-enc escapes (after Enter):"
    pane > p
    grep -qx "  %.   end the session" p
    keys "%" "."
    wait_st
    [ "$(cat st)" = "0 0 0" ]
}
