/* SPDX-License-Identifier: MIT */
/*
 * Copying into and out of the guest's console ring, and the backlog.
 *
 * The ring protocol is Xen's (public/io/console.h, and consoled.c for the
 * barriers): the producer writes data, then a write barrier, then its
 * index; the consumer reads the producer index, then a read barrier, then
 * data, then a full barrier before it publishes its own index.  The guest
 * runs at the same time and owns in_cons and out_prod; it may also scribble
 * on our indexes.  So each index is read exactly once into a local, the
 * distance between the two is checked, and every access is masked.
 *
 * On x86 (the only place Xen and the simulator run this) the compiler
 * builtins give exactly Xen's smp_rmb/smp_wmb (compiler barriers) and
 * smp_mb (mfence), with no header beyond sc_types.h.
 */
#include "sc_ring.h"
#include "sccrypt_crypto.h"

#define sc_rmb()    __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define sc_wmb()    __atomic_thread_fence(__ATOMIC_RELEASE)
#define sc_mb()     __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define IN_MASK(i)  ((i) & (SC_RING_IN_SIZE - 1))
#define OUT_MASK(i) ((i) & (SC_RING_OUT_SIZE - 1))

size_t sc_ring_in_space(const volatile struct sc_xencons *ring)
{
    uint32_t cons = ring->in_cons;
    uint32_t prod = ring->in_prod;
    uint32_t used = prod - cons;

    /* Indexes the guest broke: no room, rather than a write past the ring. */
    if ( used > SC_RING_IN_SIZE )
        return 0;
    return SC_RING_IN_SIZE - used;
}

size_t sc_ring_put_in(volatile struct sc_xencons *ring, const uint8_t *p, size_t len)
{
    uint32_t cons, prod, used;
    size_t n, i;

    cons = ring->in_cons;
    prod = ring->in_prod;
    /* Read the guest's consumer index before reusing the space it freed. */
    sc_mb();
    used = prod - cons;
    if ( used > SC_RING_IN_SIZE )
        return 0;
    n = SC_RING_IN_SIZE - used;
    if ( n > len )
        n = len;
    for ( i = 0; i < n; i++ )
        ring->in[IN_MASK(prod + (uint32_t)i)] = (char)p[i];
    /* The data must be visible before the index that publishes it. */
    sc_wmb();
    ring->in_prod = prod + (uint32_t)n;
    return n;
}

size_t sc_ring_get_out(volatile struct sc_xencons *ring, uint8_t *p, size_t max)
{
    uint32_t cons, prod, avail;
    size_t n, i;

    cons = ring->out_cons;
    prod = ring->out_prod;
    /* Read the producer index before the data it covers. */
    sc_rmb();
    avail = prod - cons;
    /* A guest claiming more than the ring holds gets at most one ring's worth. */
    if ( avail > SC_RING_OUT_SIZE )
        avail = SC_RING_OUT_SIZE;
    n = avail;
    if ( n > max )
        n = max;
    for ( i = 0; i < n; i++ )
        p[i] = (uint8_t)ring->out[OUT_MASK(cons + (uint32_t)i)];
    /* Finish reading the data before the guest may overwrite it. */
    sc_mb();
    ring->out_cons = cons + (uint32_t)n;
    return n;
}

void sc_backlog_init(struct sc_backlog *b, uint8_t *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->head = 0;
    b->len = 0;
    b->dropped = 0;
}

void sc_backlog_drop(struct sc_backlog *b, size_t n)
{
    if ( n > b->len )
        n = b->len;
    b->head = b->cap ? (b->head + n) % b->cap : 0;
    b->len -= n;
}

void sc_backlog_push(struct sc_backlog *b, const uint8_t *p, size_t len)
{
    size_t i, tail;

    if ( b->cap == 0 )
    {
        b->dropped += len;
        return;
    }
    /* Only the newest cap bytes of a huge push can survive. */
    if ( len > b->cap )
    {
        b->dropped += len - b->cap;
        p += len - b->cap;
        len = b->cap;
    }
    if ( b->len + len > b->cap )
    {
        size_t over = b->len + len - b->cap;

        b->dropped += over;
        sc_backlog_drop(b, over);
    }
    tail = (b->head + b->len) % b->cap;
    for ( i = 0; i < len; i++ )
    {
        b->buf[tail] = p[i];
        tail = tail + 1 == b->cap ? 0 : tail + 1;
    }
    b->len += len;
}

size_t sc_backlog_peek(const struct sc_backlog *b, uint8_t *p, size_t max)
{
    size_t n = b->len < max ? b->len : max;
    size_t i, at = b->head;

    for ( i = 0; i < n; i++ )
    {
        p[i] = b->buf[at];
        at = at + 1 == b->cap ? 0 : at + 1;
    }
    return n;
}

size_t sc_backlog_drain_ring(struct sc_backlog *b, volatile struct sc_xencons *ring)
{
    uint8_t chunk[256];
    size_t n, total = 0;

    /*
     * About one ring's worth per call (a chunk more if the guest writes
     * meanwhile): a guest that never stops writing cannot hold us here.
     */
    while ( total < SC_RING_OUT_SIZE &&
            (n = sc_ring_get_out(ring, chunk, sizeof(chunk))) > 0 )
    {
        sc_backlog_push(b, chunk, n);
        total += n;
    }
    sc_wipe(chunk, sizeof(chunk));
    return total;
}

void sc_backlog_wipe(struct sc_backlog *b)
{
    if ( b->buf && b->cap )
        sc_wipe(b->buf, b->cap);
    b->head = 0;
    b->len = 0;
}
