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
 *
 * Prints "mapped" or "refused: REASON" on stdout.
 * Exit: 0 mapped, 1 refused, 2 usage or setup error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenforeignmemory.h>
#include <xengnttab.h>

static int usage(void)
{
    fprintf(stderr, "usage: sc-xen-peek DOMID frame GFN | sc-xen-peek DOMID grant REF\n");
    return 2;
}

static int touch(const volatile unsigned char *p)
{
    unsigned int i, sum = 0;

    for (i = 0; i < 16; i++)
        sum += p[i];
    return (int)(sum & 1);
}

int main(int argc, char **argv)
{
    unsigned long domid, v;
    char *end;

    if (argc != 4)
        return usage();
    domid = strtoul(argv[1], &end, 10);
    if (*end)
        return usage();
    v = strtoul(argv[3], &end, 0);
    if (*end)
        return usage();

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
