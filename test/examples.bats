#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Every man page's EXAMPLES, run as written (STYLE.md: "Every man page's
# EXAMPLES run in a test").
#
# The examples are read from the scdoc sources at run time, so an edited
# example is what gets tested: each literal block of a page's EXAMPLES section
# (tab-indented lines or a ``` fence) is one example.  In a block with prompts,
# "$ " lines are the user's commands, "# " lines the operator's (root's), and
# other lines what the command before them prints (after "$ ") or the text
# typed into it (after "# visudo").  A block without prompts is all commands.
#
# Each example runs in a sandbox: a private mount and pid namespace (unshare)
# with its own /tmp, /run, /var/lib and /usr/local/sbin, so that the examples'
# fixed and default paths (/tmp/sim, /run/sccrypt-sim/sim.sock as root,
# /var/lib/sccrypt-sim, sudo's /usr/local/sbin/sc-relay) are real but private,
# and every process it starts (simulators, tmux) dies with it.  There the
# commands are typed one by one into an interactive bash in tmux, as a user
# would; sc-enc on that terminal gets a login, a command and "~.".
#
# Placeholders are filled in with live values at the moment a line is typed:
# "SHA256:..." (and "SHA256:Xb3...") with the fingerprint and "UUID" (and
# "0b1f...-...") with domain 5's UUID, both read where the user reads them
# (the simulator's log, or what the terminal shows).  The examples use domain 5,
# the simulated domain's id.  "ssh host CMD" runs CMD locally through
# test/tools/fake-ssh (installed as "ssh" first on PATH), which drops ssh's
# options and the host and runs CMD with sh -c: the real ssh and sudoers path
# is tested in test/ssh.bats, and an sshd here would only slow these tests
# down.  sudo is the real one (root to root), finding sc-relay through its
# secure_path in /usr/local/sbin.  The operator's setup lines are checked for
# syntax: the sudoers lines with visudo -cf, xl's command lines for their form.
# The user's commands are typed with a user's PATH: the client tools and
# /usr/local/bin:/usr/bin:/bin, no sbin, so an example that runs sc-relay
# without sudo must say how to find it.  Paths in the pages (@SBINDIR@ ...)
# are filled in as make fills them in for PREFIX /usr/local.

bats_require_minimum_version 1.5.0

load sim_helpers

REPO="$BATS_TEST_DIRNAME/.."
MAN="$REPO/man"

setup() {
    [ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, sudo)"
    for c in unshare tmux sudo visudo; do
        command -v "$c" > /dev/null || skip "$c is not installed"
    done
    unshare -m -p -f --mount-proc true 2> /dev/null || skip "unshare cannot make mount and pid namespaces here"
    sim_setup
    mkdir -p fakebin userbin
    ln -s "$(cd "$REPO" && pwd)/test/tools/fake-ssh" fakebin/ssh
    PATH="$BATS_TEST_TMPDIR/fakebin:$PATH"
    # The user's PATH, as after installing the client tools: no sbin, so no
    # sc-relay (the sandbox's is in /usr/local/sbin, where make install puts it).
    for t in sc-keygen sc-enc sc-dec sc-console sc-vmmsim; do
        ln -s "$(cd "$REPO" && pwd)/bin/$t" userbin/$t
    done
    USER_PATH="$BATS_TEST_TMPDIR/fakebin:$BATS_TEST_TMPDIR/userbin:/usr/local/bin:/usr/bin:/bin"
    export USER_PATH
}

# Nothing outlives the sandbox (its pid namespace), so there is nothing to stop.
teardown() {
    [ -n "${DBG:-}" ] && { rm -rf /tmp/dbgout; cp -r "$BATS_TEST_TMPDIR" /tmp/dbgout; }
    return 0
}

# The pages' paths as make install (PREFIX /usr/local) fills them in, which is
# where the sandbox has them: the Makefile's own substitution.
man_subst() {
    make -s -C "$REPO" --no-print-directory print-man-subst PREFIX=/usr/local \
        SBINDIR=/usr/local/sbin DOCDIR=/usr/local/share/doc/sccrypt SYSCONFDIR=/etc
}

