#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-seal.sh XENTREE: the seal's allowlist is the one file a reviewer
# reads.  Checks that the hooks of XENTREE's (patched) xsm/dummy.h that
# bypass the seal (call xsm_seal_exempt_action) are exactly the ones
# xsm/sccrypt_seal.h names on its XSM_SEAL_EXEMPT lines; and that each
# operation that reaches a domain without naming it to an XSM hook (the
# list in xsm/sccrypt_seal.h and sccrypt(7)) carries its own check.
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

# within FILE START END NEED WHAT: the lines from the first match of START up
# to the next match of END (exclusive) of XENTREE/FILE contain NEED.
bad=0
n=0
within() {
    n=$((n + 1))
    if ! awk -v s="$2" -v e="$3" -v need="$4" '
        !on && $0 ~ s { on = 1; next }
        on && $0 ~ e { exit }
        on && index($0, need) { found = 1; exit }
        END { exit !found }' "$1/$5"; then
        echo "check-seal: $6: no $4 in $5" >&2
        bad=1
    fi
}
X=$1
within "$X" '^static int add_active_list' '^}' sccrypt_sealed xen/common/xenoprof.c \
    "XENOPROF_set_active (xsm_profile names no domain)"
within "$X" '^static int add_passive_list' '^}' sccrypt_sealed xen/common/xenoprof.c \
    "XENOPROF_set_passive (xsm_profile names no domain)"
within "$X" 'case XENPMU_mode_set:$' 'spin_lock[(]&vpmu_lock[)]' sccrypt_any_sealed \
    xen/arch/x86/cpu/vpmu.c "XENPMU_mode_set XENPMU_MODE_ALL"
within "$X" 'MC_MSRINJ_F_GPADDR [)]$' 'for [(] i = 0' sccrypt_sealed \
    xen/arch/x86/cpu/mcheck/mce.c "XEN_MC_msrinject with MC_MSRINJ_F_GPADDR"
within "$X" 'case XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN:' 'case XEN_SYSCTL_CPUPOOL_OP_FREEINFO:' \
    sccrypt_sealed xen/common/sched/cpupool.c "cpupool movedomain (xsm_cpupool_op names no domain)"
within "$X" 'case XENPF_add_memtype:' 'case XENPF_del_memtype:' sccrypt_any_sealed \
    xen/arch/x86/platform_hypercall.c "XENPF_add_memtype"
within "$X" 'case XEN_SYSCTL_tbuf_op:' 'break;' sccrypt_any_sealed xen/common/sysctl.c \
    "XEN_SYSCTL_tbuf_op (trace buffers)"
within "$X" 'case XEN_SYSCTL_debug_keys:' 'for [(] i = 0' sccrypt_any_sealed xen/common/sysctl.c \
    "XEN_SYSCTL_debug_keys"
within "$X" '^void getdomaininfo' '^}' sccrypt_coarse_ns xen/common/domctl.c \
    "getdomaininfo: a sealed domain's run time"
within "$X" 'case XEN_DOMCTL_getvcpuinfo:' 'case XEN_DOMCTL_max_mem:' sccrypt_coarse_ns \
    xen/common/domctl.c "getvcpuinfo: a sealed domain's run time and state"
within "$X" 'case XEN_SYSCTL_getcpuinfo:' 'case XEN_SYSCTL_availheap:' sccrypt_coarse_ns \
    xen/common/sysctl.c "getcpuinfo: pCPU idle time"
within "$X" 'case XEN_SYSCTL_get_pmstat:' 'case XEN_SYSCTL_pm_op:' sccrypt_any_sealed \
    xen/common/sysctl.c "get_pmstat: C- and P-state residency"
within "$X" 'case XENPF_getidletime:' 'op->u.getidletime.now = now;' sccrypt_coarse_ns \
    xen/arch/x86/platform_hypercall.c "XENPF_getidletime: pCPU idle time"
within "$X" '^int sccrypt_pristine' '^}' tb_init_done xen/common/sccrypt/pristine.c \
    "the bind while tracing is on"
within "$X" '^int sccrypt_pristine' '^}' XENPMU_MODE_ALL xen/common/sccrypt/pristine.c \
    "the bind while the vPMU samples every guest"
within "$X" '^int sccrypt_pristine' '^}' xenoprof_sccrypt_profiled xen/common/sccrypt/pristine.c \
    "the bind while xenoprof profiles the domain"
[ $bad = 0 ] || exit 1
echo "check-seal: $n checks of the operations that name no domain to XSM passed" >&2
