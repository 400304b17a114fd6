/* SPDX-License-Identifier: MIT */
/*
 * The SCCrypt v4 messages: bind request and answer, hello, answer and
 * records, and the key schedule under them (the labels kept v2's names:
 * v3 changed the hello's layout and v4 put the seal level in the header
 * bytes of the bind request, the bind answer and the answer, which the
 * AEAD's associated data covers; neither changed the key schedule).  man/sccrypt.7.scd is the normative text; every
 * label here appears there byte for byte.
 */
#include "sc_bytes.h"
#include "sc_proto.h"
#include "sccrypt_crypto.h"

/* HKDF salts and labels (ASCII, no terminating NUL on the wire). */
#define L_BIND          "sccrypt v2 bind"
#define L_HELLO         "sccrypt v2 hello"
#define L_TRANSCRIPT    "sccrypt v2 transcript"
#define L_ANSWER        "sccrypt v2 answer"
#define L_INPUT         "sccrypt v2 input"
#define L_OUTPUT        "sccrypt v2 output"
#define L_INPUT_REKEY   "sccrypt v2 input rekey"
#define L_OUTPUT_REKEY  "sccrypt v2 output rekey"
#define L_BOUND         "sccrypt v3 bind answer"
#define LLEN(s)         (sizeof(s) - 1)

#define TRANSCRIPT_MAX  (LLEN(L_TRANSCRIPT) + SC_HELLO_LEN + 2 * SC_PUB_LEN)








static const uint8_t zero_nonce[12];
static const uint8_t zero_uuid[SC_UUID_LEN];

const char *sc_strerror(int err)
{
    static const char *const msg[SC_EMAX + 1] = {
        [0] = "success",
        [SC_EINVAL] = "malformed message",
        [SC_EVERSION] = "unsupported protocol version",
        [SC_EAUTH] = "authentication failed",
        [SC_EREPLAY] = "the domain has no current bind challenge (fetch one, then seal the request for it)",
        [SC_EFULL] = "unused (no table of bind requests is kept)",
        [SC_EUUID] = "bind request names another domain's UUID",
        [SC_EKEYINUSE] = "key already binds as many live domains as the VMM allows",
        [SC_EBOUND] = "domain already bound",
        [SC_ENOTBOUND] = "domain not bound",
        [SC_ENOSESSION] = "no session open",
        [SC_ECLOSED] = "session ended",
        [SC_ESPACE] = "buffer too small",
        [SC_ENORANDOM] = "no hardware random source: the VMM refuses to bind",
        [SC_EGUEST] = "the key binds several domains and the session named none",
        [SC_ELEVEL] = "the host's seal level is below the least level the bind request accepts",
    };

    if ( err < 0 )
        err = -err;
    if ( err == SC_EBUSY )
        return "another session holds the domain's console";
    if ( err == SC_ENODOMAIN )
        return "no such domain";
    if ( err > SC_EMAX )
        return "unknown error";
    return msg[err];
}

const char *sc_close_reason(unsigned int reason)
{
    static const char *const msg[SC_CLOSE_MAX + 1] = {
        [SC_CLOSE_QUIET] = "input ended and the guest went quiet",
        [SC_CLOSE_EOF] = "end of input",
        [SC_CLOSE_ESCAPE] = "the user typed the escape sequence",
        [SC_CLOSE_RELAY] = "the relay asked to end the session",
        [SC_CLOSE_GUEST_GONE] = "the guest went away",
        [SC_CLOSE_TAKEOVER] = "another session took the console over",
        [SC_CLOSE_PROTOCOL] = "the VMM refused a record that failed authentication",
        [SC_CLOSE_TIMEOUT] = "no record from the client reached it in time (the client did not "
                             "finish the handshake or fell silent, or dom0 withheld its records; "
                             "which of these cannot be told from here)",
        [SC_CLOSE_LOST] = "some of the guest's output could not be delivered and was lost; "
                          "what was shown is not all the guest wrote",
        [SC_CLOSE_STOPPED] = "the host suspended or shut the guest down mid-session",
    };

    if ( reason > SC_CLOSE_MAX )
        return "unknown reason";
    return msg[reason];
}

int sc_frame_body_len(const uint8_t hdr[SC_FRAME_HDR])
{
    uint16_t n = sc_load16_be(hdr);

    if ( n < SC_REC_MIN_BODY || n > SC_REC_MAX_BODY )
        return -SC_EINVAL;
    return n;
}

