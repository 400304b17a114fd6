#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The Debian packages (debian/, make deb): what each holds, installed into a
# scratch root with dpkg --root, the demo pipeline run from the installed
# files, and both purged again without a trace.

bats_require_minimum_version 1.5.0

REPO="$BATS_TEST_DIRNAME/.."

setup_file() {
    command -v dpkg-buildpackage > /dev/null || skip "dpkg-dev is not installed"
    command -v dh > /dev/null || skip "debhelper is not installed"
    make -s -C "$REPO" deb > "$BATS_FILE_TMPDIR/deb.log" 2>&1 || {
        tail -30 "$BATS_FILE_TMPDIR/deb.log" >&3
        return 1
    }
}

# debs: the two package files.
client_deb() { ls "$REPO"/bin/deb/sccrypt-client_*.deb; }
relay_deb() { ls "$REPO"/bin/deb/sccrypt-relay_*.deb; }
# contents DEB: the files (not directories) it holds, one per line, sorted.
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort; }

# A scratch root with an empty dpkg database.
scratch_root() {
    R="$BATS_TEST_TMPDIR/root"
    mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
    : > "$R/var/lib/dpkg/status"
}

@test "make deb builds a user-side and a dom0 package, each with only its own files" {
    run -0 contents "$(client_deb)"
    [ "$output" = "$(printf '%s\n' usr/bin/sc-console usr/bin/sc-dec usr/bin/sc-enc usr/bin/sc-keygen \
        usr/bin/sc-vmmsim usr/share/doc/sccrypt-client/changelog.gz usr/share/doc/sccrypt-client/copyright \
        usr/share/man/man1/sc-console.1.gz usr/share/man/man1/sc-dec.1.gz usr/share/man/man1/sc-enc.1.gz \
        usr/share/man/man1/sc-keygen.1.gz usr/share/man/man1/sc-vmmsim.1.gz usr/share/man/man7/sccrypt.7.gz)" ]
    run -0 contents "$(relay_deb)"
    [ "$output" = "$(printf '%s\n' usr/sbin/sc-relay usr/share/doc/sccrypt-relay/changelog.gz \
        usr/share/doc/sccrypt-relay/copyright usr/share/doc/sccrypt-relay/examples/relay.conf \
        usr/share/doc/sccrypt-relay/examples/sudoers.sccrypt usr/share/man/man8/sc-relay.8.gz)" ]
    run -0 dpkg-deb -f "$(relay_deb)" Depends
    [[ "$output" != *libssl* ]]
}

@test "the dom0 package's sudoers example names the packaged relay and passes visudo" {
    command -v visudo > /dev/null || skip "sudo is not installed"
    dpkg-deb -x "$(relay_deb)" "$BATS_TEST_TMPDIR/x"
    f=$BATS_TEST_TMPDIR/x/usr/share/doc/sccrypt-relay/examples/sudoers.sccrypt
    [ "$(grep -v '^#' "$f")" = "%consoles ALL=(root) NOPASSWD: /usr/sbin/sc-relay" ]
    run -0 visudo -cf "$f"
}

@test "the packaged man pages name the packaged paths, never /usr/local or a bare share/doc" {
    dpkg-deb -x "$(relay_deb)" "$BATS_TEST_TMPDIR/x"
    dpkg-deb -x "$(client_deb)" "$BATS_TEST_TMPDIR/x"
    r=$(zcat "$BATS_TEST_TMPDIR/x/usr/share/man/man8/sc-relay.8.gz")
    [[ "$r" == *"%consoles ALL=(root) NOPASSWD: /usr/sbin/sc-relay"* ]]
    [[ "$r" == *"/usr/share/doc/sccrypt-relay/examples"* ]]
    [[ "$r" == *'PATH=$PATH:/usr/sbin'* ]]
    for m in "$BATS_TEST_TMPDIR"/x/usr/share/man/man*/*.gz; do
        run -0 zcat "$m"
        [[ "$output" != */usr/local* ]] || { echo "$m names /usr/local"; return 1; }
        [[ "$output" != *@*DIR@* ]] || { echo "$m has a placeholder left"; return 1; }
    done
}

@test "both packages install into a scratch root, run the demo pipeline from there, and purge without a trace" {
    [ "$(id -u)" = 0 ] || skip "needs root (dpkg --root keeps owners)"
    scratch_root
    # The libraries they depend on are the machine's, not in the scratch root's database.
    run -0 dpkg --root="$R" --force-depends --force-script-chrootless -i "$(client_deb)" "$(relay_deb)"
    run -0 dpkg --root="$R" -l sccrypt-client sccrypt-relay
    [ "$(printf '%s\n' "$output" | grep -c '^ii  sccrypt-')" = 2 ]
    [ -x "$R/usr/bin/sc-console" ] && [ -x "$R/usr/sbin/sc-relay" ]
    # The demo, with nothing but the installed tools to find.
    base=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
    for t in sc-keygen sc-enc sc-dec sc-vmmsim sc-relay sc-console; do
        run ! env PATH="$base" sh -c "command -v $t"
    done
    run -0 env PATH="$base" SCCRYPT_DEMO_BIN="$R/usr/bin:$R/usr/sbin" timeout 120 \
        sh "$REPO/test/demo.sh" < /dev/null
    [[ "$output" == *"=> the password and the guest's output crossed dom0 only as ciphertext."* ]]
    [[ "$output" == *"| the answer is 42"* ]]
    # The installed pages render.
    run -0 man -l "$R/usr/share/man/man1/sc-console.1.gz"
    [[ "$output" == *"sc-console - open an end-to-end encrypted serial console"* ]]
    # Purged, nothing of theirs is left.
    run -0 dpkg --root="$R" --force-script-chrootless --purge sccrypt-client sccrypt-relay
    run -0 find "$R" -mindepth 1 -not -path "$R/var/lib/dpkg" -not -path "$R/var/lib/dpkg/*" \
        -not -path "$R/var/lib" -not -path "$R/var" -not -type d
    [ -z "$output" ]
    [ ! -e "$R/usr/bin/sc-enc" ] && [ ! -e "$R/usr/sbin/sc-relay" ]
    run -0 dpkg --root="$R" -l
    [[ "$output" != *sccrypt-* ]]
}
