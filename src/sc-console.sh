#!/bin/sh
# SPDX-License-Identifier: MIT
# sc-console: an encrypted serial console in one command (sc-console(1)):
#
#   sc-enc -V VMM | ssh -T [ssh options] HOST sudo sc-relay DOMAIN | sc-dec -V VMM
#
# with one choice of key and of VMM for both ends: the VMM is the one pinned
# under HOST's name in known_vmms (sc-keygen --seal ... --name HOST), as
# ssh's known_hosts pins a host key per host.  The four tools stay the
# building blocks; this only wires them together.
set -u

VERSION=@VERSION@
EX_OPER=2
EX_NOMATCH=9

usage() {
    cat <<'EOF'
usage: sc-console [options] [ssh options] HOST GUEST [--] [COMMAND...]
       sc-console --bind [--key FILE] [--vmm NAME] [--uuid UUID] [--relay COMMAND]
                  [--require LEVEL] --expect FINGERPRINT [ssh options] HOST GUEST
       sc-console -h | --help | --version
  GUEST             a domain id, or the name or UUID it was bound by
  --key FILE        console key for sc-enc and sc-dec (default $SCCRYPT_KEY,
                    else ~/.config/sccrypt/key)
  --vmm NAME        the VMM from known_vmms (default: the one pinned under HOST's name)
  --escape CHAR     sc-enc's escape character (default $SCCRYPT_ESCAPE, else ~)
  --takeover        take over a console another session holds
  --accept-instance accept and remember another domain instance than last time
  --require LEVEL   the least seal level accepted (sc-dec --require; with --bind,
                    the least level the bind request accepts): strongest (the
                    default, unless $SCCRYPT_REQUIRE says otherwise), none, or
                    words from dma, sealed, ring, uart joined by commas
  --relay COMMAND   the remote command before the domain (default "sudo sc-relay")
  -q                sc-dec does not say which domain the session reached
  -w MS             after the end of input, end once the guest is quiet this long
                    (sc-enc -w; default 1000)
  --until REGEX     send standard input, print the guest's output up to the first
                    match of REGEX (extended, within a line), then end the session
  --timeout SECONDS how long a COMMAND or --until may take (default 60)
  COMMAND           run it at the guest's shell prompt, print its output and exit
                    with its status
  ssh options (-p PORT, -i FILE, -o OPT, -J HOST, -l USER, -v, ...) go to ssh,
  before or after HOST
exit: 0 clean end, 1 integrity failure, 2 error (ssh could not connect),
      3 the VMM refused, 4 the relay ended the session, 5 the relay's policy
      refused, 6 the console is busy, 7 the domain is not bound, 8 another
      domain instance than last time, not accepted, 9 the output a script
      waited for did not come (--until, COMMAND's end, the timeout), 10 the
      seal level is below the one required (--require);
      with COMMAND: its status once it ended
EOF
}

die() {
    printf 'sc-console: %s\n' "$*" >&2
    exit "$EX_OPER"
}

# sc-console --bind [--key FILE] [--vmm NAME] [--uuid UUID] [--relay COMMAND]
#                   --expect FINGERPRINT [ssh options] HOST GUEST
# The whole bind in one command (sc-console(1), BINDING): fetch the VMM key
# through ssh, check it against the fingerprint the user got outside dom0,
# seal the key to it for GUEST's UUID (--uuid, GUEST itself when a UUID, or
# the UUID recorded when GUEST was bound by this name before), hand the
# request to the relay, and check and record the VMM's bind answer, so the
# next session goes to the instance just bound without a warning.
console_bind() {
    b_key="" b_vmm="" b_uuid="" b_expect="" b_relay="sudo sc-relay" b_n=0 b_require=""
    while [ $# -gt 0 ]; do
        case $1 in
        --key|--vmm|--uuid|--expect|--relay|--require)
            [ $# -ge 2 ] || die "$1 needs an argument (sc-console -h)"
            case $1 in
            --key) b_key=$2 ;; --vmm) b_vmm=$2 ;; --uuid) b_uuid=$2 ;;
            --expect) b_expect=$2 ;; --relay) b_relay=$2 ;; --require) b_require=$2 ;;
            esac
            shift 2 ;;
        --*) die "--bind: unknown option $1 (sc-console -h)" ;;
        -[BbcDEeFIiJLlmOopQRSWw])
            [ $# -ge 2 ] || die "ssh option $1 needs an argument"
            b_n=$((b_n + 1)); eval "b_ssh_$b_n=\$1"
            b_n=$((b_n + 1)); eval "b_ssh_$b_n=\$2"
            shift 2 ;;
        -?*) b_n=$((b_n + 1)); eval "b_ssh_$b_n=\$1"; shift ;;
        *) break ;;
        esac
    done
    [ $# -eq 2 ] || die "usage: sc-console --bind [--key FILE] [--vmm NAME] [--uuid UUID] --expect FINGERPRINT [ssh options] HOST GUEST"
    b_host=$1 b_guest=$2
    [ -n "$b_expect" ] || die "--bind needs --expect FINGERPRINT: the VMM key's fingerprint as the provider published it (not as dom0 prints it)"
    case $b_host in ''|-*) die "$b_host: not a host name" ;; esac
    case $b_guest in ''|-*|*[!A-Za-z0-9._@+-]*) die "$b_guest: not a domain id, name or UUID" ;; esac
    if [ -z "$b_vmm" ]; then
        b_vmm=${b_host#ssh://}
        b_vmm=${b_vmm##*@}
        case $b_host in ssh://*) b_vmm=${b_vmm%%[:/]*} ;; esac
        case $b_vmm in
        ''|*[!A-Za-z0-9._-]*) die "$b_host: cannot name a VMM after this host; name it with --vmm NAME" ;;
        esac
    fi
    # The guest's name to record: a name, not an id or a UUID.
    b_name=$b_guest
    case $b_guest in
    *[!0-9]*) case $b_guest in
        ????????-????-????-????-????????????) b_name="" ;; esac ;;
    *) b_name="" ;;
    esac
    b_dom=${b_uuid:-$b_guest}
    b_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-console-bind.XXXXXX") || die "cannot make a temporary directory"
    set -- ssh -T
    b_i=1
    while [ "$b_i" -le "$b_n" ]; do
        eval "set -- \"\$@\" \"\$b_ssh_$b_i\""
        b_i=$((b_i + 1))
    done
    # The VMM key and the domain's bind challenge in one call: two lines.
    if ! "$@" -- "$b_host" "$b_relay --vmm-key --challenge $b_guest" > "$b_tmp/vmm.pub"; then
        rm -rf "$b_tmp"
        die "cannot fetch the VMM key and the bind challenge of $b_guest from $b_host ($b_relay --vmm-key --challenge $b_guest)"
    fi
    if ! sc-keygen ${b_key:+-k "$b_key"} --seal "$b_tmp/vmm.pub" --expect "$b_expect" \
            --domain "$b_dom" --challenge "$b_tmp/vmm.pub" --name "$b_vmm" --replace \
            ${b_require:+--require "$b_require"} \
            -o "$b_tmp/req"; then
        rm -rf "$b_tmp"
        exit 1
    fi
    "$@" -- "$b_host" "$b_relay --bind $b_guest" < "$b_tmp/req" > "$b_tmp/answer"
    b_rc=$?
    if [ "$b_rc" != 0 ]; then
        rm -rf "$b_tmp"
        [ "$b_rc" = 255 ] && die "ssh to $b_host failed (exit 255)"
        exit "$b_rc"
    fi
    sc-keygen ${b_key:+-k "$b_key"} --bound "$b_tmp/req" --name "$b_vmm" \
        ${b_name:+--guest "$b_name"} "$b_tmp/answer"
    b_rc=$?
    rm -rf "$b_tmp"
    exit "$b_rc"
}