void sc_frame_put_hdr(uint8_t hdr[SC_FRAME_HDR], size_t body_len)
{
    sc_store16_be(hdr, (uint16_t)body_len);
}

static int check_header(const uint8_t *m, size_t len, size_t want, uint8_t kind)
{
    if ( len < 1 )
        return -SC_EINVAL;
    if ( m[0] != SC_PROTO_VERSION )
        return -SC_EVERSION;
    if ( len != want || m[1] != kind )
        return -SC_EINVAL;
    return 0;
}

/* ---- seal levels ---- */

int sc_level_valid(const struct sc_level *l, int least)
{
    if ( l->flags & ~SC_LEVEL_KNOWN )
        return 0;
    if ( l->console > SC_CON_MAX )
        return 0;
    return least || l->console != SC_CON_ANY;
}

int sc_level_at_least(const struct sc_level *have, const struct sc_level *want)
{
    if ( (have->flags & want->flags) != want->flags )
        return 0;
    return want->console == SC_CON_ANY || want->console == have->console;
}

uint16_t sc_opts_accepted(const struct sc_level *l)
{
    return l->console == SC_CON_UART ? SC_OPT_KNOWN : SC_OPT_KNOWN & ~SC_OPT_BREAK;
}

static void level_put(uint8_t p[SC_LEVEL_LEN], const struct sc_level *l)
{
    p[0] = l->flags;
    p[1] = l->console;
}

static void level_get(struct sc_level *l, const uint8_t p[SC_LEVEL_LEN])
{
    l->flags = p[0];
    l->console = p[1];
}

/* ---- bind request: ver | 'B' | least | E | AEAD(K | uuid) | tag ---- */

/* The request's associated data: its header and E, then the domain's challenge. */
#define BIND_AD_LEN     (36 + SC_CHALLENGE_LEN)

static void bind_ad(uint8_t ad[BIND_AD_LEN], const uint8_t *req,
                    const uint8_t challenge[SC_CHALLENGE_LEN])
{
    sc_copy(ad, req, 36);
    sc_copy(ad + 36, challenge, SC_CHALLENGE_LEN);
}

static int bind_key(const struct sc_crypto *cr, uint8_t k[32], const uint8_t dh[32],
                    const uint8_t e_pub[32], const uint8_t vmm_pub[32])
{
    uint8_t info[64];
    int rc;

    sc_copy(info, e_pub, 32);
    sc_copy(info + 32, vmm_pub, 32);
    rc = cr->hkdf(k, 32, (const uint8_t *)L_BIND, LLEN(L_BIND), dh, 32, info, sizeof(info));
    sc_wipe(info, sizeof(info));
    return rc;
}

int sc_bind_seal(const struct sc_crypto *cr, uint8_t req[SC_BIND_LEN],
                 const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                 const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                 const uint8_t challenge[SC_CHALLENGE_LEN])
{
    static const struct sc_level any = { 0, SC_CON_ANY };

    return sc_bind_seal_level(cr, req, key, uuid, vmm_pub, eph, challenge, &any);
}

void sc_bind_least(const uint8_t req[SC_BIND_LEN], struct sc_level *least)
{
    level_get(least, req + 2);
}

int sc_bind_seal_level(const struct sc_crypto *cr, uint8_t req[SC_BIND_LEN],
                       const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                       const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                       const uint8_t challenge[SC_CHALLENGE_LEN],
                       const struct sc_level *least)
{
    uint8_t dh[32], k[32], pt[SC_KEY_LEN + SC_UUID_LEN], ad[BIND_AD_LEN];
    int rc = -SC_EAUTH;

    if ( !sc_level_valid(least, 1) )
    {
        sc_wipe(req, SC_BIND_LEN);
        return -SC_EINVAL;
    }
    req[0] = SC_PROTO_VERSION;
    req[1] = SC_KIND_BIND;
    level_put(req + 2, least);
    cr->x25519_base(req + 4, eph);
    if ( cr->x25519(dh, eph, vmm_pub) != 0 )
        goto out;
    if ( bind_key(cr, k, dh, req + 4, vmm_pub) != 0 )
        goto out;
    sc_copy(pt, key, SC_KEY_LEN);
    sc_copy(pt + SC_KEY_LEN, uuid, SC_UUID_LEN);
    bind_ad(ad, req, challenge);
    cr->seal(req + 36, req + 36 + sizeof(pt), k, zero_nonce, ad, sizeof(ad), pt, sizeof(pt));
    rc = 0;
 out:
    sc_wipe(dh, sizeof(dh));
    sc_wipe(k, sizeof(k));
    sc_wipe(pt, sizeof(pt));
    if ( rc )
        sc_wipe(req, SC_BIND_LEN);
    return rc;
}

