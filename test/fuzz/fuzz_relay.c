/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: sc-relay's framing of what sc-enc's side sends (stdin
 * from ssh, which dom0's network controls): whole_frames() decides how much
 * of the input buffer goes to the VMM.  sc-relay.c is compiled in here with
 * its main renamed.  The answer must be a prefix of the buffer made of
 * whole frames of a valid length, or end right after the header of the
 * first frame whose length is out of range (the VMM refuses that one).
 */
#include <stdlib.h>

#define main sc_relay_main
#include "../../src/relay/sc-relay.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
    size_t w = whole_frames(p, n), off = 0, blen;

    if ( w > n )
        abort();
    while ( off < w )
    {
        if ( w - off < SC_FRAME_HDR )
            abort();
        blen = (size_t)p[off] << 8 | p[off + 1];
        if ( blen < SC_REC_MIN_BODY || blen > SC_REC_MAX_BODY )
        {
            if ( w != off + SC_FRAME_HDR )
                abort();
            return 0;
        }
        off += SC_FRAME_HDR + blen;
    }
    if ( off != w )
        abort();
    /* nothing more that is whole was left out */
    if ( n - w >= SC_FRAME_HDR )
    {
        blen = (size_t)p[w] << 8 | p[w + 1];
        if ( blen >= SC_REC_MIN_BODY && blen <= SC_REC_MAX_BODY && n - w >= SC_FRAME_HDR + blen )
            abort();
    }
    return 0;
}
