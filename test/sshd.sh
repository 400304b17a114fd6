# SPDX-License-Identifier: MIT
# Shared by the tests and the bench that need a real sshd and a private /etc
# (test/ssh_helpers.bash, test/bench/run.sh).  Sourced by bash.

# copy_etc DEST: a copy of /etc for a private mount namespace.  Retried: a
# useradd elsewhere on the machine holds lock files that vanish mid-copy.
copy_etc() {
    local _
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        rm -rf "$1"
        cp -a /etc "$1" 2> /dev/null && return 0
        sleep 0.2
    done
    rm -rf "$1"
    cp -a /etc "$1"
}

# private_etc DIR USER HOME: a copy of /etc in DIR/etc (with DIR/etc/sccrypt)
# that a private mount namespace shows in place of /etc, held by a sleeping
# process NSPID; NS is the prefix that runs a command in it.  USER is added
# there (no password, not locked; SSH_PASSWORD when set) with HOME and a uid
# of its own; TUID is its uid.  The machine's /etc is not touched.  The
# caller kills NSPID when done.
private_etc() {
    local _
    copy_etc "$1/etc"
    mkdir -p -m 755 "$1/etc/sccrypt"
    unshare -m --propagation private sh -c 'mount --bind "$1/etc" /etc && exec sleep 100000' \
        ns "$1" > /dev/null 2>&1 3>&- &
    NSPID=$!
    for _ in $(seq 100); do
        nsenter -t "$NSPID" -m test -d /etc/sccrypt 2> /dev/null && break
        sleep 0.05
    done
    NS="nsenter -t $NSPID -m --"
    $NS test -d /etc/sccrypt
    # A uid no other run shares: another run's copy of /etc would give its
    # user the same first free uid, and its teardown, which kills that uid's
    # processes, would kill this run's sshd session.
    TUID=$(( 30000 + $$ % 20000 ))
    while $NS getent passwd "$TUID" > /dev/null || getent passwd "$TUID" > /dev/null; do
        TUID=$(( TUID + 1 ))
    done
    $NS useradd -M -u "$TUID" -d "$3" -s /bin/sh "$2"
    if [ -n "${SSH_PASSWORD:-}" ]; then
        $NS usermod -p "$(openssl passwd -6 "$SSH_PASSWORD")" "$2"
    else
        $NS usermod -p '*' "$2"
    fi
    TUID=$($NS id -u "$2")
}

# start_sshd DIR USER [PREFIX...]: Debian's sshd on a free port of 127.0.0.1
# for USER only, with its own host key (DIR/host_key) and config
# (DIR/sshd_config), keys in DIR/keys/%u, pid in DIR/sshd.pid, log in
# DIR/sshd.log; run through PREFIX (nsenter into a mount namespace, say).
# Sets PORT; fails when no port worked.  With SSH_PASSWORD set, sshd also
# takes the user's password (PasswordAuthentication yes).
start_sshd() {
    local dir=$1 user=$2 _try _ pwauth=no
    [ -n "${SSH_PASSWORD:-}" ] && pwauth=yes
    shift 2
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
    for _try in $(seq 20); do
        PORT=$(( 20000 + (RANDOM % 40000) ))
        cat > "$dir/sshd_config" <<EOF2
Port $PORT
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/keys/%u
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication $pwauth
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
LogLevel ERROR
EOF2
        rm -f "$dir/sshd.pid"
        "$@" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || true   # port taken
        for _ in $(seq 50); do [ -s "$dir/sshd.pid" ] && break; sleep 0.05; done
        [ -s "$dir/sshd.pid" ] && return 0
    done
    cat "$dir/sshd.log" >&2
    return 1
}