int sc_bind_open(const struct sc_crypto *cr, const uint8_t *req, size_t len,
                 const uint8_t vmm_secret[32], const uint8_t vmm_pub[SC_PUB_LEN],
                 const uint8_t challenge[SC_CHALLENGE_LEN],
                 uint8_t key[SC_KEY_LEN], uint8_t uuid[SC_UUID_LEN], uint8_t req_id[16])
{
    uint8_t dh[32], k[32], pt[SC_KEY_LEN + SC_UUID_LEN], h[32], ad[BIND_AD_LEN];
    struct sc_level least;
    int rc;

    /*
     * Version 2 requests carried no challenge, version 3 ones no least
     * level: refused as versions we no longer speak.
     */
    rc = check_header(req, len, SC_BIND_LEN, SC_KIND_BIND);
    if ( rc )
        return rc;
    level_get(&least, req + 2);
    if ( !sc_level_valid(&least, 1) )
        return -SC_EINVAL;
    rc = -SC_EAUTH;
    if ( cr->x25519(dh, vmm_secret, req + 4) != 0 )
        goto out;
    if ( bind_key(cr, k, dh, req + 4, vmm_pub) != 0 )
        goto out;
    bind_ad(ad, req, challenge);
    if ( cr->open(pt, k, zero_nonce, ad, sizeof(ad), req + 36, sizeof(pt), req + 36 + sizeof(pt)) )
        goto out;
    sc_copy(key, pt, SC_KEY_LEN);
    sc_copy(uuid, pt + SC_KEY_LEN, SC_UUID_LEN);
    cr->sha256(h, req, SC_BIND_LEN);
    sc_copy(req_id, h, 16);
    rc = 0;
 out:
    sc_wipe(dh, sizeof(dh));
    sc_wipe(k, sizeof(k));
    sc_wipe(pt, sizeof(pt));
    return rc;
}

/* ---- bind answer: ver | 'b' | level | req-id | AEAD(instance | uuid | domid) | tag ---- */

/* k = HKDF(salt = req-id, ikm = K, info = L_BOUND | V); req-id = SHA-256(req)[0..16]. */
static int bound_key(const struct sc_crypto *cr, uint8_t k[32], uint8_t req_id[16],
                     const uint8_t *req, const uint8_t key[32], const uint8_t vmm_pub[32])
{
    uint8_t h[32], info[LLEN(L_BOUND) + 32];

    cr->sha256(h, req, SC_BIND_LEN);
    sc_copy(req_id, h, 16);
    sc_copy(info, (const uint8_t *)L_BOUND, LLEN(L_BOUND));
    sc_copy(info + LLEN(L_BOUND), vmm_pub, 32);
    return cr->hkdf(k, 32, req_id, 16, key, 32, info, sizeof(info));
}

int sc_bound_make(const struct sc_crypto *cr, uint8_t ans[SC_BOUND_LEN],
                  const uint8_t *req, size_t reqlen, const uint8_t key[SC_KEY_LEN],
                  const uint8_t vmm_pub[SC_PUB_LEN], const struct sc_identity *id)
{
    uint8_t k[32], pt[SC_BOUND_ID_LEN];
    int rc = -SC_EINVAL;

    if ( reqlen != SC_BIND_LEN || !sc_level_valid(&id->level, 0) )
        goto out;
    ans[0] = SC_PROTO_VERSION;
    ans[1] = SC_KIND_BOUND;
    level_put(ans + 2, &id->level);
    rc = -SC_EAUTH;
    if ( bound_key(cr, k, ans + 4, req, key, vmm_pub) )
        goto out;
    sc_copy(pt, id->instance, SC_INSTANCE_LEN);
    sc_copy(pt + 16, id->uuid, SC_UUID_LEN);
    sc_store32_be(pt + 32, id->domid);
    cr->seal(ans + 20, ans + 20 + SC_BOUND_ID_LEN, k, zero_nonce, ans, 20, pt, sizeof(pt));
    rc = 0;
 out:
    sc_wipe(k, sizeof(k));
    sc_wipe(pt, sizeof(pt));
    if ( rc )
        sc_wipe(ans, SC_BOUND_LEN);
    return rc;
}

