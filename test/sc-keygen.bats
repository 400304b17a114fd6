#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# sc-keygen: key generation, fingerprints, sealing bind requests.

bats_require_minimum_version 1.5.0

load helpers

setup() {
    setup_home
}

key_hex() {
    cut -d' ' -f2 "$1"
}

@test "sc-keygen -h prints usage on stdout and exits 0" {
    run -0 sc-keygen -h
    [[ "$output" == usage:* ]]
}

@test "sc-keygen --version prints its name and version" {
    run -0 sc-keygen --version
    [[ "$output" =~ ^sc-keygen\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sc-keygen rejects an unknown option with exit 2" {
    run -2 sc-keygen --bogus
}

@test "sc-keygen creates a 0600 key under XDG_CONFIG_HOME in 0700 directories and prints its fingerprint" {
    run -0 --separate-stderr sc-keygen
    f="$XDG_CONFIG_HOME/sccrypt/key"
    [ "$(stat -c %a "$f")" = 600 ]
    [ "$(stat -c %a "$XDG_CONFIG_HOME/sccrypt")" = 700 ]
    [[ "$(cat "$f")" =~ ^sccrypt-key-v1\ [0-9a-f]{64}$ ]]
    [ "$(stat -c %s "$f")" = 80 ]
    want=$( (printf 'sccrypt v1 key id'; key_hex "$f" | unhex) | sha256_fp)
    [ "$output" = "$want" ]
    [ "$stderr" = "sc-keygen: wrote the console key to $f" ]
}

@test "sc-keygen falls back to ~/.config when XDG_CONFIG_HOME is unset" {
    unset XDG_CONFIG_HOME
    run -0 sc-keygen
    [ -f "$HOME/.config/sccrypt/key" ]
}

@test "sc-keygen never prints key material" {
    run -0 sc-keygen
    run ! grep -q "$(key_hex "$XDG_CONFIG_HOME/sccrypt/key")" <<< "$output"
}

@test "sc-keygen refuses to overwrite a key without -f" {
    sc-keygen > /dev/null 2>&1
    before=$(cat "$XDG_CONFIG_HOME/sccrypt/key")
    run -2 sc-keygen
    [ "$output" = "sc-keygen: $XDG_CONFIG_HOME/sccrypt/key: the key file exists; use -f to overwrite it" ]
    [ "$(cat "$XDG_CONFIG_HOME/sccrypt/key")" = "$before" ]
}

@test "sc-keygen -f replaces the key, still mode 0600" {
    sc-keygen > /dev/null 2>&1
    before=$(cat "$XDG_CONFIG_HOME/sccrypt/key")
    run -0 sc-keygen -f
    [ "$(cat "$XDG_CONFIG_HOME/sccrypt/key")" != "$before" ]
    [ "$(stat -c %a "$XDG_CONFIG_HOME/sccrypt/key")" = 600 ]
}

@test "sc-keygen does not follow a symlink planted at the key path" {
    mkdir -p "$XDG_CONFIG_HOME/sccrypt"
    ln -s "$BATS_TEST_TMPDIR/elsewhere" "$XDG_CONFIG_HOME/sccrypt/key"
    run -2 sc-keygen
    [ ! -e "$BATS_TEST_TMPDIR/elsewhere" ]
}

@test "sc-keygen -k writes the key where asked and SCCRYPT_KEY is honoured by -l" {
    run -0 --separate-stderr sc-keygen -k mykey
    fp=$output
    [ -f mykey ]
    SCCRYPT_KEY=mykey run -0 sc-keygen -l
    [ "$output" = "$fp" ]
}

@test "sc-keygen -l prints the fingerprint the key was created with" {
    run -0 --separate-stderr sc-keygen
    fp=$output
    run -0 sc-keygen -l
    [ "$output" = "$fp" ]
}

@test "sc-keygen -l refuses a key that group or others can read" {
    sc-keygen > /dev/null 2>&1
    f="$XDG_CONFIG_HOME/sccrypt/key"
    chmod 640 "$f"
    run -2 sc-keygen -l
    [ "$output" = "sc-keygen: $f: group or others can access the key file; run chmod 600 $f" ]
    chmod 604 "$f"
    run -2 sc-keygen -l
}

@test "sc-keygen -l refuses a malformed key file" {
    printf 'sccrypt-key-v1 abcd\n' > k
    chmod 600 k
    run -2 sc-keygen -l -k k
    [ "$output" = "sc-keygen: k: not an sccrypt key file (expected a line \"sccrypt-key-v1 <64 hex>\")" ]
}

@test "sc-keygen -l -k on a file that is no key says so, and gives no chmod advice" {
    run -2 --separate-stderr sc-keygen -l -k /etc/passwd
    [ "$stderr" = "sc-keygen: /etc/passwd: not an sccrypt key file (expected a line \"sccrypt-key-v1 <64 hex>\")" ]
    printf 'some notes of mine\n' > notes
    chmod 644 notes
    run -2 --separate-stderr sc-keygen -l -k notes
    [ "$stderr" = "sc-keygen: notes: not an sccrypt key file (expected a line \"sccrypt-key-v1 <64 hex>\")" ]
    # a key file with a loose mode still gets the advice
    sc-keygen -k key2 > /dev/null 2>&1
    chmod 644 key2
    run -2 --separate-stderr sc-keygen -l -k key2
    [ "$stderr" = "sc-keygen: key2: group or others can access the key file; run chmod 600 key2" ]
}

@test "sc-keygen -l refuses a missing key and says how to make one" {
    run -2 sc-keygen -l -k nothere
    [ "$output" = "sc-keygen: nothere: no such key file (create one with sc-keygen)" ]
}

@test "sc-keygen -l refuses a key that is not a regular file" {
    mkfifo k
    run -2 sc-keygen -l -k k
    [ "$output" = "sc-keygen: k: not a regular file" ]
}

@test "sc-keygen --vmm-fingerprint prints SHA256 of the VMM key, from a file or stdin" {
    hex=$(hex32)
    echo "sccrypt-vmm-v1 $hex" > vmm.pub
    want=$(unhex <<< "$hex" | sha256_fp)
    run -0 sc-keygen --vmm-fingerprint vmm.pub
    [ "$output" = "$want" ]
    [ "${#output}" = 50 ]
    run -0 sc-keygen --vmm-fingerprint - < vmm.pub
    [ "$output" = "$want" ]
}

@test "sc-keygen --vmm-fingerprint refuses what is not a VMM key" {
    echo "sccrypt-vmm-v1 1234" > vmm.pub
    run -2 sc-keygen --vmm-fingerprint vmm.pub
    [ "$output" = "sc-keygen: vmm.pub: not a VMM public key (expected a line \"sccrypt-vmm-v1 <64 hex>\", as sc-relay --vmm-key prints it)" ]
}

@test "sc-keygen --seal writes a 100-byte request and pins the VMM key in known_vmms" {
    setup_vmm
    [ "$(stat -c %s req)" = 100 ]
    run -0 cat "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    [ "$output" = "default $VMMFP $(cut -d' ' -f2 vmm.pub)" ]
    run -0 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 req
    [ "$output" = "bind 5: ok" ]
}

@test "sc-keygen --seal writes the request to stdout when it is not a terminal" {
    setup_vmm
    sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge chal > req2 2> /dev/null
    [ "$(stat -c %s req2)" = 100 ]
    run ! cmp -s req req2
}

@test "sc-keygen --seal accepts the fingerprint without its SHA256: prefix" {
    setup_vmm
    run -0 sc-keygen --seal vmm.pub --expect "${VMMFP#SHA256:}" --domain "$UUID" --challenge chal -o r2
}

@test "sc-keygen --seal refuses a VMM key that does not match the expected fingerprint" {
    setup_vmm
    rm -f "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    echo "sccrypt-vmm-v1 $(hex32)" > evil.pub
    evilfp=$(sc-keygen --vmm-fingerprint evil.pub)
    run -1 sc-keygen --seal evil.pub --expect "$VMMFP" --domain "$UUID" --challenge chal -o r2
    [ "$output" = "sc-keygen: the VMM key's fingerprint $evilfp is not the expected $VMMFP: refusing to seal (dom0 may be handing out a key of its own)" ]
    [ ! -e r2 ]
    [ ! -e "$XDG_CONFIG_HOME/sccrypt/known_vmms" ]
}

@test "sc-keygen --seal refuses another key under a known VMM name unless --replace" {
    setup_vmm
    hex=$(hex32)
    echo "sccrypt-vmm-v1 $hex" > new.pub
    newfp=$(sc-keygen --vmm-fingerprint new.pub)
    run -1 sc-keygen --seal new.pub --expect "$newfp" --domain "$UUID" --challenge chal -o r2
    [[ "$output" == "sc-keygen: $XDG_CONFIG_HOME/sccrypt/known_vmms already pins another key for the VMM named default ($VMMFP): refusing it;"* ]]
    [ ! -e r2 ]
    run -0 sc-keygen --seal new.pub --expect "$newfp" --domain "$UUID" --challenge chal --replace -o r2
    run -0 cat "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    [ "$output" = "default $newfp $hex" ]
}

@test "sc-keygen --seal --name adds a second VMM and keeps comments" {
    setup_vmm
    sed -i '1i # my VMMs' "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    hex=$(hex32)
    echo "sccrypt-vmm-v1 $hex" > b.pub
    run -0 sc-keygen --seal b.pub --expect "$(sc-keygen --vmm-fingerprint b.pub)" --domain "$UUID" --challenge chal --name hostb -o r2
    run -0 cat "$XDG_CONFIG_HOME/sccrypt/known_vmms"
    [ "${lines[0]}" = "# my VMMs" ]
    [[ "${lines[1]}" == "default "* ]]
    [[ "${lines[2]}" == "hostb "* ]]
}

@test "sc-keygen --seal needs --expect and --domain, and a valid UUID and name" {
    setup_vmm
    run -2 sc-keygen --seal vmm.pub --domain "$UUID" -o r
    [[ "$output" == "sc-keygen: --seal needs --expect FINGERPRINT"* ]]
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" -o r
    [ "$output" = "sc-keygen: --seal needs --domain UUID: the UUID of the domain to bind" ]
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain 1234 --challenge chal -o r
    [[ "$output" == "sc-keygen: no guest 1234 bound with this key at VMM default ("* ]]
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain 'a/b' --challenge chal -o r
    [ "$output" = "sc-keygen: a/b: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or a guest name" ]
    run -2 sc-keygen --seal vmm.pub --expect "SHA256:short" --domain "$UUID" --challenge chal -o r
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge chal --name 'a b' -o r
    [ ! -e r ]
}

@test "sc-keygen refuses options that do not go together" {
    run -2 sc-keygen -l -f
    run -2 sc-keygen --domain "$UUID"
}

@test "a bind request binds once: replayed after a successful bind it is refused" {
    setup_vmm
    run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 req bind 5 req
    [ "${lines[0]}" = "bind 5: ok" ]
    [ "${lines[1]}" = "bind 5: the domain has no current bind challenge (fetch one, then seal the request for it)" ]
    # The domain re-created with the same UUID: its new challenge refuses the old request.
    run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 req destroy 5 dom 6 "$UUID" bind 6 req
    [ "${lines[0]}" = "bind 5: ok" ]
    [ "${lines[1]}" = "bind 6: authentication failed" ]
}

@test "a replayed bind request aimed at a look-alike domain (evil twin) is refused" {
    setup_vmm
    # The real domain bound; dom0 makes a twin with the same UUID after destroying it.
    run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 req destroy 5 dom 9 "$UUID" bind 9 req
    [ "${lines[1]}" = "bind 9: authentication failed" ]
}

@test "a bind request sealed for a challenge that a failed attempt used up is refused" {
    setup_vmm
    # Sealed for the same challenge: one naming another UUID (refused, it uses the challenge up), one good.
    sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID2" --challenge chal -o wrong 2> /dev/null
    run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 wrong bind 5 req
    [ "${lines[0]}" = "bind 5: bind request names another domain's UUID" ]
    [ "${lines[1]}" = "bind 5: the domain has no current bind challenge (fetch one, then seal the request for it)" ]
}

@test "sc-keygen --seal needs the domain's challenge and reads it as hex, a file or the relay's two lines" {
    setup_vmm
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" -o r
    [ "$output" = "sc-keygen: --seal needs --challenge FILE|HEX: the domain's current bind challenge (sc-relay --challenge GUEST prints it)" ]
    echo "sccrypt-challenge-v1 1234" > badchal
    run -2 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge badchal -o r
    [ "$output" = "sc-keygen: badchal: no bind challenge (expected a line \"sccrypt-challenge-v1 <32 hex>\", as sc-relay --challenge GUEST prints it)" ]
    [ ! -e r ]
    run -0 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge "$(cut -d' ' -f2 chal)" -o r1
    cat vmm.pub chal > both
    run -0 sc-keygen --seal both --expect "$VMMFP" --domain "$UUID" --challenge both -o r2
    run -0 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 r1
    run -0 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 r2
}

@test "a bind request naming another UUID is refused" {
    setup_vmm
    run -1 vmm_harness bind --secret "$SEC" dom 7 "$UUID2" bind 7 req
    [ "$output" = "bind 7: bind request names another domain's UUID" ]
}

@test "one key binds two live domains (a bind request made for a key already bound works)" {
    setup_vmm
    sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID2" --challenge chal1 -o req2 2> /dev/null
    run -0 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 req dom 6 "$UUID2" bind 6 req2
    [ "${lines[1]}" = "bind 6: ok" ]
}

@test "a bind request with one flipped bit is refused" {
    setup_vmm
    for off in 0 10 50 99; do
        cp req bad
        byte=$(od -An -tu1 -j "$off" -N1 bad | tr -d ' ')
        printf "\\x$(printf %02x $((byte ^ 1)))" | dd of=bad bs=1 seek="$off" conv=notrunc 2> /dev/null
        run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 bad
        [ "$output" != "bind 5: ok" ]
    done
}

@test "a bind request sealed to another VMM is refused" {
    setup_vmm
    run -1 vmm_harness bind --secret "$(hex32)" dom 5 "$UUID" bind 5 req
    [ "$output" = "bind 5: authentication failed" ]
}

@test "a truncated bind request is refused" {
    setup_vmm
    head -c 99 req > short
    run -1 vmm_harness bind --secret "$SEC" dom 5 "$UUID" bind 5 short
}

# Issue 9 item 8: sc-keygen opened -o FILE for writing with a blocking open,
# so a FIFO that another user planted there hung it (and one with a reader
# would have received the request).
@test "sc-keygen --seal -o refuses a FIFO instead of hanging on it" {
    setup_vmm
    mkfifo fifo
    run -2 timeout 10 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge chal -o fifo
    [ "$output" = "sc-keygen: fifo: not a regular file; refusing to write the bind request there" ]
}

@test "sc-keygen --seal -o refuses a FIFO that someone is reading and writes nothing into it" {
    setup_vmm
    mkfifo fifo
    { timeout 10 cat fifo > got 3>&- || true; } 3>&- &
    sleep 0.2
    run -2 timeout 10 sc-keygen --seal vmm.pub --expect "$VMMFP" --domain "$UUID" --challenge chal -o fifo
    [ "$output" = "sc-keygen: fifo: not a regular file; refusing to write the bind request there" ]
    wait
    [ ! -s got ]
}