[ "${1:-}" = --bind ] && { shift; console_bind "$@"; }

key=""
vmm=""
esc=""
takeover=""
accept=""
require=""
relay="sudo sc-relay"
quiet=""
wait_ms=""
until_re=""
timeout=""
host=""
dom=""
npos=0
n_ssh=0

# ssh's options, kept as positional parameters at the end: "set --" cannot
# grow a list while another is being read, so they go into numbered variables.
add_ssh() {
    n_ssh=$((n_ssh + 1))
    eval "ssh_$n_ssh=\$1"
}

# HOST, then GUEST; returns 1 for a third word, where the command begins.
add_pos() {
    case $npos in
    0) host=$1 ;;
    1) dom=$1 ;;
    *) return 1 ;;
    esac
    npos=$((npos + 1))
}

# Options come before HOST, between HOST and GUEST or after GUEST, as ssh
# takes them; the first word after GUEST (or what follows --, once HOST and
# GUEST are known) begins the command.  Our own options are ours, never
# ssh's, in a group too (-qp22: -q ours, -p 22 ssh's).
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    --version) echo "sc-console $VERSION"; exit 0 ;;
    --key|--vmm|--escape|--relay|--until|--timeout|--require)
        [ $# -ge 2 ] || die "$1 needs an argument (sc-console -h)"
        case $1 in
        --key) key=$2 ;;
        --vmm) vmm=$2 ;;
        --escape) esc=$2 ;;
        --relay) relay=$2 ;;
        --until) until_re=$2 ;;
        --timeout) timeout=$2 ;;
        --require) require=$2 ;;
        esac
        shift 2 ;;
    --key=*) key=${1#*=}; shift ;;
    --vmm=*) vmm=${1#*=}; shift ;;
    --escape=*) esc=${1#*=}; shift ;;
    --relay=*) relay=${1#*=}; shift ;;
    --until=*) until_re=${1#*=}; shift ;;
    --timeout=*) timeout=${1#*=}; shift ;;
    --takeover) takeover=1; shift ;;
    --accept-instance) accept=1; shift ;;
    --)
        shift
        while [ "$npos" -lt 2 ] && [ $# -gt 0 ]; do add_pos "$1"; shift; done
        break ;;
    --*) die "unknown option $1 (sc-console -h)" ;;
    -?*)
        # Alone or grouped (-v, -Tq, -p 22, -p22, -vp22, -qw500).
        rest=${1#-}
        shift
        while [ -n "$rest" ]; do
            c=${rest%"${rest#?}"}
            rest=${rest#?}
            case $c in
            [BbcDEeFIiJLlmOopQRSWw])
                if [ -n "$rest" ]; then
                    a=$rest
                elif [ $# -ge 1 ]; then
                    a=$1
                    shift
                elif [ "$c" = w ]; then
                    die "-w needs an argument (sc-console -h)"
                else
                    die "ssh option -$c needs an argument"
                fi
                rest=""
                case $c in
                w) wait_ms=$a ;;
                [OWQ]) die "ssh option -$c does not fit a console session" ;;
                *) add_ssh "-$c"; add_ssh "$a" ;;
                esac ;;
            q) quiet=1 ;;
            [tfNnsGVM])
                die "ssh option -$c does not fit a console session (sc-console runs ssh -T with a command)" ;;
            [46AaCgKkTvXxYy]) add_ssh "-$c" ;;
            *) die "unknown option -$c (sc-console -h)" ;;
            esac
        done ;;
    *)
        add_pos "$1" || break
        shift ;;
    esac