int sc_bound_check(const struct sc_crypto *cr, const uint8_t *ans, size_t len,
                   const uint8_t *req, size_t reqlen, const uint8_t key[SC_KEY_LEN],
                   const uint8_t vmm_pub[SC_PUB_LEN], struct sc_identity *id)
{
    uint8_t k[32], pt[SC_BOUND_ID_LEN], rid[16];
    int rc;

    rc = check_header(ans, len, SC_BOUND_LEN, SC_KIND_BOUND);
    if ( rc )
        return rc;
    if ( reqlen != SC_BIND_LEN )
        return -SC_EINVAL;
    rc = -SC_EAUTH;
    if ( bound_key(cr, k, rid, req, key, vmm_pub) )
        goto out;
    if ( !sc_ct_equal(rid, ans + 4, 16) )
        goto out;
    if ( cr->open(pt, k, zero_nonce, ans, 20, ans + 20, SC_BOUND_ID_LEN,
                  ans + 20 + SC_BOUND_ID_LEN) )
        goto out;
    /* Authentic: a level this code does not know is refused, not shown. */
    rc = -SC_EINVAL;
    level_get(&id->level, ans + 2);
    if ( !sc_level_valid(&id->level, 0) )
        goto out;
    sc_copy(id->instance, pt, SC_INSTANCE_LEN);
    sc_copy(id->uuid, pt + 16, SC_UUID_LEN);
    id->domid = sc_load32_be(pt + 32);
    id->dropped = 0;
    id->options = 0;
    rc = 0;
 out:
    sc_wipe(k, sizeof(k));
    sc_wipe(pt, sizeof(pt));
    return rc;
}

/* ---- hello: ver | 'H' | options | C | uuid | tag ---- */

static int hello_key(const struct sc_crypto *cr, uint8_t k[32], const uint8_t key[32],
                     const uint8_t dh1[32], const uint8_t vmm_pub[32], const uint8_t c_pub[32])
{
    uint8_t ikm[64], info[64];
    int rc;

    sc_copy(ikm, key, 32);
    sc_copy(ikm + 32, dh1, 32);
    sc_copy(info, vmm_pub, 32);
    sc_copy(info + 32, c_pub, 32);
    rc = cr->hkdf(k, 32, (const uint8_t *)L_HELLO, LLEN(L_HELLO), ikm, sizeof(ikm),
                  info, sizeof(info));
    sc_wipe(ikm, sizeof(ikm));
    return rc;
}

/* Hello layout offsets. */
#define H_C     4
#define H_UUID  (H_C + SC_PUB_LEN)
#define H_TAG   (H_UUID + SC_UUID_LEN)

int sc_hello_make_for(const struct sc_crypto *cr, uint8_t hello[SC_HELLO_LEN],
                      const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                      const uint8_t eph[32], uint16_t options, const uint8_t *uuid)
{
    uint8_t dh1[32], k[32];
    int rc = -SC_EAUTH;

    if ( options & ~SC_OPT_KNOWN )
        return -SC_EINVAL;
    hello[0] = SC_PROTO_VERSION;
    hello[1] = SC_KIND_HELLO;
    sc_store16_be(hello + 2, options);
    cr->x25519_base(hello + H_C, eph);
    if ( uuid )
        sc_copy(hello + H_UUID, uuid, SC_UUID_LEN);
    else
        sc_wipe(hello + H_UUID, SC_UUID_LEN);
    if ( cr->x25519(dh1, eph, vmm_pub) != 0 )
        goto out;
    if ( hello_key(cr, k, key, dh1, vmm_pub, hello + H_C) != 0 )
        goto out;
    cr->seal(hello + H_TAG, hello + H_TAG, k, zero_nonce, hello, H_TAG, hello + H_TAG, 0);
    rc = 0;
 out:
    sc_wipe(dh1, sizeof(dh1));
    sc_wipe(k, sizeof(k));
    if ( rc )
        sc_wipe(hello, SC_HELLO_LEN);
    return rc;
}

int sc_hello_make(const struct sc_crypto *cr, uint8_t hello[SC_HELLO_LEN],
                  const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                  const uint8_t eph[32], uint16_t options)
{
    return sc_hello_make_for(cr, hello, key, vmm_pub, eph, options, NULL);
}

