#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole SCCrypt pipeline on this machine, against the VMM
# simulator.  Starts sc-vmmsim, makes a console key, binds it, runs a
# scripted login session through sc-enc | sc-relay | sc-dec, shows what dom0
# carried next to what the user saw, and proves the password stayed on the
# user's side; then does the same, shorter, with an HVM guest's console (a
# 16550A UART at COM1, every byte through the register model).  On a
# terminal it then opens an interactive session (~. ends it).  Everything lives in a temporary directory that goes away at the end.
#
# The guest is a real shell on this machine: run as root, the demo has the
# simulator run it as an unprivileged user (SCCRYPT_DEMO_GUEST_USER, default
# nobody), so what is typed into it cannot touch the host.  SCCRYPT_DEMO_BIN
# runs installed tools (a directory holding sc-keygen ... sc-vmmsim, sc-relay)
# instead of the tree's bin/.
set -eu

cd "$(dirname "$0")/.."
ROOT=$PWD
PATH="${SCCRYPT_DEMO_BIN:-$ROOT/bin}:$PATH"
export PATH
GUEST_AS=""
GUEST_USER=$(id -un)
if [ "$(id -u)" = 0 ]; then
    GUEST_USER=${SCCRYPT_DEMO_GUEST_USER:-nobody}
    GUEST_AS="--guest-user $GUEST_USER"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/sccrypt-demo.XXXXXX")
SIMPID=""
cleanup() {
    if [ -n "$SIMPID" ]; then
        kill "$SIMPID" 2> /dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The user's side: a fresh key in the temporary directory, not in ~/.config.
export HOME="$T/user"
export XDG_CONFIG_HOME="$T/user/config"
export XDG_RUNTIME_DIR="$T/user/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset SCCRYPT_KEY SCCRYPT_VMM SCCRYPT_RELAY

SOCK="$T/sim.sock"
UUID=$(cat /proc/sys/kernel/random/uuid)
UUID6=$(cat /proc/sys/kernel/random/uuid)
PW="demo-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')"
RELAY="sc-relay -b sim --socket $SOCK"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. The hypervisor (here: sc-vmmsim) starts and prints its key's fingerprint on its own console"
# shellcheck disable=SC2086  # GUEST_AS is two words or none
sc-vmmsim -d "$T/state" -s "$SOCK" --pid-file "$T/sim.pid" $GUEST_AS \
    --domain "5:demo:$UUID" --guest-password "$PW" \
    --domain "6:hvm:$UUID6" --uart --guest-password "$PW" 2> "$T/sim.log"
SIMPID=$(cat "$T/sim.pid")
sed 's/^/   /' "$T/sim.log"
FP=$(sed -n 's/^sc-vmmsim: VMM key fingerprint //p' "$T/sim.log")

say "2. The user makes a console key (in $XDG_CONFIG_HOME)"
sc-keygen 2>&1 | sed 's/^/   /'

say "3. dom0 hands over the VMM's public key and domain 5's bind challenge; the user checks
   the key against the fingerprint"
$RELAY --vmm-key --challenge 5 > "$T/vmm.pub"
echo "   \$ sc-relay --vmm-key --challenge 5"
sed 's/^/   /' "$T/vmm.pub"
echo "   fingerprint from the hypervisor's console: $FP"

say "4. The user seals the key to that VMM key for domain $UUID; dom0 binds it.
   The simulator is a user-space process: it can claim no seal (sccrypt(7) LEVELS),
   so the user accepts the weakest level explicitly (--require none)"
sc-keygen --seal "$T/vmm.pub" --expect "$FP" --domain "$UUID" --challenge "$T/vmm.pub" \
    --require none -o "$T/req" 2>&1 | sed 's/^/   /'
$RELAY --bind 5 < "$T/req" 2>&1 | sed 's/^/   /'

say "5. A scripted session: sc-enc | sc-relay 5 | sc-dec (the guest's root password is $PW;
   its shell runs as $GUEST_USER on this machine)"
# What the user types, paced like a person so the guest echoes each line.
printf 'root\n%s\nuname -a\nid\necho "the answer is $((6*7))"\n' "$PW" > "$T/user-typed"
export T RELAY PW
timeout 60 sh -c '
    { printf "root\n"; sleep 0.5; printf "%s\n" "$PW"; sleep 0.5
      printf "uname -a\n"; sleep 0.3; printf "id\n"; sleep 0.3
      printf "echo \"the answer is \$((6*7))\"\n"
      # The guest prints its next prompt after this session (quiet for 1 s)
      # has ended: it waits in the backlog, and step 7 opens with it.
      sleep 0.3; printf "sleep 2\n"; } |
    sc-enc -N | tee "$T/dom0-in" | $RELAY 5 | tee "$T/dom0-out" | sc-dec --require none > "$T/user-saw"
