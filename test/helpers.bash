# SPDX-License-Identifier: MIT
bats_require_minimum_version 1.5.0
# Shared helpers for the client tools' bats tests.

UUID=12345678-1234-1234-1234-123456789abc
UUID2=87654321-4321-4321-4321-cba987654321

# A private HOME and XDG directories for one test; bin/ and bin/test/ first on PATH.
setup_home() {
    export HOME="$BATS_TEST_TMPDIR/home"
    export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/cfg"
    export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
    unset SCCRYPT_KEY SCCRYPT_VMM
    # The simulator's honest seal level is the weakest (a user-space process
    # seals nothing, sccrypt(7) LEVELS): the tests accept it explicitly, as a
    # user must; test/level.bats runs without this and sees the refusal.
    export SCCRYPT_REQUIRE=none
    PATH="$BATS_TEST_DIRNAME/../bin:$BATS_TEST_DIRNAME/../bin/test:$PATH"
    cd "$BATS_TEST_TMPDIR" || return 1
}

hex32() {
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# hex on stdin -> bytes on stdout
unhex() {
    local h
    h=$(tr -d ' \n')
    # shellcheck disable=SC2059
    printf "$(printf '%s' "$h" | sed 's/../\\x&/g')"
}

# The expected "SHA256:..." of the bytes on stdin.
sha256_fp() {
    printf 'SHA256:%s\n' "$(sha256sum | cut -d' ' -f1 | unhex | base64 -w0 | tr -d '=')"
}

# A key, a VMM (the harness) and a bind request for $UUID in req, sealed for
# the challenge of the first domain the harness makes (chal; chal1: the second's).
setup_vmm() {
    SEC=$(hex32)
    vmm_harness pub "$SEC" > vmm.pub
    vmm_harness challenge "$SEC" 0 > chal
    vmm_harness challenge "$SEC" 1 > chal1
    VMMFP=$(sc-keygen --vmm-fingerprint vmm.pub)
    sc-keygen > /dev/null 2>&1
    sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge chal -o req 2> /dev/null
}

# One binding keeps one instance id across sessions (sc-dec refuses another
# one unless told, sc-dec -A): the harness binds afresh each run, so it is
# given the same instance every time unless a test says otherwise.
INSTANCE=5eed0000000000000000000000000001
harness() {
    vmm_harness run --secret "$SEC" --bind req --uuid "$UUID" --instance "$INSTANCE" "$@"
}

# session: sc-enc < $INPUT | tamper $IN_T | harness $H_ARGS | tamper $OUT_T | sc-dec > out
# Stage statuses in ENC_RC H_RC DEC_RC; stderr in enc.err h.err dec.err; wire copies in
# wire.in (what sc-enc wrote) and wire.out (what the harness wrote).
session() {
    # shellcheck disable=SC2086
    { r=0; sc-enc $ENC_ARGS < "${INPUT:-in}" 2> enc.err || r=$?; echo $r > enc.rc; } | tee wire.in |
        tamper ${IN_T:-pass} |
        { r=0; harness ${H_ARGS:-} 2> h.err || r=$?; echo $r > h.rc; } | tee wire.out |
        tamper ${OUT_T:-pass} |
        { r=0; sc-dec $DEC_ARGS > out 2> dec.err || r=$?; echo $r > dec.rc; }
    ENC_RC=$(cat enc.rc) H_RC=$(cat h.rc) DEC_RC=$(cat dec.rc)
}

# Frame body lengths of a stream file, one per line.
frame_lengths() {
    od -An -v -tu1 "$1" | tr -s ' ' '\n' | sed '/^$/d' | awk '
        BEGIN { need = 0; state = 0 }
        { if (state == 0) { hi = $1; state = 1 }
          else if (state == 1) { len = hi * 256 + $1; print len; skip = len; state = (skip ? 2 : 0) }
          else { skip--; if (skip == 0) state = 0 } }'
}

# Waits up to 20 s until file $1 holds at least $2 bytes (then returns 0 either way).
wait_size() {
    for _ in $(seq 400); do
        [ -e "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 0
}