const uint8_t *sc_hello_uuid(const uint8_t hello[SC_HELLO_LEN])
{
    return hello + H_UUID;
}

int sc_hello_check(const struct sc_crypto *cr, const uint8_t *hello, size_t len,
                   const uint8_t key[SC_KEY_LEN], const uint8_t vmm_secret[32],
                   const uint8_t vmm_pub[SC_PUB_LEN], uint16_t *options)
{
    uint8_t dh1[32], k[32], none[1];
    uint16_t opt;
    int rc;

    rc = check_header(hello, len, SC_HELLO_LEN, SC_KIND_HELLO);
    if ( rc )
        return rc;
    opt = sc_load16_be(hello + 2);
    if ( opt & ~SC_OPT_KNOWN )
        return -SC_EINVAL;
    rc = -SC_EAUTH;
    if ( cr->x25519(dh1, vmm_secret, hello + H_C) != 0 )
        goto out;
    if ( hello_key(cr, k, key, dh1, vmm_pub, hello + H_C) != 0 )
        goto out;
    if ( cr->open(none, k, zero_nonce, hello, H_TAG, hello + H_TAG, 0, hello + H_TAG) )
        goto out;
    *options = opt;
    rc = 0;
 out:
    sc_wipe(dh1, sizeof(dh1));
    sc_wipe(k, sizeof(k));
    return rc;
}

void sc_hello_id(const struct sc_crypto *cr, uint8_t id[SC_HELLO_ID_LEN],
                 const uint8_t hello[SC_HELLO_LEN])
{
    uint8_t h[32];

    cr->sha256(h, hello, SC_HELLO_LEN);
    sc_copy(id, h, SC_HELLO_ID_LEN);
}

/* ---- key schedule ---- */

static int dir_init(const struct sc_crypto *cr, struct sc_dir *d, uint32_t dir,
                    const uint8_t th[32], const uint8_t *ikm, size_t ikmlen)
{
    uint8_t info[LLEN(L_OUTPUT) + 4];
    size_t n;

    if ( dir == SC_DIR_IN )
    {
        n = LLEN(L_INPUT);
        sc_copy(info, (const uint8_t *)L_INPUT, n);
    }
    else
    {
        n = LLEN(L_OUTPUT);
        sc_copy(info, (const uint8_t *)L_OUTPUT, n);
    }
    sc_store32_be(info + n, 0);
    d->counter = 0;
    d->epoch = 0;
    d->dir = dir;
    return cr->hkdf(d->key, 32, th, 32, ikm, ikmlen, info, n + 4);
}

/*
 * Session keys: salt TH = SHA-256(L_TRANSCRIPT | hello | S | V),
 * ikm = K | DH(c, V) | DH(c, S), one label per purpose and direction.
 */
static int session_keys(const struct sc_crypto *cr, uint8_t k_answer[32],
                        struct sc_dir *in, struct sc_dir *out,
                        const uint8_t hello[SC_HELLO_LEN], const uint8_t key[32],
                        const uint8_t dh1[32], const uint8_t dh2[32],
                        const uint8_t s_pub[32], const uint8_t vmm_pub[32])
{
    uint8_t t[TRANSCRIPT_MAX], th[32], ikm[96];
    int rc = -SC_EAUTH;

    sc_copy(t, (const uint8_t *)L_TRANSCRIPT, LLEN(L_TRANSCRIPT));
    sc_copy(t + LLEN(L_TRANSCRIPT), hello, SC_HELLO_LEN);
    sc_copy(t + LLEN(L_TRANSCRIPT) + SC_HELLO_LEN, s_pub, 32);
    sc_copy(t + LLEN(L_TRANSCRIPT) + SC_HELLO_LEN + 32, vmm_pub, 32);
    cr->sha256(th, t, sizeof(t));
    sc_copy(ikm, key, 32);
    sc_copy(ikm + 32, dh1, 32);
    sc_copy(ikm + 64, dh2, 32);
    if ( cr->hkdf(k_answer, 32, th, 32, ikm, sizeof(ikm),
                  (const uint8_t *)L_ANSWER, LLEN(L_ANSWER)) )
        goto out;
    if ( dir_init(cr, in, SC_DIR_IN, th, ikm, sizeof(ikm)) )
        goto out;
    if ( dir_init(cr, out, SC_DIR_OUT, th, ikm, sizeof(ikm)) )
        goto out;
    rc = 0;
 out:
    sc_wipe(ikm, sizeof(ikm));
    sc_wipe(th, sizeof(th));
    if ( rc )
    {
        sc_wipe(k_answer, 32);
        sc_dir_wipe(in);
        sc_dir_wipe(out);
    }
    return rc;
}

