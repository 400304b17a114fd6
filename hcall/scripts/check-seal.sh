#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-seal.sh XENTREE: the seal's allowlist is the one file a reviewer
# reads.  Checks that the hooks of XENTREE's (patched) xsm/dummy.h that
# bypass the seal (call xsm_seal_exempt_action) are exactly the ones
# xsm/sccrypt_seal.h names on its XSM_SEAL_EXEMPT lines.
set -eu
T=$1/xen/include/xsm
listed=$(sed -n 's/^ \* XSM_SEAL_EXEMPT: //p' "$T/sccrypt_seal.h" | tr ' ' '\n' | grep . | sort)
found=$(awk '
    /cf_check xsm_[a-z0-9_]+\(/ { match($0, /xsm_[a-z0-9_]+\(/); fn = substr($0, RSTART + 4, RLENGTH - 5) }
    /^static always_inline int xsm_default_action/ { fn = "" }
    /xsm_seal_exempt_action\(/ && fn != "" { print fn }' "$T/dummy.h" | sort -u)
if [ "$listed" != "$found" ]; then
    echo "check-seal: the hooks that bypass the seal in dummy.h:" $found >&2
    echo "check-seal: the hooks sccrypt_seal.h allows:" $listed >&2
    exit 1
fi
echo "check-seal: $(echo "$found" | wc -l) hooks bypass the seal, exactly the ones sccrypt_seal.h lists" >&2
