#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: SCCrypt's console against a plaintext console to the same
# simulated guest, measured side by side in one run (issue 11).
#
# The plaintext console is test/bench/plaincon: a daemon copying between a
# UNIX socket and the guest's pty in reads of the ring's sizes (what
# xenconsoled does) and a client copying between the pipe and the socket
# (what `xl console` does).  SCCrypt's is sc-enc | sc-relay | sc-dec to
# sc-vmmsim, obfuscation off (-N).  The guest, on a pty behind both, is
# test/bench/benchguest; the user is test/bench/benchdrive.  Every timed
# figure is the median of runs that alternate between SCCrypt and its
# baselines, so a busy machine slows both alike; ratios are SCCrypt over
# plaintext.  CPU time and context switches per keystroke and per KiB, by
# process, say where the cost is; on a busy VM they move too (time stolen
# by the host is charged to whoever was running), so compare medians of
# several runs.  Nothing here asserts a time.
#
# Environment: BENCH_ROUNDS (default 7), BENCH_KEYS (keystrokes a run, 200),
# BENCH_OUT (bytes of guest output, 64 MiB), BENCH_IN (bytes of input,
# 16 MiB), BENCH_COUNT (bytes each way under strace, 4 MiB); BENCH_SSH=0
# leaves out the ssh figures (they need root, sshd and sudo: a test user, a
# sudoers drop-in and an sshd on 127.0.0.1, all removed at the end, as
# test/ssh.bats does), BENCH_STRACE=0 the system-call counts, BENCH_CRYPTO=0
# the crypto bench; BENCH_KEEP=DIR keeps the strace logs and the simulator's
# log there, for a closer look.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/bin
T=$ROOT/bin/test
# shellcheck source=test/sshd.sh
. "$ROOT/test/sshd.sh"
ROUNDS=${BENCH_ROUNDS:-7}
KEYS=${BENCH_KEYS:-200}
OUT_BYTES=${BENCH_OUT:-67108864}
IN_BYTES=${BENCH_IN:-16777216}
COUNT_BYTES=${BENCH_COUNT:-4194304}   # guest output / input under strace
DO_SSH=${BENCH_SSH:-1}
DO_STRACE=${BENCH_STRACE:-1}
DO_CRYPTO=${BENCH_CRYPTO:-1}

for t in "$B/sc-enc" "$B/sc-dec" "$B/sc-relay" "$B/sc-vmmsim" "$B/sc-keygen" \
         "$T/plaincon" "$T/benchguest" "$T/benchdrive" "$T/benchrusage"; do
    [ -x "$t" ] || { echo "bench: $t is missing (make tools tests)" >&2; exit 2; }
done

W=$(mktemp -d /tmp/sccrypt-bench.XXXXXX)
chmod 755 "$W"
TUSER=""
TUID=""
NSPID=""
PIDS=""