static void identity_put(uint8_t p[SC_IDENTITY_LEN], const struct sc_identity *id)
{
    sc_copy(p, id->instance, SC_INSTANCE_LEN);
    sc_copy(p + 16, id->uuid, SC_UUID_LEN);
    sc_store32_be(p + 32, id->domid);
    sc_store64_be(p + 36, id->dropped);
}

static void identity_get(struct sc_identity *id, const uint8_t p[SC_IDENTITY_LEN])
{
    sc_copy(id->instance, p, SC_INSTANCE_LEN);
    sc_copy(id->uuid, p + 16, SC_UUID_LEN);
    id->domid = sc_load32_be(p + 32);
    id->dropped = sc_load64_be(p + 36);
}

/* Answer layout offsets. */
#define A_ID    4
#define A_S     (A_ID + SC_HELLO_ID_LEN)
#define A_CT    (A_S + SC_PUB_LEN)
#define A_TAG   (A_CT + SC_IDENTITY_LEN)

int sc_answer_make(const struct sc_crypto *cr, uint8_t answer[SC_ANSWER_LEN],
                   const uint8_t hello[SC_HELLO_LEN], const uint8_t key[SC_KEY_LEN],
                   const uint8_t vmm_secret[32], const uint8_t vmm_pub[SC_PUB_LEN],
                   const uint8_t eph[32], const struct sc_identity *id,
                   struct sc_dir *in, struct sc_dir *out)
{
    uint8_t dh1[32], dh2[32], k[32], pt[SC_IDENTITY_LEN];
    int rc = -SC_EAUTH;

    if ( !sc_level_valid(&id->level, 0) )
    {
        sc_wipe(answer, SC_ANSWER_LEN);
        sc_dir_wipe(in);
        sc_dir_wipe(out);
        return -SC_EINVAL;
    }
    answer[0] = SC_PROTO_VERSION;
    answer[1] = SC_KIND_ANSWER;
    if ( id->options & ~sc_load16_be(hello + 2) ||
         id->options & ~sc_opts_accepted(&id->level) )
    {
        rc = -SC_EINVAL;
        goto out;
    }
    level_put(answer + 2, &id->level);
    sc_hello_id(cr, answer + A_ID, hello);
    cr->x25519_base(answer + A_S, eph);
    if ( cr->x25519(dh1, vmm_secret, hello + H_C) != 0 )
        goto out;
    if ( cr->x25519(dh2, eph, hello + H_C) != 0 )
        goto out;
    if ( session_keys(cr, k, in, out, hello, key, dh1, dh2, answer + A_S, vmm_pub) )
        goto out;
    identity_put(pt, id);
    cr->seal(answer + A_CT, answer + A_TAG, k, zero_nonce, answer, A_CT, pt, sizeof(pt));
    rc = 0;
 out:
    sc_wipe(dh1, sizeof(dh1));
    sc_wipe(dh2, sizeof(dh2));
    sc_wipe(k, sizeof(k));
    if ( rc )
        sc_wipe(answer, SC_ANSWER_LEN);
    return rc;
}

