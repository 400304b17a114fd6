#!/bin/bash
# SPDX-License-Identifier: MIT
#
# echo-attack.sh [SEED]: what dom0 learns of keystrokes from the echo,
# measured as dom0 would, on the simulator with timing obfuscation on.
#
# A typist (test/tools/typist.c) types, on a terminal, into sc-enc: a login
# name at the built-in login guest's "login:" prompt (the guest echoes it),
# its password (not echoed), then a command at the shell prompt (the tty
# echoes it), with random gaps of 90 to 250 ms between keys.  dom0's view is
# the relay's record stream both ways, timed as it passes (frametap on each
# side of sc-relay).  The attacker marks an input slot as a key when
#   count:  more than one output record follows it before the next slot, or
#           one of another size than the answers (the echo gives itself away)
# and is scored against the truth (which slots carried a typed key): true
# positive rate = keys marked / keys, false positive rate = chaff marked /
# chaff slots, for the slots while each prompt was being typed at.  For
# timing, the delay from each slot to its first output record: the medians
# for key and chaff slots, and the area under the ROC curve of a threshold
# on it (the chance a key slot is answered later than a chaff slot: 0.5
# tells nothing, 1.0 tells every key).  Echo
# latency is what the user sees: from a key typed to the next output
# reaching sc-dec's stdout (bytetap).
#
# Prints one line per prompt:
#   PROMPT keys=K chaff=C count_tpr=P count_fpr=P timing_auc=A answer_ms_key=M
#          answer_ms_chaff=M echo_ms_median=M echo_ms_p90=M
# Runs in the current directory (scratch files), with the built programs on PATH
# (bin/ and bin/test/).  Exit 0 when the session ran, 1 when it did not.
set -u
seed=${1:-17}
RANDOM=$seed
uuid=5a5a5a5a-1111-4222-8333-444444444444
sock=$PWD/sim.sock
relay="sc-relay -b sim --socket $sock"
export HOME=$PWD/home XDG_CONFIG_HOME=$PWD/cfg XDG_STATE_HOME=$PWD/state XDG_RUNTIME_DIR=$PWD/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset SCCRYPT_KEY SCCRYPT_VMM SCCRYPT_RELAY SCCRYPT_SIM_SOCKET SUDO_USER SUDO_UID SUDO_GID
# The simulator's honest seal level is the weakest: accepted explicitly (sccrypt(7) LEVELS).
export SCCRYPT_REQUIRE=none

cleanup() { [ -f sim.pid ] && kill "$(cat sim.pid)" 2> /dev/null; }
trap cleanup EXIT
sc-vmmsim -d "$PWD/simstate" -s "$sock" --pid-file "$PWD/sim.pid" \
    --domain "5:demo:$uuid" 2> sim.log || { echo "echo-attack: sc-vmmsim did not start" >&2; exit 1; }
sc-keygen > /dev/null 2>&1
$relay --vmm-key --challenge 5 > vmm.pub
fp=$(sed -n 's/^sc-vmmsim: VMM key fingerprint //p' sim.log | head -1)
sc-keygen --seal vmm.pub --expect "$fp" --domain $uuid --challenge vmm.pub -o req 2> /dev/null &&
    $relay --bind 5 < req 2> /dev/null || { echo "echo-attack: bind failed" >&2; exit 1; }

