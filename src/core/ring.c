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

/*
 * Word-wise copies.  Guest-shared memory is read and written through
 * volatile, naturally aligned 8-byte words (single bytes at the two edges),
 * touching each byte of the range exactly once and nothing outside it; the
 * other side, our own memory, may be at any alignment, so it is accessed
 * through a type the compiler must assume unaligned and aliased (x86 takes
 * unaligned words at full speed; elsewhere the compiler splits them).
 */
#define WORD        sizeof(uint64_t)

typedef uint64_t __attribute__((__may_alias__)) sc_aword;
typedef uint64_t __attribute__((__may_alias__, __aligned__(1))) sc_uword;

static int word_aligned(const volatile void *p)
{
    return ((unsigned long)p & (WORD - 1)) == 0;
}

/* n bytes of our memory s into guest-shared memory d. */
static void copy_to_shared(volatile char *d, const uint8_t *s, size_t n)
{
    for ( ; n && !word_aligned(d); n-- )
        *d++ = (char)*s++;
    for ( ; n >= WORD; n -= WORD, d += WORD, s += WORD )
        *(volatile sc_aword *)d = *(const sc_uword *)s;
    for ( ; n; n-- )
        *d++ = (char)*s++;
}

/* n bytes of guest-shared memory s into our memory d. */
static void copy_from_shared(uint8_t *d, const volatile char *s, size_t n)
{
    for ( ; n && !word_aligned(s); n-- )
        *d++ = (uint8_t)*s++;
    for ( ; n >= WORD; n -= WORD, d += WORD, s += WORD )
        *(sc_uword *)d = *(const volatile sc_aword *)s;
    for ( ; n; n-- )
        *d++ = (uint8_t)*s++;
}

/* n bytes within our own memory (the backlog). */
static void copy_private(uint8_t *d, const uint8_t *s, size_t n)
{
    for ( ; n >= WORD; n -= WORD, d += WORD, s += WORD )
        *(sc_uword *)d = *(const sc_uword *)s;
    for ( ; n; n-- )
        *d++ = *s++;
}

/*
 * n (at most SC_RING_OUT_SIZE) bytes of out[] from index cons to p, in the
 * two pieces on either side of the ring's end.  cons is the caller's local
 * copy of the index; the ring's indexes are not read here.
 */
static void ring_copy_out(uint8_t *p, const volatile struct sc_xencons *ring, uint32_t cons,
                          size_t n)
{
    size_t at = OUT_MASK(cons), first = SC_RING_OUT_SIZE - at;

    if ( first > n )
        first = n;
    copy_from_shared(p, ring->out + at, first);
    copy_from_shared(p + first, ring->out, n - first);
}

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
    size_t n, at, first;

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
    at = IN_MASK(prod);
    first = SC_RING_IN_SIZE - at;
    if ( first > n )
        first = n;
    copy_to_shared(ring->in + at, p, first);
    copy_to_shared(ring->in, p + first, n - first);
    /* The data must be visible before the index that publishes it. */
    sc_wmb();
    ring->in_prod = prod + (uint32_t)n;
    return n;
}

size_t sc_ring_get_out(volatile struct sc_xencons *ring, uint8_t *p, size_t max)
{
    uint32_t cons, prod, avail;
    size_t n;

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
    ring_copy_out(p, ring, cons, n);
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

/*
 * Makes room for n more bytes (n <= cap) by dropping the oldest, and
 * returns where they go: they are then written from there, wrapping once.
 */
static size_t backlog_make_room(struct sc_backlog *b, size_t n)
{
    if ( b->len + n > b->cap )
    {
        size_t over = b->len + n - b->cap;

        b->dropped += over;
        sc_backlog_drop(b, over);
    }
    return (b->head + b->len) % b->cap;
}

void sc_backlog_push(struct sc_backlog *b, const uint8_t *p, size_t len)
{
    size_t tail, first;

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
    tail = backlog_make_room(b, len);
    first = b->cap - tail;
    if ( first > len )
        first = len;
    copy_private(b->buf + tail, p, first);
    copy_private(b->buf, p + first, len - first);
    b->len += len;
}

size_t sc_backlog_peek(const struct sc_backlog *b, uint8_t *p, size_t max)
{
    size_t n = b->len < max ? b->len : max;
    size_t first;

    if ( n == 0 )
        return 0;
    first = b->cap - b->head;
    if ( first > n )
        first = n;
    copy_private(p, b->buf + b->head, first);
    copy_private(p + first, b->buf, n - first);
    return n;
}

size_t sc_backlog_drain_ring(struct sc_backlog *b, volatile struct sc_xencons *ring)
{
    uint32_t cons, prod, avail;
    size_t n, total = 0, skip, tail, first;

    /*
     * Straight from the ring into the backlog, no bounce buffer (so nothing
     * to wipe), and at most one ring's worth per call: a guest that never
     * stops writing cannot hold us here.  Each pass reads the guest's index
     * once, like sc_ring_get_out.
     */
    while ( total < SC_RING_OUT_SIZE )
    {
        cons = ring->out_cons;
        prod = ring->out_prod;
        sc_rmb();
        avail = prod - cons;
        if ( avail > SC_RING_OUT_SIZE )
            avail = SC_RING_OUT_SIZE;
        n = avail;
        if ( n > SC_RING_OUT_SIZE - total )
            n = SC_RING_OUT_SIZE - total;
        if ( n == 0 )
            break;
        /* What cannot survive in the backlog is released unread. */
        skip = n > b->cap ? n - b->cap : 0;
        b->dropped += skip;
        if ( n > skip )
        {
            tail = backlog_make_room(b, n - skip);
            first = b->cap - tail;
            if ( first > n - skip )
                first = n - skip;
            ring_copy_out(b->buf + tail, ring, cons + (uint32_t)skip, first);
            ring_copy_out(b->buf, ring, cons + (uint32_t)(skip + first), n - skip - first);
            b->len += n - skip;
        }
        /* Finish reading the data before the guest may overwrite it. */
        sc_mb();
        ring->out_cons = cons + (uint32_t)n;
        total += n;
    }
    return total;
}

void sc_backlog_wipe(struct sc_backlog *b)
{
    if ( b->buf && b->cap )
        sc_wipe(b->buf, b->cap);
    b->head = 0;
    b->len = 0;
}