done

# What is left is the command, its words joined with spaces as ssh joins them.
cmd=""
script=""
if [ $# -gt 0 ]; then
    cmd="$*"
    script=cmd
fi
[ "$npos" -eq 2 ] || { usage >&2; exit "$EX_OPER"; }
case $host in
''|-*) die "$host: not a host name" ;;
esac
case $dom in
''|-*|*[!A-Za-z0-9._@+-]*) die "$dom: not a domain id, name or UUID" ;;
esac
# sc-enc names the guest inside its hello when it was named (not an id).
guest=""
case $dom in *[!0-9]*) guest=$dom ;; esac

if [ -n "$script" ]; then
    case $cmd in
    *[!\ \	]*) ;;
    *) die "the command is empty" ;;
    esac
fi
if [ -n "$until_re" ]; then
    [ -z "$script" ] || die "--until and a command do not go together (a command's end is waited for)"
    script=until
fi
if [ -n "$timeout" ]; then
    [ -n "$script" ] || die "--timeout is for a command or --until (an interactive session has none)"
    case $timeout in
    *[!0-9]*|0*) die "--timeout $timeout: whole seconds from 1" ;;
    esac
fi
timeout=${timeout:-60}
case $wait_ms in
*[!0-9]*) die "-w $wait_ms: milliseconds from 0" ;;
esac

