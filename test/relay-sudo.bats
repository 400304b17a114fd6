#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-relay's policy through real sudo (sc-relay(8), THE POLICY FILE): a test
# user runs `sudo -n sc-relay` under a sudoers drop-in, as an operator sets it
# up, and the policy file decides.
#
# Isolation: everything the test changes in /etc (the user, a group, the
# sudoers drop-in, /etc/sccrypt/relay.conf) is made in a copy of /etc that a
# private mount namespace (unshare -m) sees in place of /etc; a process in
# that namespace (NSPID) holds it, and the test's commands enter it with
# nsenter.  The machine's /etc is never touched, so concurrent runs and an
# operator's real policy are safe.  Teardown kills the user's processes and
# the namespace holder (by pid) and removes the directory.

bats_require_minimum_version 1.5.0

load sim_helpers
# shellcheck source=test/sshd.sh
. "$BATS_TEST_DIRNAME/sshd.sh"

setup_file() {
    [ "$(id -u)" = 0 ] || skip "needs root (useradd, sudoers, mount namespace)"
    command -v sudo > /dev/null || skip "sudo is not installed"
    command -v unshare > /dev/null || skip "unshare (util-linux) is not installed"
    D=$(mktemp -d /tmp/sccrypt-sudo.XXXXXX)
    chmod 755 "$D"
    copy_etc "$D/etc"
    mkdir -p -m 755 "$D/etc/sccrypt" "$D/sbin"
    install -m 755 "$BATS_TEST_DIRNAME/../bin/sc-relay" "$D/sbin/sc-relay"
    unshare -m --propagation private sh -c "mount --bind '$D/etc' /etc && exec sleep 100000" \
        > /dev/null 2>&1 3>&- &
    NSPID=$!
    for _ in $(seq 100); do
        nsenter -t "$NSPID" -m test -d /etc/sccrypt 2> /dev/null && break
        sleep 0.05
    done
    nsenter -t "$NSPID" -m test -d /etc/sccrypt
    TUSER="scpol$$"
    TGROUP="scpolg$$"
    nsenter -t "$NSPID" -m -- groupadd "$TGROUP"
    nsenter -t "$NSPID" -m -- useradd -M -d /nonexistent -s /bin/sh "$TUSER"
    TUID=$(nsenter -t "$NSPID" -m -- id -u "$TUSER")
    # The operator's drop-in: the user may run only sc-relay, as root, without a
    # password; this one also keeps SCCRYPT_* in the environment, to show the
    # relay refuses them itself.
    printf 'Defaults!%s env_keep += "SCCRYPT_RELAY SCCRYPT_SIM_SOCKET"\n%s ALL=(root) NOPASSWD: %s\n' \
        "$D/sbin/sc-relay" "$TUSER" "$D/sbin/sc-relay" > "$D/etc/sudoers.d/sccrypt-test"
    chmod 440 "$D/etc/sudoers.d/sccrypt-test"
    nsenter -t "$NSPID" -m -- visudo -cqf /etc/sudoers.d/sccrypt-test
    export D NSPID TUSER TGROUP TUID
}