# blocks PAGE: the EXAMPLES section of man/PAGE.scd (its paths filled in as
# the built page has them), one line per example line:
# BLOCK<TAB>KIND<TAB>TEXT, KIND cmd (a command), root (an operator's command)
# or out (a line that belongs to the command before it).  scdoc's backslash
# escapes are undone in tab-indented blocks (fenced blocks are verbatim).
blocks() {
    awk '
        function flush(   i, k, prompts) {
            if (!n) return
            nb++
            prompts = 0
            for (i = 1; i <= n; i++) if (l[i] ~ /^[$#] /) prompts = 1
            for (i = 1; i <= n; i++) {
                if (!prompts) k = "cmd"
                else if (l[i] ~ /^\$ /) { k = "cmd"; l[i] = substr(l[i], 3) }
                else if (l[i] ~ /^# /) { k = "root"; l[i] = substr(l[i], 3) }
                else k = "out"
                printf "%d\t%s\t%s\n", nb, k, l[i]
            }
            n = 0
        }
        function unescape(s,   r, c) {
            r = ""
            while (length(s)) {
                c = substr(s, 1, 1); s = substr(s, 2)
                if (c == "\\" && length(s)) { c = substr(s, 1, 1); s = substr(s, 2) }
                r = r c
            }
            return r
        }
        /^# EXAMPLES$/ { in_ex = 1; next }
        !in_ex { next }
        /^```/ { if (fence) { flush(); fence = 0 } else { flush(); fence = 1 }; next }
        fence { l[++n] = $0; next }
        /^# / { exit }
        /^\t/ { l[++n] = unescape(substr($0, 2)); next }
        { flush() }
        END { flush() }' <(eval "sed $(man_subst)" '"$MAN/$1.scd"')
}

# block PAGE N > FILE: example N of the page (KIND<TAB>TEXT lines).
block() {
    blocks "$1" | awk -F '\t' -v n="$2" '$1 == n { sub(/^[^\t]*\t/, ""); print }'
}

# The driver, run as the sandbox's first process.  It makes the private
# mounts, sources prelude.sh (what the test sets up first: a dom0 simulator, a
# key), types each command of ex.block into bash in tmux, and sources post.sh
# (checks that need the sandbox).  Results: st (PIPESTATUS of each typed
# command, one line each), pane.txt (the terminal's whole history), driver.log.
write_driver() {
    cat > drive.sh <<'EOF'
set -u
exec 2> "$T/driver.log"
set -x
cd /
mount -t tmpfs -o mode=755 sc-run /run
# A private /tmp, with the test's directory and the source tree (when they
# are under /tmp) bound back in at their paths.
mkdir /run/sc-oldtmp && mount --bind /tmp /run/sc-oldtmp
mount -t tmpfs -o mode=1777 sc-tmp /tmp
for d in "$REPO" "$T"; do
    case $d in
    /tmp/*) mkdir -p "$d" && mount --bind "/run/sc-oldtmp/${d#/tmp/}" "$d" ;;
    esac
done
mount -t tmpfs -o mode=755 sc-varlib /var/lib
mount -t tmpfs -o mode=755 sc-sbin /usr/local/sbin
install -m 755 "$BIN/sc-relay" /usr/local/sbin/sc-relay
cd "$T"

fail() { echo "driver: $*" >> "$T/driver.err"; exit 1; }
pane() { tmux -S "$T/tmux.sock" capture-pane -p -J -S - -t t | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$T/pane.txt"; }
keys() { tmux -S "$T/tmux.sock" send-keys -t t "$@"; }
# wait_pane REGEX N: until the terminal shows REGEX on more than N lines (15 s),
# while the command typed last ($n lines in st before it) still runs.
wait_pane() {
    local i
    for i in $(seq 300); do
        pane
        [ "$(grep -c -- "$1" "$T/pane.txt")" -gt "${2:-0}" ] && return 0
        [ "$(wc -l < "$T/st")" -gt "$n" ] && fail "the command ended before '$1' showed"
        sleep 0.05
    done
    fail "timed out waiting for '$1' on the terminal"
}
count() { pane; grep -c -- "$1" "$T/pane.txt"; }
# The live values, read where the user reads them.
live() { pane; cat "$T/pane.txt" "$T/sim.log" "$T/dom0/sim.log" 2> /dev/null; }
live_fp() { live | sed -n 's/.*VMM key fingerprint \(SHA256:[A-Za-z0-9+/]*\).*/\1/p' | tail -1; }
live_uuid() { live | sed -n "s/.*domain ${1:-5} name [^ ]* uuid \([0-9a-f-]*\).*/\1/p" | tail -1; }

[ -f prelude.sh ] && . ./prelude.sh

cat > rc <<RC
export PATH='$USER_PATH' HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME'
export XDG_STATE_HOME='$XDG_STATE_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR'
unset SCCRYPT_KEY SCCRYPT_VMM SCCRYPT_RELAY SCCRYPT_SIM_SOCKET
# "host" is the simulator, whose honest seal level is the weakest: accepted
# explicitly, as its user must (sccrypt(7) LEVELS)
export SCCRYPT_REQUIRE=none
PS1='\$ '
PROMPT_COMMAND='echo "\${PIPESTATUS[*]}" >> "$T/st"'
cd '$T'
RC
echo 'set -g history-limit 100000' > tmux.conf
: > st
tmux -S "$T/tmux.sock" -f "$T/tmux.conf" new-session -d -x 250 -y 50 -s t "bash --noprofile --rcfile '$T/rc' -i"
for _ in $(seq 200); do [ -s st ] && break; sleep 0.05; done
[ -s st ] || fail "bash did not start in tmux"
: > st

while IFS=$'\t' read -r kind line <&3; do
    [ "$kind" = cmd ] || continue
    fp=$(live_fp) uuid=$(live_uuid)
    line=$(printf '%s\n' "$line" | sed -e "s|SHA256:[A-Za-z0-9+/]*\.\.\.|$fp|g" \
        -e "s|\bUUID\b|$uuid|g" -e "s|[0-9a-f]*\.\.\.-\.\.\.|$uuid|g")
    n=$(wc -l < st) n_conn=$(count 'sc-dec: connected') n_ready=$(count 'sc-vmmsim: ready')
    n_pw=$(count 'Password:') n_typed=$(count 'typed-42')
    keys -l -- "$line"
    keys Enter
    case $line in
    sc-enc*|sc-console*) case ${line%%|*} in
        *'<'*|*' -- '*|*--until*) ;;    # input redirected, or a script's session
        *)  # An interactive session: log in, run a command, end it with ~.
            wait_pane 'sc-dec: connected' "$n_conn"
            wait_pane 'login:' 0
            keys -l root; keys Enter
            wait_pane 'Password:' "$n_pw"
            keys -l demo; keys Enter
            keys -l 'echo typed-$((6*7))'; keys Enter
            wait_pane 'typed-42' "$n_typed"
            keys Enter; keys -l '~.' ;;
        esac ;;
    sc-vmmsim*' -f'*)  # A simulator in the foreground: use it, then Ctrl-C.
        wait_pane 'sc-vmmsim: ready' "$n_ready"
        foreground_hook
        keys C-c ;;
    esac
    for _ in $(seq 600); do [ "$(wc -l < st)" -gt "$n" ] && break; sleep 0.05; done
    [ "$(wc -l < st)" -gt "$n" ] || fail "timed out: $line"
done 3< ex.block
pane
[ -f post.sh ] && . ./post.sh
tmux -S "$T/tmux.sock" kill-server
exit 0
EOF
}

# run_example PAGE N: runs example N of man/PAGE.scd in the sandbox; its
# blocks are in ex.block, the typed commands' PIPESTATUS lines in st.
run_example() {
    block "$1" "$2" > ex.block
    [ -s ex.block ]
    write_driver
    T="$BATS_TEST_TMPDIR" REPO="$(cd "$REPO" && pwd -P)" BIN="$(cd "$REPO" && pwd -P)/bin" \
        timeout 50 unshare -m -p -f --mount-proc --kill-child bash drive.sh 3>&- || {
        echo "driver failed; driver.err:"; cat driver.err 2> /dev/null
        echo "--- terminal:"; cat pane.txt 2> /dev/null
        echo "--- driver.log:"; tail -40 driver.log
        return 1
    }
    [ ! -s driver.err ]
    echo "--- terminal:"; cat pane.txt
}

# The typed commands' statuses, one per line.
statuses() { cat st; }
# Every command of the example ran, and every stage of each exited 0.
all_succeeded() {
    [ "$(wc -l < st)" = "$(grep -c $'^cmd\t' ex.block)" ] && ! grep -q '[^0 ]' st
}

# For the prelude: a dom0 simulator at its default root paths (the sandbox's)
# with domain 5, logging to dom0/sim.log (the provider's channel).  It plays
# a Xen host without an IOMMU (seal level "sealed": --claim-level), so that
# the examples' --require sealed runs as it would there.
dom0_sim() {
    cat >> prelude.sh <<EOF
mkdir -p "\$T/dom0"
sc-vmmsim --claim-level sealed --domain 5:demo:$SIM_UUID $* 2> "\$T/dom0/sim.log" || fail "sc-vmmsim did not start"
EOF
}
# For the prelude: the user's key (made as in sc-keygen(1)'s first example).
user_key() { echo 'sc-keygen > /dev/null 2>&1 || fail "sc-keygen"' >> prelude.sh; }
# For the prelude: domain 5 bound to the user's key (as sc-keygen(1) shows).
bound_dom0() {
    dom0_sim "$@"
    user_key
    cat >> prelude.sh <<'EOF'
sc-relay --vmm-key --challenge 5 > vmm.pub || fail "sc-relay --vmm-key --challenge"
sc-keygen --seal vmm.pub --expect "$(live_fp)" --domain "$(live_uuid)" --challenge vmm.pub -o bind.req 2> /dev/null || fail "seal"
sc-relay --bind 5 < bind.req || fail "bind"
EOF
}
# For post.sh: a scripted login session on domain 5 through the dom0 relay
# (proof that the bind took effect); output in check.out, statuses in check.rc.
check_session() {
    cat >> post.sh <<'EOF'
printf 'root\ndemo\necho bound-$((6*7))\n' > check.in
timeout 30 bash -c 'sc-enc < check.in | sudo sc-relay 5 | sc-dec > check.out 2> check.err
    echo "${PIPESTATUS[*]}" > check.rc'
EOF
}
# An interactive example's checks: the session ran and ended cleanly.
assert_interactive_session() {
    [ "$(tail -1 st)" = "0 0 0" ]
    grep -q '^sc-dec: connected to domain 5 uuid [0-9a-f-]* instance' pane.txt
    grep -q 'typed-42' pane.txt
}

@test "the man pages have the examples this file runs, and sccrypt(7) has none" {
    for p in sc-keygen.1:3 sc-enc.1:2 sc-dec.1:4 sc-relay.8:5 sc-console.1:5 sc-vmmsim.1:2 sccrypt.7:0; do
        run -0 blocks "${p%:*}"
        echo "$p: $output"
        [ "$(printf '%s' "$output" | cut -f1 | sort -u | grep -c .)" = "${p#*:}" ]
    done
}

@test "sc-keygen(1) example 1, sc-keygen, makes a 0600 key and prints its fingerprint" {
    run_example sc-keygen.1 1
    [ "$(statuses)" = 0 ]
    fp=$(sc-keygen -l)
    [[ "$fp" =~ ^SHA256:[A-Za-z0-9+/]{43}$ ]]
    grep -qxF "$fp" pane.txt
    [ "$(stat -c %a "$XDG_CONFIG_HOME/sccrypt/key")" = 600 ]
}

@test "sc-keygen(1) example 2 checks the VMM key, pins it and binds domain 5 through ssh and sudo" {
    dom0_sim
    user_key
    check_session
    run_example sc-keygen.1 2
    all_succeeded
    [ "$(stat -c %s req)" = 100 ]
    fp=$(sed -n 's/.*VMM key fingerprint //p' dom0/sim.log)
    grep -q "^host $fp [0-9a-f]\{64\}$" "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    [ "$(cat check.rc)" = "0 0 0" ]
    grep -q 'bound-42' check.out
}

@test "sc-keygen(1) example 3 binds domain 5 with a request that accepts a host without an IOMMU" {
    dom0_sim
    user_key
    check_session
    run_example sc-keygen.1 3
    all_succeeded
    grep -q "least seal level sealed" pane.txt
    [ "$(cat check.rc)" = "0 0 0" ]
    grep -q 'bound-42' check.out
    grep -qx "sc-dec: seal level: console PV ring, memory sealed, DMA NOT confined (no strict IOMMU)" check.err
}

@test "sc-enc(1) example 1 runs an interactive console on domain 5 and ~. ends it cleanly" {
    bound_dom0
    run_example sc-enc.1 1
    assert_interactive_session
}

@test "sc-enc(1) example 2 runs a scripted command on a shell console and ends cleanly" {
    bound_dom0 --guest "'exec sh -i'"
    run_example sc-enc.1 2
    [ "$(statuses)" = "0 0 0 0" ]
    grep -qF "$(uname -a)" pane.txt
}

@test "sc-dec(1) example 1 runs an interactive console on domain 5 and ~. ends it cleanly" {
    bound_dom0
    run_example sc-dec.1 1
    assert_interactive_session
}

@test "sc-dec(1) example 2 keeps a scripted session's output in log and prints its end status 0" {
    bound_dom0
    printf 'root\ndemo\necho logged-$((6*7))\n' > commands
    run_example sc-dec.1 2
    [ "$(statuses)" = 0 ]
    grep -qx '0' pane.txt
    run ! grep -q 'connected' pane.txt
    grep -q 'logged-42' log
}

@test "sc-dec(1) example 3 accepts a host without an IOMMU and shows its seal level" {
    bound_dom0
    run_example sc-dec.1 3
    assert_interactive_session
    grep -q "^sc-dec: seal level: console PV ring, memory sealed, DMA NOT confined (no strict IOMMU)" pane.txt
}

@test "sc-dec(1) example 4 accepts a re-created guest's new instance with -A and remembers it" {
    bound_dom0
    # the last session reached another instance of the domain
    cat >> prelude.sh <<EOF
mkdir -p "$XDG_STATE_HOME/sccrypt"
echo "\$(sc-keygen -l) default $SIM_UUID 0123456789abcdef0123456789abcdef" > "$XDG_STATE_HOME/sccrypt/instances"
EOF
    run_example sc-dec.1 4
    assert_interactive_session
    grep -q "WARNING: YOUR KEY REACHED ANOTHER DOMAIN INSTANCE" pane.txt
    grep -q "accepted instance [0-9a-f]\{32\} (-A) and remembered it" pane.txt
    run ! grep -q 0123456789abcdef0123456789abcdef "$XDG_STATE_HOME/sccrypt/instances"
    grep -q " $SIM_UUID [0-9a-f]\{32\}\$" "$XDG_STATE_HOME/sccrypt/instances"
}

@test "sc-relay(8) example 1's sudoers lines pass visudo and name where make install puts sc-relay" {
    block sc-relay.8 1 > ex.block
    [ "$(sed -n 1p ex.block | cut -f2)" = "visudo -f /etc/sudoers.d/sccrypt" ]
    [ "$(cut -f1 ex.block | tr '\n' ' ')" = "root out " ]
    sed -n '2,$p' ex.block | cut -f2 > sudoers
    chmod 440 sudoers
    run -0 visudo -cf sudoers
    [ "$output" = "sudoers: parsed OK" ]
    path=$(awk '{ print $NF }' sudoers)
    run make -s -C "$REPO" install DESTDIR="$BATS_TEST_TMPDIR/stage"
    echo "$output"
    [ "$status" -eq 0 ]
    [ -x "$BATS_TEST_TMPDIR/stage$path" ]
    [ "$(basename "$path")" = sc-relay ]
}

@test "sc-relay(8) example 5's policy file passes --check-policy with the output the page shows" {
    block sc-relay.8 5 > ex.block
    [ "$(cut -f1 ex.block | tr '\n' ' ')" = "root root out out root out " ]
    [ "$(sed -n 2p ex.block | cut -f2)" = "cat > /etc/sccrypt/relay.conf" ]
    [ "$(sed -n 5p ex.block | cut -f2)" = "sc-relay --check-policy" ]
    mkdir -m 755 pol
    sed -n '3,4p' ex.block | cut -f2 > pol/relay.conf
    chmod 644 pol/relay.conf
    run -0 sc-relay --check-policy "$BATS_TEST_TMPDIR/pol/relay.conf"
    [ "$output" = "$(sed -n 6p ex.block | cut -f2 | sed "s|/etc/sccrypt/|$BATS_TEST_TMPDIR/pol/|")" ]
}

@test "sc-relay(8) example 2: xl's lines are well formed and the user's lines bind the domain xl unpauses" {
    dom0_sim
    user_key
    check_session
    run_example sc-relay.8 2
    # The operator's lines: xl(1) "create -p <ConfigFile>" and "unpause <Domain>".
    [ "$(grep -c '^root' ex.block)" = 2 ]
    grep -qx $'root\txl create -p [^ ]*' ex.block
    dom=$(sed -n 's/^root\txl unpause \([0-9]*\)$/\1/p' ex.block)
    grep -q "sc-relay --bind $dom <" ex.block
    all_succeeded
    [ "$(cat check.rc)" = "0 0 0" ]
    grep -q 'bound-42' check.out
}

@test "sc-relay(8) example 3 runs the user's interactive session" {
    bound_dom0
    run_example sc-relay.8 3
    assert_interactive_session
}

@test "sc-relay(8) example 4 runs a session against the simulator on one machine" {
    user_key
    run_example sc-relay.8 4
    all_succeeded
    assert_interactive_session
}

# sc-console's interactive session: as assert_interactive_session, one status.
assert_console_session() {
    [ "$(tail -1 st)" = 0 ]
    grep -q '^sc-dec: connected to domain 5 uuid [0-9a-f-]* instance' pane.txt
    grep -q 'typed-42' pane.txt
}

@test "sc-console(1) example 1 pins the VMM under the host's name, binds domain 5 and opens its console" {
    dom0_sim
    user_key
    run_example sc-console.1 1
    all_succeeded
    assert_console_session
    fp=$(sed -n 's/.*VMM key fingerprint //p' dom0/sim.log)
    grep -q "^xenhost $fp [0-9a-f]\\{64\\}$" "$XDG_CONFIG_HOME/sccrypt/known_vmms"
}

# For the prelude: domain 5 bound to the user's key, its VMM pinned as xenhost.
bound_xenhost() {
    dom0_sim "$@"
    user_key
    cat >> prelude.sh <<'EOF'
sc-relay --vmm-key --challenge 5 > vmm.pub || fail "sc-relay --vmm-key --challenge"
sc-keygen --seal vmm.pub --expect "$(live_fp)" --domain "$(live_uuid)" --name xenhost --challenge vmm.pub -o bind.req 2> /dev/null || fail "seal"
sc-relay --bind 5 < bind.req || fail "bind"
EOF
}

@test "sc-console(1) example 2 runs commands on the guest's shell and a script uses their output" {
    bound_xenhost --guest "'exec sh -i'"
    run_example sc-console.1 2
    all_succeeded
    grep -q 'load average' pane.txt
    grep -qx "xenhost 5 runs $(uname -r)" pane.txt
}

@test "sc-console(1) example 3 waits for the login prompt and ends there" {
    bound_xenhost
    run_example sc-console.1 3
    all_succeeded
    grep -q '^login: ' pane.txt
}

@test "sc-console(1) example 4 runs a command on a host without an IOMMU, accepting its seal level" {
    bound_xenhost --guest "'exec sh -i'"
    run_example sc-console.1 4
    all_succeeded
    grep -qx "$(uname -r)" pane.txt
    grep -q "^sc-dec: seal level: console PV ring, memory sealed, DMA NOT confined (no strict IOMMU)" pane.txt
}

@test "sc-console(1) example 5 opens the console with ssh's options passed through" {
    bound_xenhost
    run_example sc-console.1 5
    assert_console_session
}

@test "sc-vmmsim(1) example 1 starts the simulator, binds and runs a session, printing what it shows" {
    echo 'ls -d /tmp/sim /tmp/sim.sock > sim-paths' > post.sh
    run_example sc-vmmsim.1 1
    all_succeeded
    assert_interactive_session
    # Each line the example shows after a command is on the terminal: a UUID
    # placeholder ("0b1f...-...") stands for a UUID, other "..." for anything.
    grep $'^out\t' ex.block | cut -f2 | while IFS= read -r l; do
        re=$(printf '%s\n' "$l" | sed -e 's|[0-9a-f]*\.\.\.-\.\.\.|@UUID@|g' -e 's|[][\.*^$]|\\&|g' \
            -e 's|\\\.\\\.\\\.|.*|g' -e 's|@UUID@|[0-9a-f-]\\{36\\}|g')
        grep -q "^$re$" pane.txt || { echo "not shown: $l"; exit 1; }
    done
    [ "$(cat sim-paths)" = "$(printf '/tmp/sim\n/tmp/sim.sock')" ]
}

@test "sc-vmmsim(1) example 2 runs a raw echo guest in the foreground that returns bytes unchanged" {
    user_key
    cat > prelude.sh.hook <<'EOF'
foreground_hook() {
    sc-relay -b sim --vmm-key --challenge 7 > vmm7.pub
    sc-keygen --seal vmm7.pub --expect "$(live_fp)" --domain "$(live_uuid 7)" --challenge vmm7.pub -o req7 2> /dev/null
    sc-relay -b sim --bind 7 < req7
    head -c 3000 /dev/urandom > echo.in
    timeout 30 bash -c 'sc-enc -N < echo.in | sc-relay -b sim 7 | sc-dec -q > echo.out
        echo "${PIPESTATUS[*]}" > echo.rc'
}
EOF
    cat prelude.sh.hook >> prelude.sh
    run_example sc-vmmsim.1 2
    [ "$(statuses)" = 0 ]
    grep -q '^sc-vmmsim: domain 7 name echo uuid [0-9a-f-]* guest stty raw -echo; exec cat$' pane.txt
    [ "$(cat echo.rc)" = "0 0 0" ]
    cmp echo.in echo.out
}
