/* SPDX-License-Identifier: MIT */
/*
 * ring_hostile: the VMM's ring code against a guest that writes wild
 * indexes, before and during every copy.  Meant to run under
 * AddressSanitizer (test/ring.bats builds it so): the ring sits at the very
 * end of its own allocation, so a read or write one byte past it is caught.
 * Also checks that the copies with honest indexes are exact: at every
 * start index around the ring's end and the 32-bit wrap, at odd lengths
 * and odd source and destination addresses, with nothing written outside
 * the range; and the backlog against a byte-by-byte model.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_ring.h"

static volatile struct sc_xencons *ring;
static volatile int stop;
static int failures;

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "ring_hostile: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static uint32_t rnd32(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)*s;
}

/* Values a hostile guest likes: near the wrap, near the sizes, anything. */
static uint32_t wild(uint64_t *s)
{
    static const uint32_t special[] = {
        0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 0x7fffffff, 0x80000000,
        0xfffffbff, 0xfffffc00, 0xfffff800, 0xfffff7ff, 0xfffffffe, 0xffffffff,
    };
    uint32_t r = rnd32(s);

    if (r % 3 == 0)
        return special[rnd32(s) % (sizeof(special) / sizeof(special[0]))];
    if (r % 3 == 1)
        return ring->in_prod + (rnd32(s) % 8192) - 4096;
    return rnd32(s);
}

/* The guest, running at the same time: scribbles on every index. */
static void *guest(void *arg)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL;

    (void)arg;
    while (!stop) {
        switch (rnd32(&s) & 3) {
        case 0: ring->in_cons = wild(&s); break;
        case 1: ring->out_prod = wild(&s); break;
        case 2: ring->in_prod = wild(&s); break;
        default: ring->out_cons = wild(&s); break;
        }
    }
    return NULL;
}

static void honest(void)
{
    uint8_t buf[4096], got[4096];
    size_t i, n;

    memset((void *)ring, 0, sizeof(*ring));
    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    /* in[]: 1500 bytes offered, 1024 fit; the guest takes 600; 600 more fit. */
    ring->in_cons = ring->in_prod = 0xfffffe00;     /* across the 32-bit wrap */
    n = sc_ring_put_in(ring, buf, 1500);
    CHECK(n == 1024);
    CHECK(sc_ring_in_space(ring) == 0);
    CHECK(sc_ring_put_in(ring, buf, 10) == 0);
    for (i = 0; i < 1024; i++)
        CHECK((uint8_t)ring->in[(0xfffffe00u + i) & 1023] == buf[i]);
    ring->in_cons += 600;
    CHECK(sc_ring_in_space(ring) == 600);
    CHECK(sc_ring_put_in(ring, buf + 1024, 1000) == 600);
    /* out[]: the guest produced 2048 bytes across the wrap; the VMM takes them in order. */
    ring->out_cons = ring->out_prod = 0xfffffc00;
    for (i = 0; i < 2048; i++)
        ring->out[(0xfffffc00u + i) & 2047] = (char)buf[i];
    ring->out_prod += 2048;
    n = sc_ring_get_out(ring, got, 1000);
    CHECK(n == 1000);
    n += sc_ring_get_out(ring, got + 1000, sizeof(got) - 1000);
    CHECK(n == 2048);
    CHECK(memcmp(got, buf, 2048) == 0);
    CHECK(ring->out_cons == ring->out_prod);
    CHECK(sc_ring_get_out(ring, got, sizeof(got)) == 0);
}

#define SENT 0xa5

/* Start indexes: every alignment at the ring's start, end and the 32-bit wrap. */
static uint32_t start_at(unsigned int k, uint32_t size)
{
    static const uint32_t base[] = { 0, 0x1000, 0xfffffff0u };
    uint32_t b = base[k / 40 % 3];

    /* 20 around index 0 of the ring, 20 around its last bytes. */
    return k % 40 < 20 ? b + k % 40 : b + size - 20 + k % 40 - 20;
}