int sc_answer_check(const struct sc_crypto *cr, const uint8_t *answer, size_t len,
                    const uint8_t hello[SC_HELLO_LEN], const uint8_t key[SC_KEY_LEN],
                    const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                    struct sc_identity *id, struct sc_dir *in, struct sc_dir *out,
                    uint8_t vmm_eph_pub[SC_PUB_LEN])
{
    uint8_t dh1[32], dh2[32], k[32], pt[SC_IDENTITY_LEN], hid[SC_HELLO_ID_LEN];
    int rc;

    rc = check_header(answer, len, SC_ANSWER_LEN, SC_KIND_ANSWER);
    if ( rc )
        return rc;
    sc_hello_id(cr, hid, hello);
    if ( !sc_ct_equal(hid, answer + A_ID, SC_HELLO_ID_LEN) )
        return -SC_EAUTH;
    rc = -SC_EAUTH;
    if ( cr->x25519(dh1, eph, vmm_pub) != 0 )
        goto out;
    if ( cr->x25519(dh2, eph, answer + A_S) != 0 )
        goto out;
    if ( session_keys(cr, k, in, out, hello, key, dh1, dh2, answer + A_S, vmm_pub) )
        goto out;
    if ( cr->open(pt, k, zero_nonce, answer, A_CT, answer + A_CT, SC_IDENTITY_LEN,
                  answer + A_TAG) )
    {
        sc_dir_wipe(in);
        sc_dir_wipe(out);
        goto out;
    }
    identity_get(id, pt);
    level_get(&id->level, answer + 2);
    if ( !sc_level_valid(&id->level, 0) )
    {
        /* Authentic, but a level this code does not know (a newer VMM): not shown as known. */
        sc_dir_wipe(in);
        sc_dir_wipe(out);
        sc_wipe(id, sizeof(*id));
        rc = -SC_EINVAL;
        goto out;
    }
    /* What the VMM accepted of the hello's offer follows from the authentic console kind. */
    id->options = sc_load16_be(hello + 2) & sc_opts_accepted(&id->level);
    if ( !sc_ct_equal(hello + H_UUID, zero_uuid, SC_UUID_LEN) &&
         !sc_ct_equal(hello + H_UUID, id->uuid, SC_UUID_LEN) )
    {
        /* Authentic, but for another domain than the one this session is for. */
        sc_dir_wipe(in);
        sc_dir_wipe(out);
        sc_wipe(id, sizeof(*id));
        rc = -SC_EUUID;
        goto out;
    }
    sc_copy(vmm_eph_pub, answer + A_S, SC_PUB_LEN);
    rc = 0;
 out:
    sc_wipe(dh1, sizeof(dh1));
    sc_wipe(dh2, sizeof(dh2));
    sc_wipe(k, sizeof(k));
    sc_wipe(pt, sizeof(pt));
    return rc;
}

int sc_session_keys_client(const struct sc_crypto *cr, const uint8_t hello[SC_HELLO_LEN],
                           const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                           const uint8_t eph[32], const uint8_t vmm_eph_pub[SC_PUB_LEN],
                           struct sc_dir *in, struct sc_dir *out)
{
    uint8_t dh1[32], dh2[32], k[32];
    int rc = -SC_EAUTH;

    if ( cr->x25519(dh1, eph, vmm_pub) != 0 )
        goto out;
    if ( cr->x25519(dh2, eph, vmm_eph_pub) != 0 )
        goto out;
    rc = session_keys(cr, k, in, out, hello, key, dh1, dh2, vmm_eph_pub, vmm_pub);
 out:
    sc_wipe(dh1, sizeof(dh1));
    sc_wipe(dh2, sizeof(dh2));
    sc_wipe(k, sizeof(k));
    return rc;
}

/* ---- records ---- */

void sc_dir_wipe(struct sc_dir *d)
{
    sc_wipe(d, sizeof(*d));
}

static void rec_nonce(uint8_t nonce[12], const struct sc_dir *d)
{
    sc_store32_be(nonce, d->dir);
    sc_store64_be(nonce + 4, d->counter);
}

/* The next epoch's key from this one's; the old key is overwritten. */
static int dir_rekey(const struct sc_crypto *cr, struct sc_dir *d)
{
    uint8_t info[LLEN(L_OUTPUT_REKEY) + 4], next[32];
    size_t n;
    int rc;

    if ( d->dir == SC_DIR_IN )
    {
        n = LLEN(L_INPUT_REKEY);
        sc_copy(info, (const uint8_t *)L_INPUT_REKEY, n);
    }
    else
    {
        n = LLEN(L_OUTPUT_REKEY);
        sc_copy(info, (const uint8_t *)L_OUTPUT_REKEY, n);
    }
    sc_store32_be(info + n, d->epoch + 1);
    rc = cr->hkdf(next, 32, NULL, 0, d->key, 32, info, n + 4);
    if ( rc == 0 )
    {
        sc_copy(d->key, next, 32);
        d->epoch++;
        d->counter = 0;
    }
    sc_wipe(next, sizeof(next));
    return rc;
}

