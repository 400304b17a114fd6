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

usage() {
    cat <<'EOF'
usage: sc-console [--key FILE] [--vmm NAME] [--escape CHAR] [--takeover]
                  [--accept-instance] [--relay COMMAND] [ssh options] HOST GUEST
       sc-console --bind [--key FILE] [--vmm NAME] [--uuid UUID] [--relay COMMAND]
                  --expect FINGERPRINT [ssh options] HOST GUEST
       sc-console -h | --help | --version
  GUEST             a domain id, or the name or UUID it was bound by
  --key FILE        console key for sc-enc and sc-dec (default $SCCRYPT_KEY,
                    else ~/.config/sccrypt/key)
  --vmm NAME        the VMM from known_vmms (default: the one pinned under HOST's name)
  --escape CHAR     sc-enc's escape character (default $SCCRYPT_ESCAPE, else ~)
  --takeover        take over a console another session holds
  --accept-instance accept and remember another domain instance than last time
  --relay COMMAND   the remote command before the domain (default "sudo sc-relay")
  ssh options (-p PORT, -i FILE, -o OPT, -J HOST, -l USER, -v, ...) go to ssh
exit: 0 clean end, 1 integrity failure, 2 error (ssh could not connect),
      3 the VMM refused, 4 the relay ended the session, 5 the relay's policy
      refused, 6 the console is busy, 7 the domain is not bound, 8 another
      domain instance than last time, not accepted
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
    b_key="" b_vmm="" b_uuid="" b_expect="" b_relay="sudo sc-relay" b_n=0
    while [ $# -gt 0 ]; do
        case $1 in
        --key|--vmm|--uuid|--expect|--relay)
            [ $# -ge 2 ] || die "$1 needs an argument (sc-console -h)"
            case $1 in
            --key) b_key=$2 ;; --vmm) b_vmm=$2 ;; --uuid) b_uuid=$2 ;;
            --expect) b_expect=$2 ;; --relay) b_relay=$2 ;;
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
relay="sudo sc-relay"
n_ssh=0

# ssh's options, kept as positional parameters at the end: "set --" cannot
# grow a list while another is being read, so they go into numbered variables.
add_ssh() {
    n_ssh=$((n_ssh + 1))
    eval "ssh_$n_ssh=\$1"
}

while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    --version) echo "sc-console $VERSION"; exit 0 ;;
    --key|--vmm|--escape|--relay)
        [ $# -ge 2 ] || die "$1 needs an argument (sc-console -h)"
        case $1 in
        --key) key=$2 ;;
        --vmm) vmm=$2 ;;
        --escape) esc=$2 ;;
        --relay) relay=$2 ;;
        esac
        shift 2 ;;
    --key=*) key=${1#*=}; shift ;;
    --vmm=*) vmm=${1#*=}; shift ;;
    --escape=*) esc=${1#*=}; shift ;;
    --relay=*) relay=${1#*=}; shift ;;
    --takeover) takeover=1; shift ;;
    --accept-instance) accept=1; shift ;;
    --) shift; break ;;
    --*) die "unknown option $1 (sc-console -h)" ;;
    -?*)
        # ssh's options, alone or grouped (-v, -Tq, -p 22, -p22, -vp22).
        rest=${1#-}
        arg=$1
        shift
        add_ssh "$arg"
        while [ -n "$rest" ]; do
            c=${rest%"${rest#?}"}
            rest=${rest#?}
            case $c in
            [BbcDEeFIiJLlmOopQRSWw])
                if [ -z "$rest" ]; then
                    [ $# -ge 1 ] || die "ssh option -$c needs an argument"
                    add_ssh "$1"
                    shift
                fi
                case $c in
                [OWQ]) die "ssh option -$c does not fit a console session" ;;
                esac
                rest="" ;;
            [tfNnsGVM])
                die "ssh option -$c does not fit a console session (sc-console runs ssh -T with a command)" ;;
            [46AaCgKkqTvXxYy]) ;;
            *) die "unknown ssh option -$c (sc-console -h)" ;;
            esac
        done ;;
    *) break ;;
    esac
done

[ $# -eq 2 ] || { usage >&2; exit "$EX_OPER"; }
host=$1
dom=$2
case $host in
''|-*) die "$host: not a host name" ;;
esac
case $dom in
''|-*|*[!A-Za-z0-9._@+-]*) die "$dom: not a domain id, name or UUID" ;;
esac

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
    kv="${XDG_CONFIG_HOME:-${HOME:-}/.config}/sccrypt/known_vmms"
    [ -n "${XDG_CONFIG_HOME:-}${HOME:-}" ] || die "neither XDG_CONFIG_HOME nor HOME is set"
    if [ ! -f "$kv" ] || ! awk -v n="$name" '$1 == n { f = 1 } END { exit !f }' "$kv"; then
        die "no VMM key pinned for host $name in $kv: pin it when you bind (sc-keygen --seal vmm.pub --expect SHA256:... --domain UUID --name $name), or name a pinned VMM with --vmm NAME"
    fi
    vmm=$name
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

# One process group for the three (sc-enc and sc-dec meet by it); each
# stage's status comes back on descriptor 3, sc-dec's output goes to ours.
exec 4>&1
st=$(
    {
        { sc-enc -V "$vmm" ${esc:+-e "$esc"} $(case $dom in *[!0-9]*) echo "-g $dom" ;; esac) 3>&- 4>&-; echo "enc=$?" >&3; } |
        { "$@" 3>&- 4>&-; echo "ssh=$?" >&3; } |
        { sc-dec -V "$vmm" ${accept:+-A} 3>&- >&4 4>&-; echo "dec=$?" >&3; }
    } 3>&1
)
exec 4>&-
enc=$(printf '%s\n' "$st" | sed -n 's/^enc=//p')
sshst=$(printf '%s\n' "$st" | sed -n 's/^ssh=//p')
dec=$(printf '%s\n' "$st" | sed -n 's/^dec=//p')

# sc-dec refused another domain instance: nothing was sent, whatever the relay did then.
[ "${dec:-}" = 8 ] && exit 8
case $sshst in
3|4|5|6|7) exit "$sshst" ;;
255) printf 'sc-console: ssh to %s failed (exit 255)\n' "$host" >&2; exit "$EX_OPER" ;;
esac
if [ "${dec:-2}" != 0 ]; then
    exit "${dec:-2}"
fi
[ "${enc:-2}" = 0 ] || exit "$EX_OPER"
[ "${sshst:-2}" = 0 ] || exit "$EX_OPER"
exit 0