static void exact_in(void)
{
    static const size_t lens[] = { 0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65,
                                   127, 511, 1000, 1023, 1024, 1025, 1500 };
    uint8_t src[2048 + 8];
    size_t li, i, n, want, off, freed;
    unsigned int k;
    uint32_t start;

    for (i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 13 + 1);
    for (k = 0; k < 120; k++) {
        for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            for (off = 0; off < 3; off++) {
                start = start_at(k, SC_RING_IN_SIZE);
                /* The guest has taken all but `freed` of a full ring, or all of it. */
                freed = (k + li) % 2 ? SC_RING_IN_SIZE : (k * 7 + li) % SC_RING_IN_SIZE;
                memset((void *)ring->in, SENT, sizeof(ring->in));
                ring->in_prod = start;
                ring->in_cons = start - (uint32_t)(SC_RING_IN_SIZE - freed);
                want = lens[li] < freed ? lens[li] : freed;
                n = sc_ring_put_in(ring, src + off, lens[li]);
                CHECK(n == want);
                CHECK(ring->in_prod == start + (uint32_t)want);
                CHECK(ring->in_cons == start - (uint32_t)(SC_RING_IN_SIZE - freed));
                for (i = 0; i < SC_RING_IN_SIZE; i++) {
                    uint32_t rel = ((uint32_t)i - start) & (SC_RING_IN_SIZE - 1);
                    uint8_t got = (uint8_t)ring->in[i];

                    CHECK(rel < want ? got == src[off + rel] : got == SENT);
                }
            }
        }
    }
}

static void exact_out(void)
{
    static const size_t lens[] = { 0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65,
                                   127, 511, 1000, 1023, 2047, 2048 };
    uint8_t dst[2048 + 16];
    size_t li, mi, i, n, want, off, max;
    unsigned int k;
    uint32_t start;

    for (i = 0; i < SC_RING_OUT_SIZE; i++)
        ring->out[i] = (char)(i * 29 + 7);
    for (k = 0; k < 120; k++) {
        for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            for (mi = 0; mi < 3; mi++) {
                start = start_at(k, SC_RING_OUT_SIZE);
                max = mi == 0 ? sizeof(dst) : mi == 1 ? lens[li] / 2 + 1 : 9;
                off = (k + mi) % 8;
                if (max > sizeof(dst) - off)
                    max = sizeof(dst) - off;
                memset(dst, SENT, sizeof(dst));
                ring->out_cons = start;
                ring->out_prod = start + (uint32_t)lens[li];
                want = lens[li] < max ? lens[li] : max;
                n = sc_ring_get_out(ring, dst + off, max);
                CHECK(n == want);
                CHECK(ring->out_cons == start + (uint32_t)want);
                CHECK(ring->out_prod == start + (uint32_t)lens[li]);
                for (i = 0; i < sizeof(dst); i++) {
                    uint8_t exp = i >= off && i - off < want ?
                        (uint8_t)ring->out[(start + (uint32_t)(i - off)) & (SC_RING_OUT_SIZE - 1)] :
                        SENT;

                    CHECK(dst[i] == exp);
                }
            }
        }
    }
}

