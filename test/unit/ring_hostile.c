/* SPDX-License-Identifier: MIT */
/*
 * ring_hostile: the VMM's ring code against a guest that writes wild
 * indexes, before and during every copy.  Meant to run under
 * AddressSanitizer (test/ring.bats builds it so): the ring sits at the very
 * end of its own allocation, so a read or write one byte past it is caught.
 * Also checks that the copies with honest indexes are exact.
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