int sc_rec_seal(const struct sc_crypto *cr, struct sc_dir *d, uint8_t *frame, size_t cap,
                unsigned int type, const uint8_t *data, size_t len, size_t pt_min)
{
    uint8_t nonce[12], *pt = frame + SC_FRAME_HDR;
    size_t ptlen, i;

    if ( type < SC_REC_DATA || type > SC_REC_MAX_TYPE || len > SC_REC_MAX_DATA )
        return -SC_EINVAL;
    if ( d->counter == UINT64_MAX || d->epoch == UINT32_MAX )
        return -SC_EINVAL;
    /* Only the one fixed size is padded (sc_rec_open checks it). */
    if ( pt_min != 0 && (pt_min != SC_REC_MIN_PT || len > SC_KEYSTROKE_DATA) )
        return -SC_EINVAL;
    ptlen = pt_min ? SC_REC_MIN_PT : len + SC_REC_HDR;
    if ( cap < SC_FRAME_HDR + ptlen + SC_TAG_LEN )
        return -SC_ESPACE;

    sc_store16_be(frame, (uint16_t)(ptlen + SC_TAG_LEN));
    if ( data != pt )
        for ( i = 0; i < len; i++ )
            pt[i] = data[i];
    pt[len] = (uint8_t)type;
    for ( i = len + SC_REC_HDR; i < ptlen; i++ )
        pt[i] = 0;
    rec_nonce(nonce, d);
    cr->seal(pt, pt + ptlen, d->key, nonce, frame, SC_FRAME_HDR, pt, ptlen);
    d->counter++;
    if ( type == SC_REC_REKEY && dir_rekey(cr, d) )
        return -SC_EINVAL;
    return (int)(SC_FRAME_HDR + ptlen + SC_TAG_LEN);
}

/*
 * The type's position in a fixed-size plaintext: the last non-zero byte,
 * found without branching on the bytes (the position is the data's length,
 * which the fixed size hides).  Returns SC_REC_MIN_PT when all are zero.
 */
static size_t fixed_type_pos(const uint8_t pt[SC_REC_MIN_PT])
{
    size_t i, pos = SC_REC_MIN_PT;
    uint32_t nz, mask;

    for ( i = 0; i < SC_REC_MIN_PT; i++ )
    {
        nz = pt[i];
        mask = (uint32_t)0 - ((nz | (0u - nz)) >> 31);     /* all ones when pt[i] != 0 */
        pos = (pos & ~(size_t)mask) | (i & (size_t)mask);
    }
    return pos;
}

int sc_rec_open(const struct sc_crypto *cr, struct sc_dir *d, const uint8_t *frame,
                size_t len, unsigned int *type, uint8_t *data, size_t *datalen)
{
    uint8_t nonce[12];
    size_t ptlen, n;
    unsigned int t;
    int rc;

    if ( len < SC_FRAME_HDR )
        return -SC_EINVAL;
    rc = sc_frame_body_len(frame);
    if ( rc < 0 || (size_t)rc != len - SC_FRAME_HDR )
        return -SC_EINVAL;
    if ( d->counter == UINT64_MAX )
        return -SC_EINVAL;
    ptlen = (size_t)rc - SC_TAG_LEN;
    rec_nonce(nonce, d);
    if ( cr->open(data, d->key, nonce, frame, SC_FRAME_HDR, frame + SC_FRAME_HDR, ptlen,
                  frame + SC_FRAME_HDR + ptlen) )
    {
        sc_wipe(data, ptlen);
        return -SC_EAUTH;
    }

    /*
     * Authentic: now the format must hold exactly.  Only a record of the
     * fixed size may carry padding; any other padding would be a covert
     * length channel, so there the type must be the last byte.
     */
    rc = -SC_EINVAL;
    n = ptlen == SC_REC_MIN_PT ? fixed_type_pos(data) : ptlen - SC_REC_HDR;
    if ( n >= ptlen )
        goto out;
    t = data[n];
    if ( t < SC_REC_DATA || t > SC_REC_MAX_TYPE )
        goto out;
    if ( (t == SC_REC_CHAFF || t == SC_REC_REKEY || t == SC_REC_BREAK) && n != 0 )
        goto out;
    if ( t == SC_REC_REKEY && d->epoch == UINT32_MAX )
        goto out;

    d->counter++;
    if ( t == SC_REC_REKEY && dir_rekey(cr, d) )
        goto out;
    /* The type and padding are not data: the caller sees data[0..n) only. */
    sc_wipe(data + n, ptlen - n);
    *type = t;
    *datalen = n;
    return 0;
 out:
    sc_wipe(data, ptlen);
    return rc;
}
