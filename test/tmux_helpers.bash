# SPDX-License-Identifier: MIT
# A terminal for the tests that need one, as a user has it: a shell in a
# tmux pane (server socket $TSOCK, session t) with the test's environment,
# and ways to type into it and watch it.

# tmux_start COLS ROWS [LINE]: the pane; env.sh (in the current directory)
# gives its shell the test's PATH, HOME and XDG directories, LINE, and
# $BATS_TEST_TMPDIR as its directory.  The caller sources it in the pane.
tmux_start() {
    TSOCK="$BATS_TEST_TMPDIR/tmux.sock"
    cat > env.sh <<EOS
export PATH='$PATH' HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME'
export XDG_STATE_HOME='$XDG_STATE_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR'
export SCCRYPT_REQUIRE='${SCCRYPT_REQUIRE:-}'
${3:-}
cd '$BATS_TEST_TMPDIR'
EOS
    tmux -S "$TSOCK" -f /dev/null new-session -d -x "$1" -y "$2" -s t "bash --norc --noprofile"
}

tmux_stop() {
    [ -z "${TSOCK:-}" ] || tmux -S "$TSOCK" kill-server 2> /dev/null || true
}

keys() {
    tmux -S "$TSOCK" send-keys -t t "$@"
}

pane() {
    tmux -S "$TSOCK" capture-pane -p -t t
}

pane_tty() {
    tmux -S "$TSOCK" display -p -t t '#{pane_tty}'
}

# wait_pane TEXT [TRIES]: until the pane shows TEXT (every 0.1 s; TRIES
# defaults to $WAIT_PANE_TRIES, else 100).
wait_pane() {
    for _ in $(seq "${2:-${WAIT_PANE_TRIES:-100}}"); do
        pane | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$1' in the pane:" >&2
    pane >&2
    return 1
}

# Waits until sc-enc has made the terminal raw: sc-dec says "connected" a
# moment before (sc-enc learns of the answer from it), and keys typed in
# that moment are the cooked terminal's (echoed, Enter made a newline).
wait_raw() {
    local t
    t=$(pane_tty)
    for _ in $(seq 200); do
        stty -a -F "$t" | grep -q -- '-icanon' && return 0
        sleep 0.02
    done
    echo "timed out waiting for raw mode on $t" >&2
    return 1
}