/* The backlog against a model: a plain array of everything pushed, and a count dropped. */
static void exact_backlog(size_t cap, uint64_t seed)
{
    static uint8_t model[1 << 22], blbuf[8192 + 8], peek[9000], src[2 * 8192 + 16];
    struct sc_backlog bl;
    size_t mhead = 0, mtail = 0, i, n, len, off, max;
    uint64_t s = seed, mdropped = 0;
    uint8_t next = 1;
    long step;

    sc_backlog_init(&bl, blbuf + seed % 8, cap);
    for (step = 0; step < 4000 && mtail + 2 * 8192 < sizeof(model); step++) {
        switch (rnd32(&s) % 4) {
        case 0:                     /* push from memory, any length and address */
            len = rnd32(&s) % 3 ? rnd32(&s) % 70 : rnd32(&s) % (2 * cap + 3);
            off = rnd32(&s) % 8;
            for (i = 0; i < len; i++)
                src[off + i] = model[mtail + i] = next++;
            sc_backlog_push(&bl, src + off, len);
            mtail += len;
            break;
        case 1:                     /* drain what a guest wrote into the ring */
            len = rnd32(&s) % (SC_RING_OUT_SIZE + 1);
            ring->out_cons = ring->out_prod = rnd32(&s);
            for (i = 0; i < len; i++)
                ring->out[(ring->out_prod + (uint32_t)i) & (SC_RING_OUT_SIZE - 1)] =
                    (char)(model[mtail + i] = next++);
            ring->out_prod += (uint32_t)len;
            CHECK(sc_backlog_drain_ring(&bl, ring) == len);
            CHECK(ring->out_cons == ring->out_prod);
            mtail += len;
            break;
        case 2:                     /* take some */
            n = rnd32(&s) % (cap + 2);
            sc_backlog_drop(&bl, n);
            mhead += n < mtail - mhead ? n : mtail - mhead;
            break;
        default:
            break;
        }
        /* The model keeps only the newest cap bytes; the rest are dropped. */
        if (mtail - mhead > cap) {
            mdropped += mtail - mhead - cap;
            mhead = mtail - cap;
        }
        CHECK(bl.len == mtail - mhead);
        CHECK(bl.dropped == mdropped);
        off = rnd32(&s) % 8;
        memset(peek, SENT, sizeof(peek));
        max = rnd32(&s) % 2 ? sizeof(peek) - off : 5;
        n = sc_backlog_peek(&bl, peek + off, max);
        CHECK(n == (bl.len < max ? bl.len : max));
        CHECK(memcmp(peek + off, model + mhead, n) == 0);
        CHECK(peek[off + n] == SENT && (off == 0 || peek[off - 1] == SENT));
    }
}

int main(void)
{
    static uint8_t blbuf[8192];
    struct sc_backlog bl;
    uint8_t buf[8192];
    uint64_t s = 12345;
    pthread_t t;
    size_t n;
    long i;

    /* The ring ends exactly where its allocation ends. */
    ring = malloc(sizeof(struct sc_xencons));
    if (!ring)
        return 2;
    honest();
    exact_in();
    exact_out();
    exact_backlog(8192, 1);
    exact_backlog(37, 2);
    exact_backlog(1, 3);
    exact_backlog(2048, 4);
    exact_backlog(4099, 5);
    memset(buf, 'x', sizeof(buf));
    sc_backlog_init(&bl, blbuf, sizeof(blbuf));

    /* Wild indexes set before each call. */
    for (i = 0; i < 200000; i++) {
        ring->in_cons = wild(&s);
        ring->in_prod = wild(&s);
        ring->out_cons = wild(&s);
        ring->out_prod = wild(&s);
        n = sc_ring_in_space(ring);
        CHECK(n <= SC_RING_IN_SIZE);
        n = sc_ring_put_in(ring, buf, rnd32(&s) % 3000);
        CHECK(n <= SC_RING_IN_SIZE);
        n = sc_ring_get_out(ring, buf, rnd32(&s) % 5000);
        CHECK(n <= SC_RING_OUT_SIZE);
        n = sc_backlog_drain_ring(&bl, ring);
        CHECK(n <= 2 * SC_RING_OUT_SIZE);
        CHECK(bl.len <= bl.cap);
    }

    /* And changed by a guest running at the same time. */
    if (pthread_create(&t, NULL, guest, NULL) != 0)
        return 2;
    for (i = 0; i < 200000; i++) {
        n = sc_ring_put_in(ring, buf, rnd32(&s) % 3000);
        CHECK(n <= SC_RING_IN_SIZE);
        n = sc_ring_get_out(ring, buf, sizeof(buf));
        CHECK(n <= SC_RING_OUT_SIZE);
        (void)sc_ring_in_space(ring);
        (void)sc_backlog_drain_ring(&bl, ring);
        CHECK(bl.len <= bl.cap);
    }
    stop = 1;
    pthread_join(t, NULL);
    free((void *)ring);
    if (failures) {
        fprintf(stderr, "ring_hostile: %d checks failed\n", failures);
        return 1;
    }
    printf("ring_hostile: ok\n");
    return 0;
}