teardown_file() {
    [ -n "${D:-}" ] || return 0
    if [ -n "${TUID:-}" ]; then
        for pid in $(ps -o pid= -U "$TUID" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    fi
    [ -n "${NSPID:-}" ] && kill "$NSPID" 2> /dev/null
    wait 2> /dev/null || true
    rm -rf "$D"
}

setup() {
    sim_setup
    unset SUDO_USER SUDO_UID SUDO_GID
    NS="nsenter -t $NSPID -m --"
    # The test user, through sudo, in the namespace.
    ASUSER="$NS runuser -u $TUSER --"
    SUDO_RELAY="$ASUSER sudo -n $D/sbin/sc-relay"
    export NS ASUSER SUDO_RELAY
    rm -f "$D/etc/sccrypt/relay.conf"
}

teardown() { sim_teardown; }

# policy LINE...: the policy file (backend sim, this test's socket, then the lines).
policy() {
    printf '%s\n' "backend sim" "socket $SOCK" "$@" > "$D/etc/sccrypt/relay.conf"
    chmod 644 "$D/etc/sccrypt/relay.conf"
}

# sudo_session DOMID [RELAY ARGS]: sc-enc < in | sudo sc-relay ... DOMID | sc-dec > out,
# statuses "enc relay dec" in rc.
sudo_session() {
    local dom=$1
    shift
    timeout 60 bash -c 'dom=$1; shift
        sc-enc $VMM_ARGS < in 2> enc.err | $SUDO_RELAY "$@" "$dom" 2> relay.err |
        sc-dec $VMM_ARGS > out 2> dec.err; echo "${PIPESTATUS[*]}" > rc' session "$dom" "$@"
}

two_domains() {
    start_sim --domain 5:web1:$SIM_UUID --guest 'exec cat' --domain 6:db1:$SIM_UUID2 --guest 'exec cat'
    printf 'hello-from-user\n' > in
}

@test "the test user may run sc-relay through sudo and nothing else" {
    run -0 $SUDO_RELAY --version
    [[ "$output" == "sc-relay "* ]]
    run ! $ASUSER sudo -n /bin/cat /etc/shadow
}

@test "without a policy file only root may act: a user through sudo gets exit 5 and how to grant access" {
    start_sim --domain 5:web1:$SIM_UUID
    run -5 --separate-stderr $SUDO_RELAY --vmm-key
    [ "$stderr" = "sc-relay: only root may use sc-relay: there is no policy file /etc/sccrypt/relay.conf; to let $TUSER attach to a domain, root adds a line such as 'allow user:$TUSER attach name:DOMAIN' to it (see sc-relay(8))" ]
    [ -z "$output" ]
    # root itself is not limited
    run -0 $NS $RELAY --vmm-key
}

@test "a user through sudo attaches to a domain the policy names and is refused one it does not" {
    two_domains
    bind_dom 5 $SIM_UUID
    policy "allow user:$TUSER attach name:web1"
    sudo_session 5
    [ "$(cat rc)" = "0 0 0" ]
    grep -q hello-from-user out
    bind_dom 6 $SIM_UUID2 "$BATS_TEST_TMPDIR/key6"
    SCCRYPT_KEY="$BATS_TEST_TMPDIR/key6" sudo_session 6
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    [ "$(cat relay.err)" = "sc-relay: $TUSER may not attach to domain 6 (name db1, UUID $SIM_UUID2): no rule in /etc/sccrypt/relay.conf allows it; ask root to add a line such as 'allow user:$TUSER attach name:db1' (see sc-relay(8))" ]
    [ ! -s out ]
}

@test "the policy matches domains by UUID, in any case, and users through their groups" {
    two_domains
    bind_dom 5 $SIM_UUID
    policy "allow user:$TUSER attach uuid:${SIM_UUID^^}"
    sudo_session 5
    [ "$(cat rc)" = "0 0 0" ]
    policy "allow group:$TGROUP attach *"
    sudo_session 5
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    $NS usermod -aG "$TGROUP" "$TUSER"
    sudo_session 5
    $NS gpasswd -d "$TUSER" "$TGROUP" > /dev/null
    [ "$(cat rc)" = "0 0 0" ]
    grep -q hello-from-user out
}

@test "bind and takeover each need their own action in the policy" {
    two_domains
    sc-keygen > /dev/null 2>&1
    $RELAY --vmm-key --challenge 5 > vmm.pub
    sc-keygen --seal vmm.pub --expect "$(sim_fingerprint)" --domain "$SIM_UUID" --challenge vmm.pub -o req 2> /dev/null
    policy "allow user:$TUSER attach name:web1"
    run -5 --separate-stderr $SUDO_RELAY --bind 5 < req
    [[ "$stderr" == "sc-relay: $TUSER may not bind domain 5 (name web1, UUID $SIM_UUID): "* ]]
    policy "allow user:$TUSER attach,bind name:web1"
    run -0 --separate-stderr $SUDO_RELAY --bind 5 < req
    [ "$stderr" = "sc-relay: domain 5: console bound" ]
    sudo_session 5 --takeover
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    [[ "$(cat relay.err)" == "sc-relay: $TUSER may not take over domain 5 (name web1, "* ]]
    policy "allow user:$TUSER takeover name:web1"
    sudo_session 5 --takeover
    [ "$(cat rc)" = "0 0 0" ]
}

@test "through sudo a --socket the policy does not name is refused before anything is opened" {
    two_domains
    bind_dom 5 $SIM_UUID
    policy "allow user:$TUSER all *"
    # The probe of the issue: root must not open a file the caller names.
    run -5 --separate-stderr $SUDO_RELAY -b sim --socket /etc/passwd 5 < /dev/null
    [ "$stderr" = "sc-relay: the policy (/etc/sccrypt/relay.conf) lets callers through sudo use only the simulator socket $SOCK; leave out --socket and SCCRYPT_SIM_SOCKET" ]
    # Another simulator, with the same key bound: the session would work without the policy.
    start_sim -n 2 --domain 5:web1:$SIM_UUID --guest 'exec cat'
    SOCK2="$BATS_TEST_TMPDIR/sim2.sock"
    sc-relay -b sim --socket "$SOCK2" --vmm-key --challenge 5 > vmm2.pub
    sc-keygen --name sim2 --seal vmm2.pub --expect "$(sim_fingerprint 2)" --domain "$SIM_UUID" --challenge vmm2.pub -o req2 2> /dev/null
    sc-relay -b sim --socket "$SOCK2" --bind 5 < req2 2> /dev/null
    VMM_ARGS="-V sim2" sudo_session 5 --socket "$SOCK2"
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    [ ! -s out ]
    [ "$(cat relay.err)" = "sc-relay: the policy (/etc/sccrypt/relay.conf) lets callers through sudo use only the simulator socket $SOCK; leave out --socket and SCCRYPT_SIM_SOCKET" ]
    # the socket the policy names, given explicitly, is fine
    sudo_session 5 --socket "$SOCK"
    [ "$(cat rc)" = "0 0 0" ]
}

@test "through sudo a backend or environment the policy does not allow is refused" {
    two_domains
    policy "allow user:$TUSER all *"
    run -5 --separate-stderr $SUDO_RELAY -b xen --vmm-key
    [ "$stderr" = "sc-relay: the policy (/etc/sccrypt/relay.conf) lets callers through sudo use only the sim backend; leave out -b and SCCRYPT_RELAY" ]
    run -5 --separate-stderr $NS runuser -u "$TUSER" -- env SCCRYPT_RELAY=xen sudo -n "$D/sbin/sc-relay" --vmm-key
    [[ "$stderr" == *"use only the sim backend; leave out -b and SCCRYPT_RELAY" ]]
    run -5 --separate-stderr $NS runuser -u "$TUSER" -- env SCCRYPT_SIM_SOCKET=/etc/shadow sudo -n "$D/sbin/sc-relay" --vmm-key
    [[ "$stderr" == *"use only the simulator socket $SOCK; leave out --socket and SCCRYPT_SIM_SOCKET" ]]
    run -0 $SUDO_RELAY --vmm-key
    [[ "$output" =~ ^sccrypt-vmm-v1\ [0-9a-f]{64}$ ]]
}

@test "through sudo a policy file others may write, or one that is not root's, is refused" {
    two_domains
    policy "allow user:$TUSER all *"
    chmod 666 "$D/etc/sccrypt/relay.conf"
    run -2 --separate-stderr $SUDO_RELAY --vmm-key
    [ "$stderr" = "sc-relay: /etc/sccrypt/relay.conf: must be owned by root and writable by nobody else (chown root /etc/sccrypt/relay.conf; chmod go-w /etc/sccrypt/relay.conf); only root may use sc-relay until root fixes it (sc-relay --check-policy)" ]
    chmod 644 "$D/etc/sccrypt/relay.conf"
    chown "$TUID" "$D/etc/sccrypt/relay.conf"
    run -2 --separate-stderr $SUDO_RELAY --vmm-key
    [[ "$stderr" == *"must be owned by root and writable by nobody else"* ]]
    chown root "$D/etc/sccrypt/relay.conf"
    run -0 $SUDO_RELAY --vmm-key
}

@test "every refusal goes to syslog (authpriv) naming the user, the action, the domain and why" {
    two_domains
    policy "allow user:$TUSER attach name:web1"
    run -5 --separate-stderr $SUDO_RELAY -v --bind 6 < /dev/null
    [[ "$stderr" == *"sc-relay["*"]: policy refused: user=$TUSER uid=$TUID action=bind domain=6 name=db1 uuid=$SIM_UUID2 reason=no rule"* ]]
    run -5 --separate-stderr $SUDO_RELAY -v --socket /etc/passwd 5
    [[ "$stderr" == *"]: policy refused: user=$TUSER uid=$TUID action=any reason=socket not allowed"* ]]
    run -3 --separate-stderr $SUDO_RELAY -v 9 < /dev/null
    [[ "$stderr" == *"]: policy refused: user=$TUSER uid=$TUID action=attach domain=9 reason=no such domain"* ]]
    rm "$D/etc/sccrypt/relay.conf"
    run -5 --separate-stderr $SUDO_RELAY -v 5 < /dev/null
    [[ "$stderr" == *"]: policy refused: user=$TUSER uid=$TUID action=any reason=no policy file"* ]]
}

@test "through sudo --check-policy checks only the policy file, never a file the caller names" {
    policy "allow user:$TUSER all *"
    run -5 --separate-stderr $SUDO_RELAY --check-policy /etc/shadow
    [ "$stderr" = "sc-relay: through sudo, --check-policy checks only /etc/sccrypt/relay.conf" ]
    run -0 $SUDO_RELAY --check-policy
    [ "$output" = "/etc/sccrypt/relay.conf: 1 rule, backend sim, socket $SOCK" ]
}

@test "root started by pkexec or doas on a user's behalf is limited as that user; forged or inconsistent ids are refused" {
    two_domains
    policy "allow user:$TUSER attach name:db1"
    run -5 --separate-stderr $NS env PKEXEC_UID="$TUID" "$D/sbin/sc-relay" 5 < /dev/null
    [[ "$stderr" == "sc-relay: $TUSER may not attach to domain 5 (name web1, "* ]]
    run -5 --separate-stderr $NS env DOAS_USER="$TUSER" "$D/sbin/sc-relay" 5 < /dev/null
    [[ "$stderr" == "sc-relay: $TUSER may not attach to domain 5 (name web1, "* ]]
    hint="refusing (run sc-relay through sudo, or as root with SUDO_UID, SUDO_USER, SUDO_GID, PKEXEC_UID and DOAS_USER unset)"
    run -5 --separate-stderr $NS env SUDO_UID="$TUID" SUDO_USER=root SUDO_GID=0 "$D/sbin/sc-relay" --vmm-key
    [ "$stderr" = "sc-relay: SUDO_USER and SUDO_UID name different users; $hint" ]
    run -5 --separate-stderr $NS env SUDO_UID=12x SUDO_USER=root SUDO_GID=0 "$D/sbin/sc-relay" --vmm-key
    [ "$stderr" = "sc-relay: SUDO_UID is not a user id; $hint" ]
    run -5 --separate-stderr $NS env DOAS_USER=no-such-user-xyz "$D/sbin/sc-relay" --vmm-key
    [ "$stderr" = "sc-relay: DOAS_USER names no user; $hint" ]
    # root itself, and root through sudo, are not limited
    run -0 $NS env SUDO_UID=0 SUDO_USER=root SUDO_GID=0 "$D/sbin/sc-relay" -b sim --socket "$SOCK" --vmm-key
    run -0 $NS "$D/sbin/sc-relay" -b sim --socket "$SOCK" --vmm-key
}

@test "the gate refuses a caller it cannot attribute: empty, partial, malformed or disagreeing ids never make root" {
    two_domains
    policy "allow user:$TUSER attach name:db1"
    hint="; refusing (run sc-relay through sudo, or as root with SUDO_UID, SUDO_USER, SUDO_GID, PKEXEC_UID and DOAS_USER unset)"
    rel="$D/sbin/sc-relay -b sim --socket $SOCK --vmm-key"
    # Each of these was taken for root (unlimited) or for another user before.
    run -5 --separate-stderr $NS env SUDO_UID= PKEXEC_UID="$TUID" $rel
    [ "$stderr" = "sc-relay: SUDO_UID, SUDO_USER and SUDO_GID must be set together, as sudo sets them$hint" ]
    run -5 --separate-stderr $NS env SUDO_UID= SUDO_USER="$TUSER" SUDO_GID="$TUID" $rel
    [ "$stderr" = "sc-relay: SUDO_UID is not a user id$hint" ]
    run -5 --separate-stderr $NS env SUDO_USER="$TUSER" $rel
    [ "$stderr" = "sc-relay: SUDO_UID, SUDO_USER and SUDO_GID must be set together, as sudo sets them$hint" ]
    run -5 --separate-stderr $NS env SUDO_UID="$TUID" SUDO_USER= SUDO_GID="$TUID" $rel
    [ "$stderr" = "sc-relay: SUDO_USER and SUDO_UID name different users$hint" ]
    run -5 --separate-stderr $NS env SUDO_UID="$TUID" SUDO_USER="$TUSER" SUDO_GID=x $rel
    [ "$stderr" = "sc-relay: SUDO_GID is not a group id$hint" ]
    run -5 --separate-stderr $NS env SUDO_UID=+0 SUDO_USER=root SUDO_GID=0 $rel
    [ "$stderr" = "sc-relay: SUDO_UID is not a user id$hint" ]
    run -5 --separate-stderr $NS env PKEXEC_UID= $rel
    [ "$stderr" = "sc-relay: PKEXEC_UID is not a user id$hint" ]
    run -5 --separate-stderr $NS env DOAS_USER= $rel
    [ "$stderr" = "sc-relay: DOAS_USER names no user$hint" ]
    run -5 --separate-stderr $NS env SUDO_UID=0 SUDO_USER=root SUDO_GID=0 PKEXEC_UID="$TUID" $rel
    [ "$stderr" = "sc-relay: PKEXEC_UID and SUDO_UID name different users$hint" ]
    run -5 --separate-stderr $NS env PKEXEC_UID="$TUID" DOAS_USER=root $rel
    [ "$stderr" = "sc-relay: DOAS_USER and the other caller ids name different users$hint" ]
    # every refusal is logged
    run -5 --separate-stderr $NS env SUDO_UID= $D/sbin/sc-relay -v -b sim --socket $SOCK --vmm-key
    [[ "$stderr" == *"]: policy refused: caller unknown: SUDO_UID, SUDO_USER and SUDO_GID must be set together"* ]]
}

@test "a sudoers rule with SETENV cannot turn the caller into unrestricted root with an empty SUDO_UID" {
    two_domains
    bind_dom 6 $SIM_UUID2
    policy "allow user:$TUSER attach name:web1"
    # The operator's mistake sc-relay(8) warns against: SETENV on the relay.
    install -m 755 "$D/sbin/sc-relay" "$D/sbin/sc-relay-setenv"
    printf '%s ALL=(root) NOPASSWD:SETENV: %s\n' "$TUSER" "$D/sbin/sc-relay-setenv" \
        > "$D/etc/sudoers.d/sccrypt-setenv"
    chmod 440 "$D/etc/sudoers.d/sccrypt-setenv"
    $NS visudo -cqf /etc/sudoers.d/sccrypt-setenv
    # The attack: another user's domain (6, db1), which the policy does not give this
    # user, through a simulator socket of the caller's choosing, as root may.
    run -5 --separate-stderr $ASUSER sudo -n SUDO_UID= "$D/sbin/sc-relay-setenv" -b sim --socket "$SOCK" --vmm-key
    [[ "$stderr" == "sc-relay: SUDO_UID is not a user id; refusing "* ]]
    [ -z "$output" ]
    SUDO_RELAY="$ASUSER sudo -n SUDO_UID= $D/sbin/sc-relay-setenv -b sim --socket $SOCK" sudo_session 6
    rm -f "$D/etc/sudoers.d/sccrypt-setenv"
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    # what the attacker got: nothing of db1's console
    [ ! -s out ]
    [[ "$(cat relay.err)" == "sc-relay: SUDO_UID is not a user id; refusing "* ]]
}

@test "a domain name longer than a rule can spell is never matched by its first 63 bytes" {
    long=$(printf 'web1%.0s' $(seq 17))x    # 69 bytes
    start_sim --domain "5:$long:$SIM_UUID" --guest 'exec cat'
    printf 'hello-from-user\n' > in
    bind_dom 5 $SIM_UUID
    policy "allow user:$TUSER attach name:${long:0:63}"
    sudo_session 5
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    [ ! -s out ]
    [[ "$(cat relay.err)" == "sc-relay: $TUSER may not attach to domain 5 (name ${long:0:62}?, UUID $SIM_UUID): no rule"* ]]
    # its UUID still names it
    policy "allow user:$TUSER attach uuid:$SIM_UUID"
    sudo_session 5
    [ "$(cat rc)" = "0 0 0" ]
}

@test "through sudo a domain named by name or UUID is found first, then the policy's rules apply to it" {
    two_domains
    bind_dom 5 $SIM_UUID
    bind_dom 6 $SIM_UUID2 "$BATS_TEST_TMPDIR/key6"
    policy "allow user:$TUSER attach name:web1"
    sudo_session web1
    [ "$(cat rc)" = "0 0 0" ]
    grep -q hello-from-user out
    sudo_session "$SIM_UUID"
    [ "$(cat rc)" = "0 0 0" ]
    SCCRYPT_KEY="$BATS_TEST_TMPDIR/key6" sudo_session db1
    [ "$(cut -d' ' -f2 rc)" = 5 ]
    [ "$(cat relay.err)" = "sc-relay: $TUSER may not attach to domain 6 (name db1, UUID $SIM_UUID2): no rule in /etc/sccrypt/relay.conf allows it; ask root to add a line such as 'allow user:$TUSER attach name:db1' (see sc-relay(8))" ]
    [ ! -s out ]
    run -3 --separate-stderr $SUDO_RELAY nosuch < /dev/null
    [ "$stderr" = "sc-relay: nosuch: no such domain" ]
}