cleanup() {
    local p pid
    if [ -n "${BENCH_KEEP:-}" ]; then
        mkdir -p "$BENCH_KEEP" && cp "$W"/st.* "$W"/sim.*.log "$BENCH_KEEP"/ 2> /dev/null || true
    fi
    for p in "$W"/*.pid; do
        [ -s "$p" ] || continue
        pid=$(cat "$p")
        kill "$pid" 2> /dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2> /dev/null || true
    done
    for pid in $PIDS; do kill "$pid" 2> /dev/null || true; done
    if [ -n "$TUID" ]; then
        for pid in $(ps -o pid= -U "$TUID" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    fi
    [ -n "$NSPID" ] && kill "$NSPID" 2> /dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

say() { printf '%s\n' "$*" >&2; }

# round_order R: the three pipelines of round R, in a different order each
# round, so none always runs first.
round_order() {
    case $(($1 % 3)) in
    0) echo "sc plain bare" ;;
    1) echo "plain bare sc" ;;
    *) echo "bare sc plain" ;;
    esac
}

export HOME=$W/home XDG_CONFIG_HOME=$W/cfg XDG_STATE_HOME=$W/state XDG_RUNTIME_DIR=$W/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset SCCRYPT_KEY SCCRYPT_VMM SCCRYPT_RELAY SCCRYPT_SIM_SOCKET
# The simulator's honest seal level is the weakest: accepted explicitly (sccrypt(7) LEVELS).
export SCCRYPT_REQUIRE=none
cd "$W"

# --- the guests: one domain per kind, behind sc-vmmsim and behind plaincon ---
GUEST_echo="$T/benchguest echo"
GUEST_out="$T/benchguest out $OUT_BYTES"
GUEST_in="$T/benchguest in $IN_BYTES"
GUEST_cout="$T/benchguest out $COUNT_BYTES"
GUEST_cin="$T/benchguest in $COUNT_BYTES"
GUEST_obf="$T/benchguest echo"
# obf: the obfuscated session's own echo guest (what it leaves in the backlog
# must not reach the timed sessions)
KINDS="echo out in cout cin obf"
DOM_echo=5 DOM_out=6 DOM_in=7 DOM_cout=8 DOM_cin=9 DOM_obf=4

# One simulator per guest, like one plaincon per guest, so that each daemon's
# CPU time and system calls are those of the guest being measured.  They
# share one VMM identity (the same vmm-key), as domains of one host do.
relay_for() { echo "$B/sc-relay -b sim --socket $W/sim.$1.sock"; }
simpid() { cat "$W/sim.$1.pid"; }
for k in $KINDS; do
    d=DOM_$k g=GUEST_$k
    mkdir -p -m 700 "$W/simstate.$k"
    [ -f "$W/simstate.echo/vmm-key" ] && cp -p "$W/simstate.echo/vmm-key" "$W/simstate.$k/"
    "$B/sc-vmmsim" -d "$W/simstate.$k" -s "$W/sim.$k.sock" --pid-file "$W/sim.$k.pid" \
        --domain "${!d}:$k:5a5a5a5a-1111-4222-8333-44444444444${!d}" --guest "${!g}" \
        2> "$W/sim.$k.log" || { cat "$W/sim.$k.log" >&2; exit 2; }
done
FP=$(sed -n 's/^sc-vmmsim: VMM key fingerprint //p' "$W/sim.echo.log" | head -1)
$(relay_for echo) --vmm-key > "$W/vmm.pub"
for k in $KINDS; do
    d=DOM_$k
    "$B/sc-keygen" -k "$W/key.$k" > /dev/null 2>&1
    $(relay_for "$k") --challenge "${!d}" > "$W/chal.$k"
    "$B/sc-keygen" -k "$W/key.$k" --seal "$W/vmm.pub" --expect "$FP" \
        --domain "5a5a5a5a-1111-4222-8333-44444444444${!d}" --challenge "$W/chal.$k" \
        -o "$W/req.$k" 2> /dev/null
    $(relay_for "$k") --bind "${!d}" < "$W/req.$k" 2> "$W/bind.err" ||
        { cat "$W/bind.err" >&2; exit 2; }
done
for k in echo out in cout cin; do
    g=GUEST_$k
    "$T/plaincon" serve "$W/p.$k.sock" "${!g}" "$W/plain.$k.pid" 2> "$W/plain.$k.log" &
    PIDS="$PIDS $!"
done
for k in echo out in cout cin; do
    for _ in $(seq 100); do [ -s "$W/plain.$k.pid" ] && break; sleep 0.02; done
    [ -s "$W/plain.$k.pid" ] || { say "bench: plaincon did not start"; cat "$W/plain.$k.log" >&2; exit 2; }
done

# The pipelines, by kind.  $1: the kind; $2: a prefix for each stage (a wrapper).
sc_pipe() {
    local k=$1 w=${2:-} d=DOM_$1
    echo "$w${w:+sc-enc }$B/sc-enc -N -e none -w 100 -k $W/key.$k |" \
         "$w${w:+sc-relay }$(relay_for "$k") ${!d} |" \
         "$w${w:+sc-dec }$B/sc-dec -k $W/key.$k"
}
plain_pipe() {
    local k=$1 w=${2:-}
    echo "$w${w:+cat1 }cat | $w${w:+plaincon-relay }$T/plaincon relay $W/p.$k.sock |" \
         "$w${w:+cat2 }cat"
}
plain_bare() {
    echo "$T/plaincon relay $W/p.$1.sock"
}

# --- ssh: a test user who may run only the relays as root, an sshd on 127.0.0.1 ---
SSH=""
if [ "$DO_SSH" = 1 ]; then
    if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v sudo > /dev/null; then
        say "bench: the ssh figures need root, openssh-server and sudo; leaving them out"
        DO_SSH=0
    fi
fi
if [ "$DO_SSH" = 1 ]; then
    # The user, the sudoers drop-in and sc-relay's policy live in $W/etc, a
    # copy of /etc that a private mount namespace (held by NSPID) shows in
    # place of /etc: sshd runs in it, and so sudo and sc-relay under it.
    # The machine's /etc is not touched.
    TUSER="scbench$$"
    # sshd's privilege-separation directory, as openssh-server's service makes
    # it; left in place (removing it would break another sshd starting now).
    mkdir -p -m 755 /run/sshd
    mkdir -p -m 755 "$W/prefix" "$W/prefix/sbin"
    install -m 755 "$B/sc-relay" "$W/prefix/sbin/sc-relay"
    install -m 755 "$T/plaincon" "$W/prefix/sbin/plaincon"
    private_etc "$W" "$TUSER" "$W/uhome"
    mkdir -p -m 755 "$W/uhome" "$W/keys"
    ssh-keygen -q -t ed25519 -N '' -f "$W/client_key"
    cp "$W/client_key.pub" "$W/keys/$TUSER"
    chmod 644 "$W/keys/$TUSER"
    printf '%s ALL=(root) NOPASSWD: %s, %s\n' "$TUSER" "$W/prefix/sbin/sc-relay" \
        "$W/prefix/sbin/plaincon" > "$W/etc/sudoers.d/sccrypt-bench"
    chmod 440 "$W/etc/sudoers.d/sccrypt-bench"
    $NS visudo -cqf /etc/sudoers.d/sccrypt-bench
    printf '%s\n' "backend sim" "socket $W/sim.echo.sock" "allow user:$TUSER all *" \
        > "$W/etc/sccrypt/relay.conf"
    chmod 644 "$W/etc/sccrypt/relay.conf"
    start_sshd "$W" "$TUSER" $NS || { say "bench: sshd did not start"; exit 2; }
    SSH="ssh -T -p $PORT -i $W/client_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$W/known_hosts -o LogLevel=ERROR $TUSER@127.0.0.1"
    # The host key goes into known_hosts once, outside the timed runs.
    $SSH sudo -n "$W/prefix/sbin/sc-relay" --version > /dev/null
fi

# --- running and recording ---
# run NAME MODE COUNT CMD [benchdrive options]: one benchdrive run; its key=value
# figures appended to $W/r.NAME.KEY.
run() {
    local name=$1 mode=$2 count=$3 cmd=$4 out kv
    shift 4
    if ! out=$("$T/benchdrive" "$@" "$mode" "$count" "$cmd" 2> "$W/drive.err"); then
        say "bench: $name: $(cat "$W/drive.err")"
        exit 2
    fi
    for kv in $out; do
        echo "${kv#*=}" >> "$W/r.$name.${kv%%=*}"
    done
}

median() {
    [ -s "$1" ] || { echo "-"; return; }
    sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# CPU time of a single-threaded process so far, in seconds (ns resolution:
# /proc/PID/schedstat), and its context switches so far.
cpu_of() {
    awk '{ printf "%.9f\n", $1 / 1e9 }' "/proc/$1/schedstat"
}
csw_of() {
    awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"
}

say "bench: keystroke round trip and launch ($ROUNDS rounds of $KEYS keystrokes)"
for r in $(seq "$ROUNDS"); do
    for c in $(round_order "$r"); do
        case $c in
        sc) run key.sc rtt "$KEYS" "$(sc_pipe echo)" ;;
        plain) run key.plain rtt "$KEYS" "$(plain_pipe echo)" ;;
        bare) run key.bare rtt "$KEYS" "$(plain_bare echo)" ;;
        esac
    done
done
# CPU and context switches per keystroke, by process: runs of K1 and K2
# keystrokes, each stage under benchrusage and the daemon sampled around the
# run; the difference, divided by K2 - K1, leaves out start-up and the end.
K1=50 K2=$((50 + KEYS))
say "bench: CPU and context switches per keystroke (3 pairs of runs)"
: > "$W/kcpu.log"
for rep in 1 2 3; do
    for sys in sc plain; do
        for kn in $K1 $K2; do
            rm -f "$W/ru"
            if [ $sys = sc ]; then
                dpid=$(simpid echo)
                cmd=$(sc_pipe echo "$T/benchrusage $W/ru ")
            else
                dpid=$(cat "$W/plain.echo.pid")
                cmd=$(plain_pipe echo "$T/benchrusage $W/ru ")
            fi
            c0=$(cpu_of "$dpid") w0=$(csw_of "$dpid")
            run "kcpu.$sys" rtt "$kn" "$cmd"
            c1=$(cpu_of "$dpid") w1=$(csw_of "$dpid")
            awk -v r=$rep -v s=$sys -v k=$kn '{ print r, s, k, $1, $2 + $3, $5 }' "$W/ru" >> "$W/kcpu.log"
            awk -v r=$rep -v s=$sys -v k=$kn -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" \
                'BEGIN { print r, s, k, "daemon", c1 - c0, w1 - w0 }' >> "$W/kcpu.log"
        done
    done
done

run wire rtt "$KEYS" "$B/sc-enc -N -e none -w 100 -k $W/key.echo | tee $W/wire.in |
    $(relay_for echo) $DOM_echo | tee $W/wire.out | $B/sc-dec -k $W/key.echo" -w "$W/wire.in" -W "$W/wire.out"

# With obfuscation (sc-enc on a terminal: test/tools/ptyfeed types the keys),
# every record after the handshake has one size; these are the sizes seen.
frame_sizes() {
    od -An -v -tu1 "$1" | tr -s ' ' '\n' | sed '/^$/d' | awk '
        state == 0 { hi = $1; state = 1; next }
        state == 1 { len = hi * 256 + $1; if (n++) print len + 2; skip = len; state = skip ? 2 : 0; next }
        { if (--skip == 0) state = 0 }' | sort -un | paste -sd, -
}
printf 'abc\r~.' > "$W/obf.keys"
timeout 30 "$T/ptyfeed" "$W/obf.keys" sh -c "$B/sc-enc -w 100 -k $W/key.obf | tee $W/obf.in |
    $(relay_for obf) $DOM_obf | tee $W/obf.out | $B/sc-dec -k $W/key.obf > /dev/null" \
    > /dev/null 2>&1 < /dev/null || say "bench: the obfuscated session did not end cleanly"
OBF_IN=$(frame_sizes "$W/obf.in")
OBF_OUT=$(frame_sizes "$W/obf.out")

if [ "$DO_SSH" = 1 ]; then
    say "bench: the same through ssh over loopback ($ROUNDS rounds)"
    SSC="$SSH sudo -n $W/prefix/sbin/sc-relay -b sim --socket $W/sim.echo.sock $DOM_echo"
    SPL="$SSH sudo -n $W/prefix/sbin/plaincon relay $W/p.echo.sock"
    for r in $(seq "$ROUNDS"); do
        for c in $(round_order "$r"); do
            case $c in
            sc) run ssh.sc rtt "$KEYS" "$B/sc-enc -N -e none -w 100 -k $W/key.echo | $SSC |
                    $B/sc-dec -k $W/key.echo" ;;
            plain) run ssh.plain rtt "$KEYS" "cat | $SPL | cat" ;;
            bare) run ssh.bare rtt "$KEYS" "$SPL" ;;
            esac
        done
    done
fi

BULK_ROUNDS=$(( ROUNDS > 5 ? 5 : ROUNDS ))
say "bench: guest output ($OUT_BYTES bytes) and input ($IN_BYTES bytes), $BULK_ROUNDS rounds"
: > "$W/cpu.log"
for r in $(seq "$BULK_ROUNDS"); do
    for dir in out in; do
        if [ $((r % 2)) = 0 ]; then order="sc plain"; else order="plain sc"; fi
        if [ $dir = out ]; then bytes=$OUT_BYTES; else bytes=$IN_BYTES; fi
        for c in $order; do
            rm -f "$W/ru"
            if [ $c = sc ]; then
                s0=$(cpu_of "$(simpid "$dir")")
                run "$dir.sc" "$dir" "$bytes" "$(sc_pipe "$dir" "$T/benchrusage $W/ru ")"
                s1=$(cpu_of "$(simpid "$dir")")
                echo "$dir.sc sc-vmmsim $s0 $s1" >> "$W/cpu.log"
            else
                ppid=$(cat "$W/plain.$dir.pid")
                s0=$(cpu_of "$ppid")
                run "$dir.plain" "$dir" "$bytes" "$(plain_pipe "$dir" "$T/benchrusage $W/ru ")"
                s1=$(cpu_of "$ppid")
                echo "$dir.plain plaincon-serve $s0 $s1" >> "$W/cpu.log"
            fi
            sed "s/^/$dir.$c /" "$W/ru" >> "$W/cpu.log"
        done
    done
done

# --- system calls and VMM calls, counted with strace (not timed) ---
if [ "$DO_STRACE" = 1 ] && command -v strace > /dev/null; then
    say "bench: system calls and VMM calls (strace)"
    # st NAME: strace prefix writing $W/st.NAME.$TAG.STAGE
    stp() { echo "strace -qq -o $W/st.$1.$2"; }
    # Lines of a trace that are system calls (not signals or the exit).
    ncalls() { grep -cv -e '^---' -e '^+++' "$1" || true; }
    # VMM calls for the sim backend: the messages sc-relay sent to the
    # simulator on its connection, requests and (sim wire version 3) SENDs of
    # input alike, each in one sendmsg() (header and payload together; a rest
    # the socket did not take follows with write()); a 16-byte write() is a
    # header sent alone, as sc-relay did before sim wire version 2.  What the
    # simulator pushes on its own (output, credit) is not a call: the relay
    # only reads it, as it reads an event channel for the xen backend.
    nvmm() {
        local fd
        fd=$(sed -n 's/^connect(\([0-9]*\), {sa_family=AF_UNIX.*= 0$/\1/p' "$1" | tail -1)
        [ -n "$fd" ] || { echo 0; return; }
        grep -Ec "^(sendmsg\($fd, |write\($fd, \".*\", 16\) = 16\$)" "$1" || true
    }
    # count TAG MODE COUNT KIND SC|PLAIN: one traced run; the daemon traced too.
    count() {
        local tag=$1 mode=$2 n=$3 k=$4 sys=$5 d=DOM_$4 dpid tr cmd
        if [ "$sys" = sc ]; then
            dpid=$(simpid "$k")
            cmd="$(stp "$tag" enc) $B/sc-enc -N -e none -w 100 -k $W/key.$k |
                 $(stp "$tag" relay) $(relay_for "$k") ${!d} | $(stp "$tag" dec) $B/sc-dec -k $W/key.$k"
        else
            dpid=$(cat "$W/plain.$k.pid")
            cmd="$(stp "$tag" cat1) cat | $(stp "$tag" relay) $T/plaincon relay $W/p.$k.sock |
                 $(stp "$tag" cat2) cat"
        fi
        strace -qq -o "$W/st.$tag.daemon" -p "$dpid" &
        tr=$!
        sleep 0.3
        run "st.$tag" "$mode" "$n" "$cmd"
        kill -INT "$tr" 2> /dev/null || true
        wait "$tr" 2> /dev/null || true
    }
    for sys in sc plain; do
        count "$sys.k1" rtt $K1 echo $sys
        count "$sys.k2" rtt $K2 echo $sys
        count "$sys.out" out $COUNT_BYTES cout $sys
        count "$sys.in" in $COUNT_BYTES cin $sys
    done
fi

# --- the table ---
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}
row() {   # FIGURE SCCRYPT PLAIN TARGET
    printf '%-48s %12s %12s %7s   %s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4"
}
size() { if [ $(($1 % 1048576)) = 0 ]; then echo "$(($1 / 1048576)) MiB"; else echo "$(($1 / 1024)) KiB"; fi; }
ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1000 }'; }

echo
echo "SCCrypt bench: medians of $ROUNDS interleaved runs ($BULK_ROUNDS for bulk);" \
     "ratio = SCCrypt / plaintext, same run"
printf '%-48s %12s %12s %7s   %s\n' "figure" "SCCrypt" "plaintext" "ratio" "target"
row "keystroke round trip, us (vs cat|relay|cat)" "$(median "$W/r.key.sc.rtt_us")" \
    "$(median "$W/r.key.plain.rtt_us")" "<= 1.25"
row "keystroke round trip, us (vs bare relay)" "$(median "$W/r.key.sc.rtt_us")" \
    "$(median "$W/r.key.bare.rtt_us")" "<= 1.5"
if [ "$DO_SSH" = 1 ]; then
    row "  through ssh, us (vs cat|ssh relay|cat)" "$(median "$W/r.ssh.sc.rtt_us")" \
        "$(median "$W/r.ssh.plain.rtt_us")" "<= 1.10"
    row "  through ssh, us (vs bare ssh relay)" "$(median "$W/r.ssh.sc.rtt_us")" \
        "$(median "$W/r.ssh.bare.rtt_us")" ""
fi
row "guest output $(size "$OUT_BYTES"), MiB/s" "$(median "$W/r.out.sc.mib_s")" \
    "$(median "$W/r.out.plain.mib_s")" ">= 0.9"
row "input $(size "$IN_BYTES"), MiB/s" "$(median "$W/r.in.sc.mib_s")" \
    "$(median "$W/r.in.plain.mib_s")" ">= 0.8"
row "launch to first echo, ms (vs cat|relay|cat)" "$(ms "$(median "$W/r.key.sc.launch_us")")" \
    "$(ms "$(median "$W/r.key.plain.launch_us")")" "<= 2"
printf '%-48s %12s %12s %7s   %s\n' "bytes on the wire per keystroke, in/out" \
    "$(median "$W/r.wire.wire_in")/$(median "$W/r.wire.wire_out")" "SSH: 36" "-" "<= 24 (obfuscation off)"
printf '%-48s %12s %12s %7s   %s\n' "obfuscated: every record's bytes on the wire, in/out" \
    "${OBF_IN:-?}/${OBF_OUT:-?}" "SSH: 36" "-" "one size, <= 36"

echo
echo "CPU (us) / context switches per keystroke, by process (the difference of $K2 and $K1" \
     "keystrokes, median of 3):"
for sys in sc plain; do
    if [ $sys = sc ]; then names="sc-enc sc-relay sc-dec daemon"; label="SCCrypt:  "
    else names="cat1 plaincon-relay cat2 daemon"; label="plaintext:"; fi
    line="  $label"
    for p in $names; do
        v=$(awk -v s=$sys -v p=$p -v k1=$K1 -v k2=$K2 '
            $2 == s && $4 == p { if ($3 == k1) { c1[$1] = $5; w1[$1] = $6 } else { c2[$1] = $5; w2[$1] = $6 } }
            END { for (r in c2) printf "%.1f %.2f\n", (c2[r] - c1[r]) * 1e6 / (k2 - k1), (w2[r] - w1[r]) / (k2 - k1) }' \
            "$W/kcpu.log" | sort -g | awk '{ c[NR] = $1 } END { printf "%s", c[int((NR + 1) / 2)] }')
        w=$(awk -v s=$sys -v p=$p -v k1=$K1 -v k2=$K2 '
            $2 == s && $4 == p { if ($3 == k1) w1[$1] = $6; else w2[$1] = $6 }
            END { for (r in w2) printf "%.2f\n", (w2[r] - w1[r]) / (k2 - k1) }' \
            "$W/kcpu.log" | sort -g | awk '{ w[NR] = $1 } END { printf "%s", w[int((NR + 1) / 2)] }')
        [ $p = daemon ] && p=$( [ $sys = sc ] && echo sc-vmmsim || echo plaincon-serve)
        line="$line $p $v/$w,"
    done
    tot=$(awk -v s=$sys -v k1=$K1 -v k2=$K2 '
        $2 == s { if ($3 == k1) { c1[$1] += $5; w1[$1] += $6 } else { c2[$1] += $5; w2[$1] += $6 } }
        END { for (r in c2) printf "%.1f %.2f\n", (c2[r] - c1[r]) * 1e6 / (k2 - k1), (w2[r] - w1[r]) / (k2 - k1) }' \
        "$W/kcpu.log" | sort -g | awk '{ c[NR] = $1; w[NR] = $2 } END { m = int((NR + 1) / 2); printf "%s/%s", c[m], w[m] }')
    echo "$line total $tot"
    eval "tot_$sys=\$tot"
done
echo "  ratio, SCCrypt / plaintext: CPU $(ratio "${tot_sc%/*}" "${tot_plain%/*}")," \
     "context switches $(ratio "${tot_sc#*/}" "${tot_plain#*/}")"

# CPU per KiB and peak RSS, from the bulk runs: medians over rounds, per process.
echo
echo "CPU per KiB moved (us, user+sys, median over rounds) and peak RSS (KiB) in the bulk runs:"
for dir in out in; do
    if [ $dir = out ]; then kib=$((OUT_BYTES / 1024)); else kib=$((IN_BYTES / 1024)); fi
    for c in sc plain; do
        line="  $dir, $( [ $c = sc ] && echo SCCrypt || echo plaintext):"
        for p in $( [ $c = sc ] && echo "sc-enc sc-relay sc-dec sc-vmmsim" ||
                    echo "cat1 plaincon-relay cat2 plaincon-serve"); do
            v=$(awk -v t="$dir.$c" -v p="$p" -v kib="$kib" '
                $1 == t && $2 == p {
                    if (NF == 4 && p ~ /sc-vmmsim|plaincon-serve/) print ($4 - $3) * 1e6 / kib;
                    else if (NF >= 5) print ($3 + $4) * 1e6 / kib }' "$W/cpu.log" |
                sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else print "-" }')
            rss=$(awk -v t="$dir.$c" -v p="$p" '$1 == t && $2 == p && NF >= 5 { if ($5 > m) m = $5 }
                END { print m ? m : "" }' "$W/cpu.log")
            line="$line $p $v${rss:+ (rss $rss)}"
        done
        echo "$line"
    done
done
echo "  sc-vmmsim (output) peak RSS over the whole bench: $(awk '/^VmHWM/ { print $2 }' "/proc/$(simpid out)/status") KiB;" \
     "plaincon serve (output): $(awk '/^VmHWM/ { print $2 }' "/proc/$(cat "$W/plain.out.pid")/status") KiB"

if [ "$DO_STRACE" = 1 ] && [ -e "$W/st.sc.k1.relay" ]; then
    echo
    echo "System calls (strace; per keystroke: the difference of $K2 and $K1 keystrokes; per KiB: $(size "$COUNT_BYTES") each way):"
    for sys in sc plain; do
        if [ $sys = sc ]; then stages="enc relay dec daemon"; names="sc-enc sc-relay sc-dec sc-vmmsim"
        else stages="cat1 relay cat2 daemon"; names="cat plaincon-relay cat plaincon-serve"; fi
        for what in key out in; do
            line="  $( [ $sys = sc ] && echo SCCrypt || echo plaintext), per"
            total=0
            set -- $names
            for s in $stages; do
                if [ $what = key ]; then
                    a=$(ncalls "$W/st.$sys.k1.$s") b=$(ncalls "$W/st.$sys.k2.$s")
                    v=$(awk -v a="$a" -v b="$b" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) / n }')
                else
                    a=$(ncalls "$W/st.$sys.$what.$s")
                    v=$(awk -v a="$a" -v n="$((COUNT_BYTES / 1024))" 'BEGIN { printf "%.2f", a / n }')
                fi
                line="$line $1 $v,"
                total=$(awk -v t="$total" -v v="$v" 'BEGIN { print t + v }')
                shift
            done
            case $what in key) w="keystroke:" ;; out) w="KiB of output:" ;; *) w="KiB of input:" ;; esac
            echo "${line/per/per $w} total $total"
        done
    done
    a=$(nvmm "$W/st.sc.k1.relay") b=$(nvmm "$W/st.sc.k2.relay")
    echo "VMM calls (sc-relay's requests to sc-vmmsim): per keystroke" \
         "$(awk -v a="$a" -v b="$b" -v n="$KEYS" 'BEGIN { printf "%.2f", (b - a) / n }'), per KiB of output" \
         "$(awk -v a="$(nvmm "$W/st.sc.out.relay")" -v n="$((COUNT_BYTES / 1024))" 'BEGIN { printf "%.3f", a / n }'), per KiB of input" \
         "$(awk -v a="$(nvmm "$W/st.sc.in.relay")" -v n="$((COUNT_BYTES / 1024))" 'BEGIN { printf "%.3f", a / n }')"
fi

if [ "$DO_CRYPTO" = 1 ] && [ -x "$T/bench_crypto" ]; then
    echo
    "$T/bench_crypto"
fi
