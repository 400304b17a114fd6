#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-enc alone and through the VMM engine (test/tools/vmm_harness).

bats_require_minimum_version 1.5.0

load helpers

setup() {
    setup_home
}

@test "sc-enc -h prints usage on stdout and exits 0" {
    run -0 sc-enc -h
    [[ "$output" == usage:* ]]
}

@test "sc-enc --version prints its name and version" {
    run -0 sc-enc --version
    [[ "$output" =~ ^sc-enc\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-enc rejects bad options with exit 2" {
    run -2 sc-enc -e ab
    [ "$output" = "sc-enc: -e ab: the escape must be one character, ^X or none" ]
    run -2 sc-enc -t 0
    [ "$output" = "sc-enc: -t 0: seconds from 1 to 86400" ]
    run -2 sc-enc -w -5
    [ "$output" = "sc-enc: -w -5: milliseconds from 0 to 4294967295" ]
    run -2 sc-enc extra
}

@test "sc-enc exits 2 without a key and says how to make one" {
    run -2 sc-enc < /dev/null
    [ "$output" = "sc-enc: $XDG_CONFIG_HOME/sccrypt/key: no such key file (create one with sc-keygen)" ]
}

@test "sc-enc refuses a key that group or others can read" {
    setup_vmm
    chmod 640 "$XDG_CONFIG_HOME/sccrypt/key"
    run -2 sc-enc < /dev/null
    f="$XDG_CONFIG_HOME/sccrypt/key"
    [ "$output" = "sc-enc: $f: group or others can access the key file; run chmod 600 $f" ]
}

@test "sc-enc exits 2 when no VMM is known" {
    sc-keygen > /dev/null 2>&1
    run -2 sc-enc < /dev/null
    [ "$output" = "sc-enc: no known VMM; run sc-keygen --seal" ]
}

@test "sc-enc -V names an unknown VMM: exit 2" {
    setup_vmm
    run -2 sc-enc -V nosuch < /dev/null
    [ "$output" = "sc-enc: no known VMM named nosuch in $XDG_CONFIG_HOME/sccrypt/known_vmms; run sc-keygen --seal --name nosuch" ]
}

@test "sc-enc refuses a rendezvous directory that others can enter" {
    setup_vmm
    mkdir -p "$XDG_RUNTIME_DIR/sccrypt"
    chmod 755 "$XDG_RUNTIME_DIR/sccrypt"
    run -2 sc-enc < /dev/null
    [ "$output" = "sc-enc: $XDG_RUNTIME_DIR/sccrypt: the rendezvous directory must be a directory (not a symlink) owned by you with mode 0700; fix or remove it" ]
}

@test "sc-enc refuses a rendezvous directory that is a symlink" {
    setup_vmm
    mkdir -m 700 real
    ln -s "$PWD/real" "$XDG_RUNTIME_DIR/sccrypt"
    run -2 sc-enc < /dev/null
    [[ "$output" == *"the rendezvous directory must be a directory (not a symlink)"* ]]
}

@test "sc-enc sends only the 70-byte hello before the handshake and exits 2 when no answer comes" {
    setup_vmm
    printf 'secret typed early\n' > in
    run -2 --separate-stderr bash -c 'sc-enc -t 1 < in > wire'
    [ "$stderr" = "sc-enc: no answer from the VMM within 1 s: is sc-dec reading the relay's output?" ]
    [ "$(stat -c %s wire)" = 70 ]
    [ "$(frame_lengths wire)" = 68 ]
    # the hello file (it holds the ephemeral secret) is gone
    [ -z "$(ls -A "$XDG_RUNTIME_DIR/sccrypt")" ]
}

@test "sc-enc says the output closed (not a silent SIGPIPE) and exits 2" {
    setup_vmm
    run -0 bash -c 'sc-enc -t 5 < /dev/zero 2> err | true; echo "${PIPESTATUS[0]}"'
    [ "$output" = 2 ]
    [ "$(cat err)" = "sc-enc: output closed (the relay or ssh ended): Broken pipe" ]
}

@test "sc-enc sends nothing but the hello when sc-dec refuses the answer" {
    setup_vmm
    printf 'abc\n' > in
    OUT_T="flip 0"
    session
    [ "$ENC_RC" = 1 ]
    [ "$(cat enc.err)" = "sc-enc: the VMM's answer failed authentication (see sc-dec)" ]
    [ "$(frame_lengths wire.in)" = 68 ]
}

# Issue 11: without obfuscation (not a terminal, or -N) sc-enc pads no
# record: with C the size of an empty chaff record, 4 bytes of data are
# C + 4 and the close (reason and quiet time) C + 5.  Protocol v1 padded every
# record to a 48-byte body.
@test "sc-enc sends the liveness chaff at once, then one bulk record and an EOF close for piped input, none padded" {
    setup_vmm
    printf 'abc\n' > in
    session
    [ "$ENC_RC" = 0 ]
    [ "$H_RC" = 0 ]
    [ "$DEC_RC" = 0 ]
    [ "$(cat out)" = abc ]
    mapfile -t l < <(frame_lengths wire.in)
    [ "${#l[@]}" = 4 ]
    [ "${l[0]}" = 68 ]
    # chaff is its type and tag (17), data and the close add what they carry
    c=${l[1]}
    [ "$c" = 17 ]
    [ "${l[2]}" = $((c + 4)) ]
    [ "${l[3]}" = $((c + 5)) ]
    [ "$(stat -c %s wire.in)" = $((70 + 2 + l[1] + 2 + l[2] + 2 + l[3])) ]
}

@test "sc-enc seals piped input into as few records as fit and writes them in one write" {
    command -v strace > /dev/null || skip "strace is not installed"
    setup_vmm
    head -c 3000 /dev/urandom > in
    { r=0; strace -qq -o trace -e trace=write sc-enc < in 2> enc.err || r=$?; echo $r > enc.rc; } |
        tee wire.in | { r=0; harness 2> h.err || r=$?; echo $r > h.rc; } |
        { r=0; sc-dec > out 2> dec.err || r=$?; echo $r > dec.rc; }
    [ "$(cat enc.rc)" = 0 ]
    [ "$(cat dec.rc)" = 0 ]
    cmp in out
    # the hello, the liveness chaff, then the data and the close in one write
    [ "$(grep -c '^write(1,' trace)" = 3 ]
    [ "$(grep '^write(1,' trace | tail -n 1 | sed 's/.* = //')" = $(($(stat -c %s wire.in) - 70 - 2 - $(frame_lengths wire.in | sed -n 2p))) ]
    # input records of up to 2048 bytes of data: 3000 bytes take two
    [ "$(frame_lengths wire.in | wc -l)" -le 6 ]
}

# Issue 11: sc-enc looked for the answer every 10 ms (5 ms of start-up on
# average); it now wakes when the answer arrives in the rendezvous
# (inotify), looking every 100 ms at most, or every 10 ms without a watch.
@test "sc-enc waits for the VMM's answer without looking every 10 ms, and wakes when it comes" {
    command -v strace > /dev/null || skip "strace is not installed"
    setup_vmm
    : > in
    { r=0; strace -qq -o trace -e trace=poll,ppoll sc-enc < in 2> enc.err || r=$?; echo $r > enc.rc; } |
        { r=0; harness 2> h.err || r=$?; echo $r > h.rc; } |
        { sleep 1.5; r=0; sc-dec > out 2> dec.err || r=$?; echo $r > dec.rc; }
    [ "$(cat enc.rc)" = 0 ]
    [ "$(cat dec.rc)" = 0 ]
    # 1.5 s of waiting: some 150 looks at 10 ms, 15 at 100 ms
    [ "$(grep -cE '^p?poll\(' trace)" -lt 40 ]
}

@test "sc-enc's hellos and records differ between two sessions of the same input" {
    setup_vmm
    printf 'abc\n' > in
    session
    cp wire.in w1
    session
    run ! cmp -s w1 wire.in
    [ "$(head -c 70 w1 | od -An -tx1)" != "$(head -c 70 wire.in | od -An -tx1)" ]
}

@test "sc-enc -w sets the quiet time after end of input" {
    setup_vmm
    printf 'abc\n' > in
    ENC_ARGS="-w 1500"
    start=$(date +%s%N)
    session
    end=$(date +%s%N)
    [ "$DEC_RC" = 0 ]
    [ $(( (end - start) / 1000000 )) -ge 1400 ]
    ENC_ARGS="-w 0"
    start=$(date +%s%N)
    session
    end=$(date +%s%N)
    [ "$DEC_RC" = 0 ]
    [ $(( (end - start) / 1000000 )) -lt 1400 ]
}

@test "sc-enc leaves no rendezvous files behind after a session" {
    setup_vmm
    printf 'abc\n' > in
    session
    [ "$DEC_RC" = 0 ]
    [ -z "$(ls -A "$XDG_RUNTIME_DIR/sccrypt")" ]
}

@test "sc-enc uses SCCRYPT_KEY and SCCRYPT_VMM" {
    setup_vmm
    mv "$XDG_CONFIG_HOME/sccrypt/key" mykey
    sed -i 's/^default /vmm1 /' "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    echo "default SHA256:$(printf 'x%.0s' {1..43}) $(hex32)" >> /dev/null
    printf 'abc\n' > in
    export SCCRYPT_KEY=mykey SCCRYPT_VMM=vmm1
    session
    [ "$ENC_RC" = 0 ] && [ "$DEC_RC" = 0 ]
    [ "$(cat out)" = abc ]
}

# Issue 9 item 5: a held escape at the very edge of the full pending buffer
# used to add one byte past it (the room ignored the held ~), overwriting
# sc-enc's state.  sc-dec starts 3 s late, so the paste piled up unsent while
# sc-enc waited for the answer; since issue 10 sc-enc leaves a terminal alone
# until the answer (ssh may be asking it for a password), so the paste now
# comes after the handshake, and the buffer fills this way only in chaff mode.
@test "a 64 KiB paste ending in Enter and ~ at the edge of sc-enc's full buffer reaches the guest intact" {
    setup_vmm
    { head -c 65534 /dev/zero | tr '\0' a; printf '\n~x'; head -c 5000 /dev/zero | tr '\0' b
      printf '\n'; } > paste
    { wait_size glog "$(stat -c %s paste)"; printf '~.'; } |
        { r=0; ptyfeed paste sc-enc -N 2> enc.err || r=$?; echo $r > enc.rc; } |
        { r=0; harness --guest sink --guest-log glog 2> h.err || r=$?; echo $r > h.rc; } |
        { sleep 3; r=0; sc-dec > out 2> dec.err || r=$?; echo $r > dec.rc; }
    [ "$(cat enc.rc)" = 0 ]
    [ "$(cat enc.err)" = "$(printf '\r\nsc-enc: session closed\r')" ]
    cmp glog paste
}