# The typing script and each key's label: L login name, P password, S shell, X other.
gap() { echo $((90 + RANDOM % 161)); }
: > typing; : > labels.all
type_text() {           # type_text LABEL FIRST-GAP TEXT
    local i c g=$2
    for ((i = 0; i < ${#3}; i++)); do
        c=${3:i:1}
        echo "$g $c" >> typing
        echo "$1" >> labels.all
        g=$(gap)
    done
}
key() { echo "$1 $2" >> typing; echo "$3" >> labels.all; }
type_text L 1500 thequickbrownfoxjumpsover      # at "login:" (echoed by the guest)
key 300 '\r' X
type_text P 800 demo                            # at "Password:" (not echoed)
key 300 '\r' X
type_text S 1500 echothelazydogsleepsinthesun   # at the shell prompt (echoed by the tty)
echo "4500 ~." >> typing                        # chaff ends; then Enter ~. ends the session

timeout 120 bash -c "
    typist typing typed.log sc-enc 2> enc.err | frametap in.log |
    $relay 5 2> relay.err | frametap out.log | sc-dec 2> dec.err | bytetap user.log > user.out
    echo \"\${PIPESTATUS[*]}\" > rc" < /dev/null
if ! grep -q . typed.log 2> /dev/null || ! [ -s out.log ]; then
    echo "echo-attack: the session did not run (rc $(cat rc 2> /dev/null))" >&2
    cat enc.err dec.err >&2
    exit 1
fi

paste -d' ' typed.log labels.all > keys
awk '
    function median(arr, n,    i, j, v, t) {
        for (i = 1; i <= n; i++) t[i] = arr[i]
        for (i = 2; i <= n; i++) {
            v = t[i]
            for (j = i - 1; j >= 1 && t[j] > v; j--) t[j + 1] = t[j]
            t[j + 1] = v
        }
        return n ? t[int((n + 1) / 2)] : -1
    }
    FILENAME == "keys" { kt[nk] = $1; kl[nk] = $3; nk++; next }
    FILENAME == "in.log" { it[ni] = $1; ni++; next }
    FILENAME == "out.log" { ot[no] = $1; os[no] = $2; no++; next }
    FILENAME == "user.log" { ut[nu] = $1; nu++; next }
    END {
        # the answer size: the most common output size
        for (j = 0; j < no; j++) sz[os[j]]++
        for (s in sz) if (sz[s] > best) { best = sz[s]; ans = s }
        # each key goes in the first input slot at or after it was typed
        for (k = 0; k < nk; k++) {
            for (i = 1; i < ni && it[i] < kt[k]; i++) ;
            if (i < ni) { slotkey[i] = kl[k]; keyslot[k] = i }
        }
        # the phases: from the first key typed at a prompt to 300 ms after the last
        for (k = 0; k < nk; k++) {
            if (!(kl[k] in first)) first[kl[k]] = kt[k]
            last[kl[k]] = kt[k]
        }
        j = 0
        for (i = 1; i < ni; i++) {
            end = i + 1 < ni ? it[i + 1] : it[i] + 20
            while (j < no && ot[j] < it[i]) j++
            c = 0; odd = 0; d = -1
            for (m = j; m < no && ot[m] < end; m++) {
                c++
                if (os[m] != ans) odd = 1
                if (d < 0) d = ot[m] - it[i]
            }
            cnt[i] = c; oddsz[i] = odd; dly[i] = d
        }
        split("L S P", P, " ")
        name["L"] = "login-name"; name["S"] = "shell-prompt"; name["P"] = "password"
        for (pi = 1; pi <= 3; pi++) {
            p = P[pi]
            nkey = 0; nchaff = 0; ctp = 0; cfp = 0; nd = 0
            delete dk; delete dc
            for (i = 1; i < ni; i++) {
                if (it[i] < first[p] || it[i] > last[p] + 300) continue
                if (i in slotkey && slotkey[i] != p) continue
                mark = cnt[i] != 1 || oddsz[i]
                if (i in slotkey) { nkey++; ctp += mark; dk[nkey] = dly[i] }
                else { nchaff++; cfp += mark; dc[nchaff] = dly[i] }
            }
            # timing: how often a key slot is answered later than a chaff slot
            # (the area under the ROC curve of any threshold on the delay; 0.5: no clue)
            auc = 0
            for (a = 1; a <= nkey; a++)
                for (b = 1; b <= nchaff; b++)
                    auc += dk[a] > dc[b] ? 1 : dk[a] == dc[b] ? 0.5 : 0
            auc = nkey && nchaff ? auc / (nkey * nchaff) : 0.5
            mk = median(dk, nkey); mc = median(dc, nchaff)
            # echo latency: each key of this prompt to the next output the user got
            ne = 0; delete el
            for (k = 0; k < nk; k++) {
                if (kl[k] != p) continue
                for (u = 0; u < nu && ut[u] < kt[k]; u++) ;
                if (u < nu) el[++ne] = ut[u] - kt[k]
            }
            n2 = ne
            for (a = 2; a <= n2; a++) {        # insertion sort (no gawk asort)
                v = el[a]
                for (b = a - 1; b >= 1 && el[b] > v; b--) el[b + 1] = el[b]
                el[b + 1] = v
            }
            med = n2 ? el[int((n2 + 1) / 2)] : -1
            p90 = n2 ? el[int(n2 * 0.9 + 0.5) < 1 ? 1 : int(n2 * 0.9 + 0.5)] : -1
            printf "%s keys=%d chaff=%d count_tpr=%.1f%% count_fpr=%.1f%% timing_auc=%.2f answer_ms_key=%.3f answer_ms_chaff=%.3f echo_ms_median=%.2f echo_ms_p90=%.2f\n",
                name[p], nkey, nchaff, nkey ? 100 * ctp / nkey : 0, nchaff ? 100 * cfp / nchaff : 0,
                auc, mk, mc, med, p90
        }
    }' keys in.log out.log user.log
