#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-console through a real sshd and sudo (test/ssh_helpers.bash): one
# command, one key, the VMM pinned for the host, ssh's options passed through.

bats_require_minimum_version 1.5.0

load sim_helpers
load ssh_helpers

setup() {
    sim_setup
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat' \
        --domain 7:sh1:$SIM_UUID3 --guest 'exec sh -i'
    ssh_fixture_setup "allow user:sccon$$ attach,takeover name:web1" "allow user:sccon$$ attach name:sh1"
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key > vmm.pub
    printf 'typed-through-ssh\n' > in
}

teardown() {
    ssh_fixture_teardown
    sim_teardown
}

SIM_UUID3=5a5a5a5a-1111-4222-8333-666666666666

# pin_and_bind HOST [DOMID UUID]: seals the key to the simulator for domain 5 (or DOMID),
# pinned under HOST, and binds.
pin_and_bind() {
    $RELAY --challenge "${2:-5}" > chal
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain "${3:-$SIM_UUID}" \
        --name "$1" --challenge chal -o req 2> /dev/null
    $RELAY --bind "${2:-5}" < req 2> /dev/null
}

@test "sc-console -h prints usage and --version its version" {
    run -0 sc-console -h
    [[ "$output" == "usage: sc-console "* ]]
    run -0 sc-console --version
    [[ "$output" =~ ^sc-console\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-console HOST DOMID runs the whole session through ssh and sudo with the VMM pinned for HOST" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    [[ "$stderr" == *"sc-dec: connected to domain 5 uuid $SIM_UUID instance "* ]]
}

@test "sc-console passes ssh's options through, grouped and attached ones too" {
    pin_and_bind 127.0.0.1
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" -qp"$PORT" \
        -i "$D/client_key" -oBatchMode=yes -o StrictHostKeyChecking=no \
        -o "UserKnownHostsFile=$D/known_hosts" "$TUSER@127.0.0.1" 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    # without the port ssh reaches no sshd: the options are what made it work
    run -2 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" -q -i "$D/client_key" \
        -oBatchMode=yes -o ConnectTimeout=5 "$TUSER@127.0.0.1" 5 < in
    [[ "$stderr" == *"sc-console: ssh to $TUSER@127.0.0.1 failed (exit 255)"* ]]
}

@test "sc-console picks the VMM pinned for each host, so one host's key never goes to another's VMM" {
    pin_and_bind 127.0.0.1
    # localhost reaches the same sshd, but its pin is another VMM's key
    start_sim -n 2
    sc-relay -b sim --socket "$BATS_TEST_TMPDIR/sim2.sock" --vmm-key --challenge 5 > vmm2.pub
    sc-keygen --seal vmm2.pub --expect "$(sim_fingerprint 2)" --domain "$SIM_UUID" \
        --name localhost --challenge vmm2.pub -o req2 2> /dev/null
    # shellcheck disable=SC2086
    run -3 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS localhost 5 < in
    [[ "$output" != *typed-through-ssh* ]]
    [[ "$stderr" == *"sc-relay: domain 5: the VMM refused the session: "* ]]
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS --vmm 127.0.0.1 localhost 5 < in
    [[ "$output" == *typed-through-ssh* ]]
}

@test "sc-console exits 2 and says how to pin when no VMM is pinned for the host" {
    pin_and_bind somewhere-else
    # shellcheck disable=SC2086
    run -2 --separate-stderr sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [ "$stderr" = "sc-console: no VMM key pinned for host 127.0.0.1 in $XDG_CONFIG_HOME/sccrypt/known_vmms: bind with sc-console --bind --expect SHA256:... 127.0.0.1 GUEST, or pin it alone (ssh 127.0.0.1 sudo sc-relay --vmm-key | sc-keygen --pin - --expect SHA256:... --name 127.0.0.1), or name a pinned VMM with --vmm NAME" ]
}

@test "sc-console exits with the relay's 5 when the policy does not let the user attach" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -5 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 6 < in
    [[ "$stderr" == *"sc-relay: $TUSER may not attach to domain 6 (name db1, UUID $SIM_UUID2): "* ]]
    # sc-dec names the relay's policy, not the VMM (regression: "the VMM refused it (exit 5")
    [[ "$stderr" == *"sc-dec: no session: the relay says its policy does not allow it (exit 5; its message says why)"* ]]
    [ -z "$output" ]
}

@test "sc-console --takeover takes over a held console" {
    pin_and_bind 127.0.0.1
    mkfifo hold
    # shellcheck disable=SC2086
    { r=0; timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < hold > first.out 2> first.err || r=$?; echo $r > first.rc; } &
    first=$!
    exec 5> hold
    wait_for first.err 'sc-dec: connected'
    # shellcheck disable=SC2086
    run -6 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$stderr" == *"another session holds the domain's console (--takeover takes it over)"* ]]
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --takeover --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    exec 5>&-
    wait "$first"
    [ "$(cat first.rc)" = 6 ]
    grep -q 'sc-dec: the VMM ended the session: another session took the console over' first.err
}

@test "sc-console refuses another domain instance than last time (8), --accept-instance accepts it once" {
    pin_and_bind 127.0.0.1
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    # the domain as another instance would present it: the remembered one differs
    f="$XDG_STATE_HOME/sccrypt/instances"
    sed -i 's/ [0-9a-f]\{32\}$/ 0123456789abcdef0123456789abcdef/' "$f"
    # shellcheck disable=SC2086
    run -8 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" != *typed-through-ssh* ]]
    [[ "$stderr" == *"WARNING: YOUR KEY REACHED ANOTHER DOMAIN INSTANCE"* ]]
    grep -q ' 0123456789abcdef0123456789abcdef$' "$f"
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --accept-instance --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    run ! grep -q ' 0123456789abcdef0123456789abcdef$' "$f"
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 5 < in
    [[ "$output" == *typed-through-ssh* ]]
    [[ "$stderr" != *WARNING* ]]
}

@test "sc-console refuses a guest that is not an id, name or UUID, a host that looks like an option, and ssh options that break the session" {
    run -2 --separate-stderr sc-console host '5;id'
    [ "$stderr" = "sc-console: 5;id: not a domain id, name or UUID" ]
    # options come after the host too (as ssh takes them): -5 is one; after -- a guest
    run -2 --separate-stderr sc-console host '-5'
    [ "$stderr" = "sc-console: unknown option -5 (sc-console -h)" ]
    run -2 --separate-stderr sc-console host -- '-5'
    [ "$stderr" = "sc-console: -5: not a domain id, name or UUID" ]
    run -2 --separate-stderr sc-console -- -oProxyCommand=x 5
    [ "$stderr" = "sc-console: -oProxyCommand=x: not a host name" ]
    for o in -t -N -f -n -tt -vN "-W h:1" "-O exit"; do
        # shellcheck disable=SC2086
        run -2 --separate-stderr sc-console $o host 5
        [[ "$stderr" == "sc-console: ssh option -"?" does not fit a console session"* ]]
    done
    run -2 --separate-stderr sc-console -p
    [ "$stderr" = "sc-console: ssh option -p needs an argument" ]
    run -2 --separate-stderr sc-console --frobnicate host 5
    [ "$stderr" = "sc-console: unknown option --frobnicate (sc-console -h)" ]
}

@test "sc-console checks its own arguments (key, VMM, escape) before ssh runs" {
    pin_and_bind 127.0.0.1
    mkdir fakebin
    printf '#!/bin/sh\n: > %s/ssh.ran\nexit 255\n' "$PWD" > fakebin/ssh
    chmod 755 fakebin/ssh
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console --key "$PWD/no-key" 127.0.0.1 5
    [ "$stderr" = "sc-console: $PWD/no-key: cannot read the console key (make one with sc-keygen, or name it with --key FILE)" ]
    printf 'not a key\n' > bad-key
    chmod 600 bad-key
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console --key "$PWD/bad-key" 127.0.0.1 5
    [ "$stderr" = "sc-console: $PWD/bad-key: not an sccrypt key file (expected a line \"sccrypt-key-v1 <64 hex>\")" ]
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console --vmm elsewhere 127.0.0.1 5
    [ "$stderr" = "sc-console: --vmm elsewhere: no VMM of that name in $XDG_CONFIG_HOME/sccrypt/known_vmms (sc-keygen --seal ... --name elsewhere pins one)" ]
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console --escape ab 127.0.0.1 5
    [ "$stderr" = "sc-console: --escape ab: one character, ^X for a control key, or none" ]
    [ ! -e ssh.ran ]
    # with them right, ssh runs
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console --escape '^]' 127.0.0.1 5 < in
    [ -e ssh.ran ]
}

@test "sc-console HOST DOMID -- COMMAND prints the command's output, not its echo, and exits with its status" {
    pin_and_bind 127.0.0.1 7 "$SIM_UUID3"
    # shellcheck disable=SC2086
    run -3 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 -- \
        'sleep 3; echo DONE; exit 3'
    [ "$output" = DONE ]
    # no CRs, output without a newline at its end kept as it is, words joined as ssh joins them
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console -q --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 \
        printf "'%s|'" a 'b c'
    [ "$output" = "a|b|c|" ]
    [ -z "$stderr" ]
    # shellcheck disable=SC2086
    run -127 --separate-stderr timeout 60 sc-console -q --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 \
        -- 'no-such-command-here'
    [[ "$output" == *"no-such-command-here: not found"* ]]
}

@test "a script piping a command into sc-console loses what comes after the quiet time; -- COMMAND waits for it" {
    pin_and_bind 127.0.0.1 7 "$SIM_UUID3"
    # the quiet time (1 s) is the only end a piped script has: DONE comes after it
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 \
        < <(printf 'sleep 3; echo DONE\n')
    [[ "$output" == *"echo DONE"* ]]
    [[ "$output" != *$'\n'DONE* ]]
    # the next session begins with it (the backlog)
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 -- true
    sleep 3
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 -- \
        'sleep 3; echo DONE'
    [ "$output" = DONE ]
}

@test "sc-console --timeout ends a command that has not ended with 9, and the guest gets ^C" {
    pin_and_bind 127.0.0.1 7 "$SIM_UUID3"
    # shellcheck disable=SC2086
    run -9 --separate-stderr timeout 60 sc-console -q --timeout 2 --relay "$SUDO_RELAY" $SSH_OPTS \
        127.0.0.1 7 -- 'sleep 50; echo LATE'
    [[ "$output" != *LATE* ]]
    [[ "$stderr" == *"sc-console: timed out after 2 s: the command had not ended (is the guest at a shell prompt?)" ]]
    # the sleep was interrupted: the next command runs at once
    SECONDS=0
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console -q --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 -- \
        'echo NEXT'
    [ "$output" = NEXT ]
    [ "$SECONDS" -lt 20 ]
}

@test "sc-console --until REGEX sends stdin, prints the output up to the match and exits 0; 9 without a match" {
    pin_and_bind 127.0.0.1 7 "$SIM_UUID3"
    # the echo of the typed line ("AB""CD") does not match; the guest's answer does
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console -q --until 'AB[C]D' --relay "$SUDO_RELAY" \
        $SSH_OPTS 127.0.0.1 7 < <(printf 'echo x; echo "AB""CD"; echo AFTER\n')
    [[ "$output" == *'echo "AB""CD"; echo AFTER'*ABCD ]]
    # shellcheck disable=SC2086
    run -9 --separate-stderr timeout 60 sc-console -q --timeout 3 --until 'NEVER[S]EEN' \
        --relay "$SUDO_RELAY" $SSH_OPTS 127.0.0.1 7 < <(printf 'echo nothing\n')
    [[ "$stderr" == *"sc-console: timed out after 3 s: the guest's output had not matched --until" ]]
    [[ "$output" == *nothing* ]]
}

@test "sc-console takes options after the host and keeps its own (-w, -q, --until, --timeout) from ssh" {
    pin_and_bind 127.0.0.1 7 "$SIM_UUID3"
    # options after HOST and after DOMID, as ssh takes them
    # shellcheck disable=SC2086
    run -0 --separate-stderr timeout 60 sc-console --relay "$SUDO_RELAY" 127.0.0.1 $SSH_OPTS 7 -w 300 \
        -q -- 'echo OK'
    [ "$output" = OK ]
    [ -z "$stderr" ]
    # ssh's command line: a stand-in ssh writes it down
    mkdir fakebin
    printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/ssh.args\nexit 255\n' "$PWD" > fakebin/ssh
    chmod 755 fakebin/ssh
    PATH="$PWD/fakebin:$PATH" run -2 --separate-stderr sc-console -qw 5000 --timeout 9 --until x \
        127.0.0.1 7 -p 22 -vq
    [ "$(cat ssh.args)" = "$(printf '%s\n' -T -p 22 -v -- 127.0.0.1 'sudo sc-relay 7')" ]
    [[ "$stderr" == *"sc-console: ssh to 127.0.0.1 failed (exit 255)"* ]]
}

@test "sc-console exits with sc-dec's 1, not the relay's status, when dom0 tampers with the output" {
    pin_and_bind 127.0.0.1
    install -m 755 "$BATS_TEST_DIRNAME/../bin/test/tamper" "$D/prefix/sbin/tamper"
    printf '#!/bin/sh\n%s "$@" | %s flip 1\nexit 4\n' "$SUDO_RELAY" "$D/prefix/sbin/tamper" \
        > "$D/prefix/sbin/tampering-relay"
    chmod 755 "$D/prefix/sbin/tampering-relay"
    # shellcheck disable=SC2086
    run -1 --separate-stderr timeout 60 sc-console --relay "$D/prefix/sbin/tampering-relay" \
        $SSH_OPTS 127.0.0.1 5 < in
    [[ "$stderr" == *"sc-dec: record 1 failed authentication: the stream was modified, replayed or reordered; session ended"* ]]
    [[ "$output" != *typed-through-ssh* ]]
}
