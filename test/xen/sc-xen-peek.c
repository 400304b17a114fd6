/* SPDX-License-Identifier: MIT */
/*
 * sc-xen-peek: what a curious dom0 administrator would try against a guest
 * whose console is bound.  Test helper for check-xen (runs in dom0).
 *
 *   sc-xen-peek DOMID frame GFN    map one guest frame (foreign mapping,
 *                                  privcmd mmapbatch: mmu_update for a PV
 *                                  dom0) and read its first bytes
 *   sc-xen-peek DOMID grant REF    map the guest's grant REF (0 is the
 *                                  console's, GNTTAB_RESERVED_CONSOLE)
 *   sc-xen-peek DOMID param IDX    HVMOP_get_param IDX, then HVMOP_set_param
 *                                  IDX to the value read (a no-op if allowed)
 *   sc-xen-peek DOMID dmop         a read-only dm_op (XEN_DMOP_nr_vcpus)
 *   sc-xen-peek 0 kexec load       KEXEC_CMD_kexec_load of an empty default
 *                                  image (no segments)
 *   sc-xen-peek 0 kexec unload     KEXEC_CMD_kexec_unload of the default image
 *   sc-xen-peek 0 livepatch upload XEN_SYSCTL_LIVEPATCH_UPLOAD of a small
 *                                  payload that is not an ELF file (stock
 *                                  Xen refuses it with EINVAL)
 *   sc-xen-peek 0 livepatch list   XEN_SYSCTL_LIVEPATCH_LIST (the sizes)
 *
 * Prints "mapped" / "done" or "refused: REASON" on stdout.
 * Exit: 0 mapped or done, 1 refused, 2 usage or setup error.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

static int usage(void)
{
    fprintf(stderr, "usage: sc-xen-peek DOMID frame GFN | DOMID grant REF | DOMID param IDX |\n"
                    "       DOMID dmop | 0 kexec load|unload | 0 livepatch upload|list\n");
    return 2;
}

static int touch(const volatile unsigned char *p)
{
    unsigned int i, sum = 0;

    for (i = 0; i < 16; i++)
        sum += p[i];
    return (int)(sum & 1);
}

static int done(int rc)
{
    if (rc) {
        printf("refused: %s\n", strerror(errno));
        return 1;
    }
    printf("done\n");
    return 0;
}

static int param(uint32_t domid, int idx)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    uint64_t val;
    int rc;

    if (!xch) {
        fprintf(stderr, "sc-xen-peek: xc_interface_open: %s\n", strerror(errno));
        return 2;
    }
    if (xc_hvm_param_get(xch, domid, idx, &val)) {
        fprintf(stderr, "sc-xen-peek: get_param %d: %s\n", idx, strerror(errno));
        xc_interface_close(xch);
        return 2;
    }
    rc = done(xc_hvm_param_set(xch, domid, idx, val));
    xc_interface_close(xch);
    return rc;
}

static int dmop(uint32_t domid)
{
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    unsigned int n;
    int rc;

    if (!dm) {
        fprintf(stderr, "sc-xen-peek: xendevicemodel_open: %s\n", strerror(errno));
        return 2;
    }
    rc = done(xendevicemodel_nr_vcpus(dm, domid, &n));
    xendevicemodel_close(dm);
    return rc;
}

static int kexec(const char *what)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    int rc;

    if (!xch) {
        fprintf(stderr, "sc-xen-peek: xc_interface_open: %s\n", strerror(errno));
        return 2;
    }
    if (!strcmp(what, "load"))
        rc = done(xc_kexec_load(xch, KEXEC_TYPE_DEFAULT, EM_X86_64, 0, 0, NULL));
    else if (!strcmp(what, "unload"))
        rc = done(xc_kexec_unload(xch, KEXEC_TYPE_DEFAULT));
    else
        rc = usage();
    xc_interface_close(xch);
    return rc;
}

static int livepatch(const char *what)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    unsigned char junk[64];
    char name[] = "sc-xen-peek-invalid";
    unsigned int nr;
    uint32_t names, meta;
    int rc;

    if (!xch) {
        fprintf(stderr, "sc-xen-peek: xc_interface_open: %s\n", strerror(errno));
        return 2;
    }
    memset(junk, 0x5a, sizeof(junk));
    if (!strcmp(what, "upload"))
        rc = done(xc_livepatch_upload(xch, name, junk, sizeof(junk)));
    else if (!strcmp(what, "list"))
        rc = done(xc_livepatch_list_get_sizes(xch, &nr, &names, &meta));
    else
        rc = usage();
    xc_interface_close(xch);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long domid, v = 0;
    char *end;

    if (argc < 3 || argc > 4)
        return usage();
    domid = strtoul(argv[1], &end, 10);
    if (*end)
        return usage();
    if (!strcmp(argv[2], "dmop") && argc == 3)
        return dmop((uint32_t)domid);
    if (argc != 4)
        return usage();
    if (!strcmp(argv[2], "kexec"))
        return kexec(argv[3]);
    if (!strcmp(argv[2], "livepatch"))
        return livepatch(argv[3]);
    v = strtoul(argv[3], &end, 0);
    if (*end)
        return usage();
    if (!strcmp(argv[2], "param"))
        return param((uint32_t)domid, (int)v);

    if (!strcmp(argv[2], "frame")) {
        xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
        xen_pfn_t pfn = v;
        int err = 0;
        void *p;

        if (!fm) {
            fprintf(stderr, "sc-xen-peek: xenforeignmemory_open: %s\n", strerror(errno));
            return 2;
        }
        p = xenforeignmemory_map(fm, (uint32_t)domid, PROT_READ, 1, &pfn, &err);
        if (!p || err) {
            printf("refused: %s\n", strerror(p ? -err : errno));
            if (p)
                xenforeignmemory_unmap(fm, p, 1);
            xenforeignmemory_close(fm);
            return 1;
        }
        (void)touch(p);
        printf("mapped\n");
        xenforeignmemory_unmap(fm, p, 1);
        xenforeignmemory_close(fm);
        return 0;
    }
    if (!strcmp(argv[2], "grant")) {
        xengnttab_handle *gt = xengnttab_open(NULL, 0);
        void *p;

        if (!gt) {
            fprintf(stderr, "sc-xen-peek: xengnttab_open: %s\n", strerror(errno));
            return 2;
        }
        p = xengnttab_map_grant_ref(gt, (uint32_t)domid, (uint32_t)v, PROT_READ);
        if (!p) {
            printf("refused: %s\n", strerror(errno));
            xengnttab_close(gt);
            return 1;
        }
        (void)touch(p);
        printf("mapped\n");
        xengnttab_unmap(gt, p, 1);
        xengnttab_close(gt);
        return 0;
    }
    return usage();
}