# Our own arguments are checked before ssh runs (which may ask for a
# password first): the escape, the key, the VMM's pin.
case $esc in
''|?|'^'?|none) ;;
*) die "--escape $esc: one character, ^X for a control key, or none" ;;
esac
[ -n "${XDG_CONFIG_HOME:-}${HOME:-}" ] || die "neither XDG_CONFIG_HOME nor HOME is set"
cfg="${XDG_CONFIG_HOME:-${HOME:-}/.config}/sccrypt"
kf=${key:-${SCCRYPT_KEY:-$cfg/key}}
if [ ! -f "$kf" ] || [ ! -r "$kf" ]; then
    die "$kf: cannot read the console key (make one with sc-keygen, or name it with --key FILE)"
fi
# The key's form and mode, as sc-enc and sc-dec check them (sc-keygen's words).
if ! err=$(sc-keygen -l -k "$kf" 2>&1 > /dev/null); then
    die "${err#sc-keygen: }"
fi
kv="$cfg/known_vmms"
pinned() {
    [ -f "$kv" ] && awk -v n="$1" '$1 == n { f = 1 } END { exit !f }' "$kv"
}

# The VMM pinned for this host: the host part of [user@]host, or of
# ssh://[user@]host[:port].
if [ -z "$vmm" ]; then
    name=${host#ssh://}
    name=${name##*@}
    case $host in ssh://*) name=${name%%[:/]*} ;; esac
    case $name in
    ''|*[!A-Za-z0-9._-]*)
        die "$host: cannot name a VMM after this host; name the VMM with --vmm NAME" ;;
    esac
    if ! pinned "$name"; then
        die "no VMM key pinned for host $name in $kv: bind with sc-console --bind --expect SHA256:... $name GUEST, or pin it alone (ssh $name sudo sc-relay --vmm-key | sc-keygen --pin - --expect SHA256:... --name $name), or name a pinned VMM with --vmm NAME"
    fi
    vmm=$name
elif ! pinned "$vmm"; then
    die "--vmm $vmm: no VMM of that name in $kv (sc-keygen --seal ... --name $vmm pins one)"
fi

[ -n "$key" ] && { SCCRYPT_KEY=$key; export SCCRYPT_KEY; }

# The ssh command line: -T, the user's options, the host, the relay command.
set -- ssh -T
i=1
while [ "$i" -le "$n_ssh" ]; do
    eval "set -- \"\$@\" \"\$ssh_$i\""
    i=$((i + 1))
done
set -- "$@" -- "$host" "$relay${takeover:+ --takeover} $dom"

# The interactive session: sc-enc reads our stdin (the terminal), sc-dec
# writes to our stdout.  One process group for the three (sc-enc and sc-dec
# meet by it); each stage's status comes back on descriptor 3.
session() {
    exec 4>&1
    st=$(
        {
            { sc-enc -V "$vmm" ${esc:+-e "$esc"} ${wait_ms:+-w "$wait_ms"} ${guest:+-g "$guest"} 3>&- 4>&-
              echo "enc=$?" >&3; } |
            { "$@" 3>&- 4>&-; echo "ssh=$?" >&3; } |
            { sc-dec -V "$vmm" ${accept:+-A} ${quiet:+-q} ${require:+-r "$require"} 3>&- >&4 4>&-; echo "dec=$?" >&3; }
        } 3>&1
    )
    exec 4>&-
}

# A script's session (a command, or --until): sc-enc's input stays open
# until the guest's output has shown what was waited for (sc-dec -u closes
# its output there), or until the timeout; then it closes, and the session
# ends as any other, authenticated, once the guest is quiet.  Nothing here
# rests on the quiet time: a session that ends before the match is not a
# success (sc-dec's 9).  Files in $tmp: end (close the input now), timedout,
# killed (the session did not end within a grace time after the input
# closed: ssh was stopped), ssh.pid, status (the command's).
tmp=""
script_session() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-console.XXXXXX") || die "cannot make a temporary directory"
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkfifo "$tmp/out" || die "cannot make a FIFO in $tmp"
    if [ "$script" = cmd ]; then
        # The markers are printed by the guest's shell in a form that its
        # echo of the line we type cannot take: "SCB""nonce" is echoed as
        # typed and printed as SCBnonce.  The command runs in a subshell, so
        # that its exit ends only it, and its status follows the end marker.
        nonce=$(od -An -N8 -tx1 /dev/urandom | tr -dc '0-9a-f')
        [ ${#nonce} -eq 16 ] || die "cannot read /dev/urandom"
        line=$(printf 'echo "SCB""%s"; (\n%s\n); echo "SCE""%s:$?:"' "$nonce" "$cmd" "$nonce")
        re="SCE$nonce:[0-9]+:"
    else
        re=$until_re
        exec 5<&0
    fi
    # The timer: the input closes at the timeout; if the session has not
    # ended some time after that (a guest that is never quiet, a relay that
    # holds the stream), ssh is stopped.
    (
        n=0
        while [ ! -e "$tmp/end" ]; do
            if [ "$n" -ge "$timeout" ]; then
                : > "$tmp/timedout"
                : > "$tmp/end"
                break
            fi
            sleep 1
            n=$((n + 1))
        done
        n=0
        while [ ! -e "$tmp/done" ]; do
            if [ "$n" -ge $((10 + ${wait_ms:-1000} / 1000)) ]; then
                : > "$tmp/killed"
                [ -s "$tmp/ssh.pid" ] && kill "$(cat "$tmp/ssh.pid")" 2> /dev/null
                break
            fi
            sleep 1
            n=$((n + 1))
        done
    ) < /dev/null > /dev/null 2>&1 &
    timer=$!
    exec 4>&1
    st=$(
        {
            { feed 3>&- 4>&- | sc-enc -V "$vmm" ${wait_ms:+-w "$wait_ms"} ${guest:+-g "$guest"} 3>&- 4>&-
              echo "enc=$?" >&3; } |
            { sh -c 'echo $$ > "$0"; exec "$@"' "$tmp/ssh.pid" "$@" 3>&- 4>&-
              echo "ssh=$?" >&3; } |
            { (exec sc-dec -V "$vmm" ${accept:+-A} ${quiet:+-q} ${require:+-r "$require"} -u "$re" > "$tmp/out" 3>&- 4>&-)
              echo "dec=$?" >&3; } &
            # sc-dec's output through a FIFO that only sc-dec holds open (a
            # shell may open a command's redirection before it forks: hence
            # the exec in a subshell), so that it ends for us at the match.
            watch_output < "$tmp/out" 3>&- >&4 4>&-
            : > "$tmp/end"
            wait
        } 3>&1
    )
    exec 4>&-
    : > "$tmp/done"
    kill "$timer" 2> /dev/null
    wait "$timer" 2> /dev/null
}

# sc-enc's input in a script's session: the command's line, or our stdin,
# then open until the end is waited for.
feed() {
    if [ "$script" = cmd ]; then
        printf '%s\n' "$line"
    else
        cat <&5 5<&- &
        cat=$!
    fi
    exec 5<&-
    while [ ! -e "$tmp/end" ]; do
        sleep 0.1 2> /dev/null || sleep 1
    done
    [ -n "${cat:-}" ] && kill "$cat" 2> /dev/null
    # A command still running at the timeout gets the guest's ^C.
    [ "$script" = cmd ] && [ -e "$tmp/timedout" ] && printf '\003'
    return 0
}

# sc-dec's output in a script's session: for a command, what it printed
# between the markers, without CRs, and its status into $tmp/status; for
# --until, all of it.
watch_output() {
    if [ "$script" = cmd ]; then
        awk -v b="SCB$nonce" -v e="SCE$nonce:" -v sf="$tmp/status" '
            { gsub(/\r/, "") }
            # the begin marker ends its line (the shell may print continuation prompts before it)
            !on { if (length($0) >= length(b) && substr($0, length($0) - length(b) + 1) == b) on = 1; next }
            (i = index($0, e)) > 0 {
                printf "%s", substr($0, 1, i - 1)
                s = substr($0, i + length(e)); sub(/:.*/, "", s)
                print s > sf
                exit
            }
            { print; fflush() }'
    else
        cat
    fi
}

if [ -n "$script" ]; then
    script_session "$@"
else
    session "$@"
fi
sshst=$(printf '%s\n' "$st" | sed -n 's/^ssh=//p')
dec=$(printf '%s\n' "$st" | sed -n 's/^dec=//p')

# sc-dec's verdict on the stream comes first: it alone can tell what the VMM
# said from what dom0 says.  Its 1 (a forged, reordered or cut stream), 8
# (another instance) and 10 (a seal below --require) stand whatever the
# relay's status (nothing was sent for 8 and 10);
# its 0 is the VMM's authenticated end after all of our input, whatever ssh
# or sc-enc reported afterwards.
if [ -n "$script" ] && [ -e "$tmp/killed" ]; then
    printf 'sc-console: no end of the session within %s s after the input closed (timeout %s s); ssh stopped\n' \
        $((10 + ${wait_ms:-1000} / 1000)) "$timeout" >&2
    exit "$EX_NOMATCH"
fi
case ${dec:-} in
1|8|10) exit "$dec" ;;
esac
if [ "${dec:-}" = 0 ]; then
    [ "$script" = cmd ] || exit 0
    s=$(cat "$tmp/status" 2> /dev/null)
    case $s in
    ''|*[!0-9]*)
        echo "sc-console: the command's end came without its status" >&2
        exit "$EX_NOMATCH" ;;
    esac
    exit "$s"
fi
if [ "${dec:-}" = "$EX_NOMATCH" ]; then
    if [ -e "$tmp/timedout" ]; then
        printf 'sc-console: timed out after %s s: %s\n' "$timeout" \
            "$([ "$script" = cmd ] && echo "the command had not ended (is the guest at a shell prompt?)" ||
               echo "the guest's output had not matched --until")" >&2
    else
        printf 'sc-console: the session ended before %s\n' \
            "$([ "$script" = cmd ] && echo "the command's end (is the guest at a shell prompt?)" ||
               echo "the guest's output matched --until")" >&2
    fi
    exit "$EX_NOMATCH"
fi
case ${dec:-} in
3|4|5|6|7) exit "$dec" ;;
esac
case $sshst in
3|4|5|6|7) exit "$sshst" ;;
255) printf 'sc-console: ssh to %s failed (exit 255)\n' "$host" >&2; exit "$EX_OPER" ;;
esac
[ -n "${dec:-}" ] && exit "$dec"
exit "$EX_OPER"