' 2> "$T/session.err" || {
    echo "sccrypt demo: the session failed:" >&2
    cat "$T/session.err" >&2
    exit 1
}

say "What dom0 carried to the VMM (sc-enc -> sc-relay), first 160 of $(wc -c < "$T/dom0-in") bytes"
od -A x -t x1z -N 160 "$T/dom0-in" | sed 's/^/   /'
say "What dom0 carried back (sc-relay -> sc-dec), first 160 of $(wc -c < "$T/dom0-out") bytes"
od -A x -t x1z -N 160 "$T/dom0-out" | sed 's/^/   /'
say "What the user saw (sc-dec's output)"
sed 's/^/   | /' "$T/user-saw" | tr -d '\r'
echo
sed 's/^/   /' "$T/session.err"

say "6. Where does the password appear?"
fail=0
for f in user-typed user-saw dom0-in dom0-out; do
    if grep -a -q -F "$PW" "$T/$f"; then
        where="FOUND"
    else
        where="absent"
    fi
    case $f in
    user-typed) side="user's side (what was typed)";;
    user-saw) side="user's side (terminal; the guest does not echo it)";;
    *) side="dom0";;
    esac
    printf '   %-12s %-7s %s\n' "$f" "$where" "$side"
    case $f:$where in
    user-typed:absent|dom0-*:FOUND) fail=1;;
    esac
done
for w in "the answer is 42" "Linux"; do
    if grep -a -q -F "$w" "$T/dom0-in" "$T/dom0-out"; then
        echo "   guest output \"$w\" FOUND in dom0's bytes"
        fail=1
    else
        echo "   guest output \"$w\" absent from dom0's bytes (the user saw it: $(grep -c -F "$w" "$T/user-saw") line(s))"
    fi
done
if [ "$fail" != 0 ]; then
    echo "sccrypt demo: FAILED: a secret reached dom0" >&2
    exit 1
fi
echo "   => the password and the guest's output crossed dom0 only as ciphertext."

say "7. The same for an HVM guest: domain 6's console is a 16550A UART at COM1, which the
   VMM emulates; the guest's driver probes it and works from its interrupts, every byte
   through its registers (a second key, bound to domain 6)"
K6="$T/user/hvm.key"
sc-keygen -k "$K6" > /dev/null 2>&1
$RELAY --vmm-key --challenge 6 > "$T/vmm6.pub"
sc-keygen -k "$K6" --seal "$T/vmm6.pub" --expect "$FP" --domain "$UUID6" --challenge "$T/vmm6.pub" \
    --require none -o "$T/req6" > /dev/null 2>&1
$RELAY --bind 6 < "$T/req6" > /dev/null 2>&1
export K6
timeout 60 sh -c '
    { printf "root\n"; sleep 0.5; printf "%s\n" "$PW"; sleep 0.5
      printf "echo \"the UART answer is \$((6*7))\"\n"; } |
    sc-enc -N -k "$K6" | tee "$T/dom0-in6" | $RELAY 6 | tee "$T/dom0-out6" | sc-dec -k "$K6" --require none > "$T/user-saw6"
' 2> "$T/session6.err" || {
    echo "sccrypt demo: the UART session failed:" >&2
    cat "$T/session6.err" >&2
    exit 1
}
sed 's/^/   | /' "$T/user-saw6" | tr -d '\r'
echo
grep 'seal level' "$T/session6.err" | sed 's/^/   /'
for f in dom0-in6 dom0-out6; do
    if grep -a -q -F -e "$PW" -e "UART answer" "$T/$f"; then
        echo "sccrypt demo: FAILED: a secret of the UART session reached dom0 ($f)" >&2
        exit 1
    fi
done
grep -q "the UART answer is 42" "$T/user-saw6" || {
    echo "sccrypt demo: FAILED: the UART guest's answer did not arrive" >&2
    exit 1
}
echo "   => through the UART too, dom0 carried only ciphertext."

if [ -t 0 ] && [ -t 1 ]; then
    say "8. Your turn: an interactive session to the same guest (already logged in)."
    echo "   Type commands; end with ~. at the start of a line (Enter, then ~ and .)."
    echo
    timeout --foreground 3600 sh -c 'sc-enc | $RELAY 5 | sc-dec -q --require none' || true
    echo
fi
say "Done; cleaning up $T"
