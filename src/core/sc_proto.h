/* SPDX-License-Identifier: MIT */
/*
 * The SCCrypt wire protocol, version 4: the code both ends share.
 *
 * man/sccrypt.7.scd is the normative text; this header is its constants and
 * the functions that build and check each message.  The functions take their
 * crypto through struct sc_crypto, so that the user's tools run them on
 * OpenSSL and the VMM on the core's own code, and they take randomness as
 * arguments: nothing here allocates, prints, reads a clock or keeps state
 * outside what the caller passes in.
 *
 * Every function returns 0 on success or a negative SC_E* code; on failure it
 * leaves its outputs wiped (never a half-built message or key).
 */
#ifndef SC_PROTO_H
#define SC_PROTO_H

#include "sc_types.h"

#define SC_PROTO_VERSION    4

#define SC_KEY_LEN          32      /* the user's console key K */
#define SC_PUB_LEN          32      /* an X25519 public key */
#define SC_TAG_LEN          16
#define SC_UUID_LEN         16
#define SC_INSTANCE_LEN     16
#define SC_HASH_LEN         32
#define SC_CHALLENGE_LEN    16      /* the VMM's per-domain bind challenge */

/* Every message on a stream is a frame: a 2-byte big-endian body length, then the body. */
#define SC_FRAME_HDR        2

/*
 * The seal level (sccrypt(7) LEVELS): two bytes on the wire, flags then
 * console kind.  Flags are strengths: a level with a flag is stronger than
 * the same level without it.  A level HAVE is at least WANT when HAVE has
 * every flag WANT has and, when WANT names a console kind, the same kind
 * (kinds are not ordered: neither is weaker).
 */
#define SC_LEVEL_DMA        0x01    /* dom0's DMA is confined by a strict IOMMU */
#define SC_LEVEL_SEALED     0x02    /* memory sealed: nothing outside the domain may map it */
#define SC_LEVEL_KNOWN      (SC_LEVEL_DMA | SC_LEVEL_SEALED)
#define SC_LEVEL_STRONGEST  SC_LEVEL_KNOWN
#define SC_CON_ANY          0       /* in a least level only: any console kind */
#define SC_CON_RING         1       /* the PV console ring (xencons_interface) */
#define SC_CON_UART         2       /* a 16550 UART at COM1 that the VMM itself emulates */
#define SC_CON_MAX          2
#define SC_LEVEL_LEN        2

struct sc_level {
    uint8_t flags;                  /* SC_LEVEL_* */
    uint8_t console;                /* SC_CON_* */
};

/*
 * Bind request: ver | 'B' | least[2] | E[32] | AEAD(K[32] | uuid[16]) | tag[16],
 * the AEAD's associated data ver | 'B' | least | E | challenge[16]: the
 * domain's current bind challenge, not sent (the VMM knows it).  least is
 * the least seal level the user accepts for this domain (flags, console
 * kind, SC_CON_ANY allowed): the VMM binds only when its level is at least
 * that.
 */
#define SC_BIND_LEN         (4 + SC_PUB_LEN + SC_KEY_LEN + SC_UUID_LEN + SC_TAG_LEN)   /* 100 */
/*
 * Hello: ver | 'H' | options be16 | C[32] | uuid[16] | tag[16] (empty AEAD
 * plaintext).  uuid names the domain the session is for; all zero: the one
 * domain the key binds (refused when it binds several).
 */
#define SC_HELLO_LEN        (4 + SC_PUB_LEN + SC_UUID_LEN + SC_TAG_LEN)                 /* 68 */
/*
 * Answer: ver | 'A' | level[2] | hello-id[16] | S[32] | AEAD(identity[44]) | tag[16],
 * the AEAD's associated data everything before the ciphertext, so the level
 * (flags, console kind: never SC_CON_ANY) is authenticated with the rest.
 */
#define SC_HELLO_ID_LEN     16
#define SC_IDENTITY_LEN     (SC_INSTANCE_LEN + SC_UUID_LEN + 4 + 8)                     /* 44 */
#define SC_ANSWER_LEN       (4 + SC_HELLO_ID_LEN + SC_PUB_LEN + SC_IDENTITY_LEN + SC_TAG_LEN) /* 112 */

/*
 * Bind answer: ver | 'b' | level[2] | req-id[16] | AEAD(instance[16] | uuid[16] |
 * domid be32) | tag[16], the level in the associated data (as in the answer).
 */
#define SC_BOUND_ID_LEN     (SC_INSTANCE_LEN + SC_UUID_LEN + 4)                         /* 36 */
#define SC_BOUND_LEN        (4 + 16 + SC_BOUND_ID_LEN + SC_TAG_LEN)                     /* 72 */

#define SC_KIND_BIND        0x42    /* 'B' */
#define SC_KIND_BOUND       0x62    /* 'b' */
#define SC_KIND_HELLO       0x48    /* 'H' */
#define SC_KIND_ANSWER      0x41    /* 'A' */

/* Hello options (be16). Unknown bits are refused. */
#define SC_OPT_CHAFF        0x0001  /* the client sends chaff; answer each with chaff */
/*
 * The client may send SC_REC_BREAK.  A client offers it always; the VMM
 * accepts it only for a UART console (sc_opts_accepted: the answer's
 * authentic console kind tells the client), and then
 * ends the session on a BREAK record it did not accept, as on any bad record.
 */
#define SC_OPT_BREAK        0x0002
#define SC_OPT_KNOWN        (SC_OPT_CHAFF | SC_OPT_BREAK)

/*
 * Records.  Plaintext: data | type[1] | zero padding.  The type is never 0,
 * so it is the last non-zero byte.  Only the fixed-size records of an
 * obfuscating session are padded: exactly SC_REC_MIN_PT bytes of plaintext,
 * so a keystroke, chaff and a close look alike.  Every other record has no
 * padding at all (plaintext = data | type), so it costs what it carries: a
 * keystroke without obfuscation is 2 + 1 + 1 + 16 = 20 bytes on the wire.
 * Body on the wire: ciphertext | tag.
 */
#define SC_REC_HDR          1                                              /* the type */
#define SC_REC_MIN_PT       18      /* the fixed size: 2 + 18 + 16 = 36 bytes, SSH's keystroke */
#define SC_REC_MAX_DATA     16384
#define SC_REC_MAX_PT       (SC_REC_MAX_DATA + SC_REC_HDR)
#define SC_REC_MIN_BODY     (SC_REC_HDR + SC_TAG_LEN)                      /* 17 */
#define SC_REC_MAX_BODY     (SC_REC_MAX_PT + SC_TAG_LEN)                   /* 16401 */
#define SC_REC_MAX_FRAME    (SC_FRAME_HDR + SC_REC_MAX_BODY)               /* 16403 */
#define SC_KEYSTROKE_DATA   (SC_REC_MIN_PT - SC_REC_HDR)                   /* 17 */
/*
 * Input records (user -> guest) carry at most SC_REC_MAX_IN_DATA: the VMM
 * holds one record's plaintext until the guest's 1 KiB ring takes it, and
 * that buffer stays inside the domain's one page of VMM state.  A longer
 * input record is refused before it is decrypted.
 */
#define SC_REC_MAX_IN_DATA  2048
#define SC_REC_MAX_IN_PT    (SC_REC_MAX_IN_DATA + SC_REC_HDR)
#define SC_REC_MAX_IN_BODY  (SC_REC_MAX_IN_PT + SC_TAG_LEN)                /* 2065 */
#define SC_KEYSTROKE_FRAME  (SC_FRAME_HDR + SC_REC_MIN_PT + SC_TAG_LEN)    /* 36 */

#define SC_REC_DATA         1
#define SC_REC_CLOSE        2       /* data: reason[1], then for input closes quiet_ms be32 */
#define SC_REC_CHAFF        3
#define SC_REC_REKEY        4       /* the sender's next record uses the next epoch's key */
#define SC_REC_BREAK        5       /* input, SC_OPT_BREAK only: a BREAK on the guest's UART; no data */
#define SC_REC_MAX_TYPE     SC_REC_BREAK

/* Close reasons.  Only SC_CLOSE_QUIET is a clean end of a session. */
#define SC_CLOSE_QUIET      0       /* VMM: input ended and the guest was quiet as asked */
#define SC_CLOSE_EOF        1       /* client: end of input (quiet_ms follows) */
#define SC_CLOSE_ESCAPE     2       /* client: the user typed the escape sequence */
#define SC_CLOSE_RELAY      3       /* VMM: the relay asked to end the session */
#define SC_CLOSE_GUEST_GONE 4       /* VMM: the domain died or its guest went away */
#define SC_CLOSE_TAKEOVER   5       /* VMM: another session took this domain over */
#define SC_CLOSE_PROTOCOL   6       /* VMM: an input record failed authentication */
#define SC_CLOSE_TIMEOUT    7       /* VMM: no client record came in time (the client's or dom0's doing) */
#define SC_CLOSE_LOST       8       /* VMM: guest output of this session was lost, never delivered */
#define SC_CLOSE_STOPPED    9       /* VMM: another domain suspended or shut the guest down */
#define SC_CLOSE_MAX        9

/*
 * A client sends at least one record every SC_KEEPALIVE_MS while its input
 * is open (chaff when it has nothing else), its first one at once after the
 * handshake: that first record proves to the VMM that the session is live.
 */
#define SC_KEEPALIVE_MS     30000
#define SC_CLOSE_INPUT_LEN  5       /* reason + quiet_ms */

/* Directions: also the first word of every record nonce. */
#define SC_DIR_IN           1       /* user -> guest */
#define SC_DIR_OUT          2       /* guest -> user */

/* A sender moves to the next epoch (REKEY record) before its counter reaches this. */
#define SC_REKEY_AFTER      ((uint64_t)1 << 32)

/* Errors (negated). */
#define SC_EINVAL           1       /* malformed: bad length, kind, padding, type */
#define SC_EVERSION         2       /* a protocol version we do not speak */
#define SC_EAUTH            3       /* authentication failed: forged, replayed, reordered, wrong key */
#define SC_EREPLAY          4       /* the domain has no current bind challenge (none fetched, or used up) */
#define SC_EFULL            5       /* no longer returned (the used-request table is gone) */
#define SC_EUUID            6       /* the request names another domain */
#define SC_EKEYINUSE        7       /* the key binds as many live domains as the VMM allows */
#define SC_EBOUND           8       /* the domain is bound already */
#define SC_ENOTBOUND        9       /* the domain has no binding */
#define SC_ENOSESSION       10      /* no session is open */
#define SC_ECLOSED          11      /* the session has ended */
#define SC_ESPACE           12      /* the output buffer is too small */
#define SC_ENORANDOM        13      /* no cryptographic randomness (the VMM fails closed) */
#define SC_EGUEST           14      /* the hello names no domain, and the key binds several */
#define SC_ELEVEL           15      /* the host's seal level is below the bind request's least level */
#define SC_EMAX             15
/* Host-level refusals (the hypercall's and the simulator's, not the engine's). */
#define SC_EBUSY            32      /* another session holds the domain's console */
#define SC_ENODOMAIN        33      /* no such domain */

/* The crypto a protocol end runs on. Same contracts as sccrypt_crypto.h. */
struct sc_crypto {
    void (*seal)(uint8_t *ct, uint8_t tag[16], const uint8_t key[32], const uint8_t nonce[12],
                 const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen);
    int (*open)(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
                const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
                const uint8_t tag[16]);
    int (*x25519)(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
    void (*x25519_base)(uint8_t out[32], const uint8_t scalar[32]);
    int (*hkdf)(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);
    void (*sha256)(uint8_t out[32], const uint8_t *m, size_t len);
};

/* The core's own crypto, for the VMM and the tests. */
extern const struct sc_crypto sc_core_crypto;

/* One direction of a session: its key, epoch and next record counter. */
struct sc_dir {
    uint8_t key[SC_KEY_LEN];
    uint64_t counter;
    uint32_t epoch;
    uint32_t dir;                   /* SC_DIR_IN or SC_DIR_OUT */
};

/* What the VMM vouches for in its answer. */
struct sc_identity {
    uint8_t instance[SC_INSTANCE_LEN];
    uint8_t uuid[SC_UUID_LEN];
    uint32_t domid;
    uint64_t dropped;               /* backlog bytes lost while nobody was attached */
    uint16_t options;               /* the hello's options the VMM accepted (sc_opts_accepted) */
    struct sc_level level;          /* the seal level the VMM vouches for */
};

/*
 * sc_level_valid: 1 when l is a well-formed level: no unknown flag, a
 * console kind up to SC_CON_MAX, and SC_CON_ANY only when least (a least
 * level in a bind request or a user's requirement), else 0.
 * sc_level_at_least: 1 when have is at least want (see SC_LEVEL_DMA), else 0.
 */
int sc_level_valid(const struct sc_level *l, int least);
int sc_level_at_least(const struct sc_level *have, const struct sc_level *want);
/*
 * sc_opts_accepted: the hello options a VMM whose level is l accepts:
 * SC_OPT_BREAK only for a UART console.  The answer carries no options: the
 * client takes what it offered and this allows, from the authentic level.
 */
uint16_t sc_opts_accepted(const struct sc_level *l);

/* A human-readable name for an error or close reason, for messages. */
const char *sc_strerror(int err);
const char *sc_close_reason(unsigned int reason);

/*
 * Frames.  sc_frame_body_len() reads a frame header and returns the body
 * length, or -SC_EINVAL when it is not a possible record length
 * (< SC_REC_MIN_BODY or > SC_REC_MAX_BODY).  Hello and answer frames have
 * their own fixed lengths and are checked by their own functions.
 */
int sc_frame_body_len(const uint8_t hdr[SC_FRAME_HDR]);
void sc_frame_put_hdr(uint8_t hdr[SC_FRAME_HDR], size_t body_len);

/*
 * Bind request (sccrypt(7) BIND REQUEST).
 * sc_bind_seal: eph is 32 fresh random bytes (the request's ephemeral
 * secret); challenge is the domain's current bind challenge (sccrypt(7)
 * BIND CHALLENGE), sealed in as associated data; writes SC_BIND_LEN bytes
 * to req.  -SC_EAUTH if vmm_pub is a low-order point.
 * sc_bind_open: opens req under challenge; -SC_EAUTH when it was sealed for
 * another VMM key or another challenge.  On success writes the key and the
 * UUID the request names and req_id (SHA-256(req)[0..16]).
 */
int sc_bind_seal(const struct sc_crypto *cr, uint8_t req[SC_BIND_LEN],
                 const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                 const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                 const uint8_t challenge[SC_CHALLENGE_LEN]);
/*
 * sc_bind_seal_level: sc_bind_seal with the least level the request accepts
 * (sc_bind_seal accepts any level: least {0, SC_CON_ANY}).  -SC_EINVAL when
 * least is not a valid least level.
 * sc_bind_least: the least level of a request that sc_bind_open accepted.
 */
int sc_bind_seal_level(const struct sc_crypto *cr, uint8_t req[SC_BIND_LEN],
                       const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                       const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                       const uint8_t challenge[SC_CHALLENGE_LEN],
                       const struct sc_level *least);
void sc_bind_least(const uint8_t req[SC_BIND_LEN], struct sc_level *least);
int sc_bind_open(const struct sc_crypto *cr, const uint8_t *req, size_t len,
                 const uint8_t vmm_secret[32], const uint8_t vmm_pub[SC_PUB_LEN],
                 const uint8_t challenge[SC_CHALLENGE_LEN],
                 uint8_t key[SC_KEY_LEN], uint8_t uuid[SC_UUID_LEN], uint8_t req_id[16]);

/*
 * Bind answer (sccrypt(7) BIND ANSWER): the VMM's word, to the holder of the
 * key, that the request req (SC_BIND_LEN bytes, as sent) bound the domain
 * and instance in id at id's level (its dropped field unused).
 * sc_bound_make (VMM): writes SC_BOUND_LEN bytes to ans.
 * sc_bound_check (client): checks that ans answers req under key and
 * vmm_pub; writes the identity.  -SC_EAUTH for a forged answer or one to
 * another request, -SC_EINVAL / -SC_EVERSION for a malformed one.
 */
int sc_bound_make(const struct sc_crypto *cr, uint8_t ans[SC_BOUND_LEN],
                  const uint8_t *req, size_t reqlen, const uint8_t key[SC_KEY_LEN],
                  const uint8_t vmm_pub[SC_PUB_LEN], const struct sc_identity *id);
int sc_bound_check(const struct sc_crypto *cr, const uint8_t *ans, size_t len,
                   const uint8_t *req, size_t reqlen, const uint8_t key[SC_KEY_LEN],
                   const uint8_t vmm_pub[SC_PUB_LEN], struct sc_identity *id);

/*
 * Hello (client -> VMM).  eph is the client's ephemeral secret c (32 random
 * bytes), kept by the caller for sc_answer_check().  uuid is the domain the
 * session is for, or NULL (all zero: the one domain the key binds).
 * sc_hello_make is sc_hello_make_for with no domain named.
 * sc_hello_check (VMM): checks version, kind, options and tag under the
 * bound key; writes the options, the client's ephemeral public key C and the
 * UUID the hello names.
 */
int sc_hello_make_for(const struct sc_crypto *cr, uint8_t hello[SC_HELLO_LEN],
                      const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                      const uint8_t eph[32], uint16_t options, const uint8_t *uuid);
int sc_hello_make(const struct sc_crypto *cr, uint8_t hello[SC_HELLO_LEN],
                  const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                  const uint8_t eph[32], uint16_t options);
int sc_hello_check(const struct sc_crypto *cr, const uint8_t *hello, size_t len,
                   const uint8_t key[SC_KEY_LEN], const uint8_t vmm_secret[32],
                   const uint8_t vmm_pub[SC_PUB_LEN], uint16_t *options);
/* The UUID a (well-formed) hello names; all zero when it names none. */
const uint8_t *sc_hello_uuid(const uint8_t hello[SC_HELLO_LEN]);

/* The 16-byte id of a hello: SHA-256(hello)[0..16]; names the rendezvous. */
void sc_hello_id(const struct sc_crypto *cr, uint8_t id[SC_HELLO_ID_LEN],
                 const uint8_t hello[SC_HELLO_LEN]);

/*
 * Answer (VMM -> client) and the session keys.
 * sc_answer_make (VMM): hello must have passed sc_hello_check; eph is the
 * VMM's fresh ephemeral secret s.  Writes the answer and both directions'
 * epoch-0 state (in: user->guest, out: guest->user).
 * The answer carries id->level (sc_answer_make: -SC_EINVAL unless valid).
 * sc_answer_check (client): eph is the hello's c.  Checks the answer,
 * writes the identity (its level included), both directions and the VMM's
 * ephemeral public S.  The level is checked after the tag: a changed level
 * is -SC_EAUTH; an authentic level this code does not know, -SC_EINVAL.
 * When the hello names a domain, an authentic answer for another UUID is
 * refused with -SC_EUUID.
 */
int sc_answer_make(const struct sc_crypto *cr, uint8_t answer[SC_ANSWER_LEN],
                   const uint8_t hello[SC_HELLO_LEN], const uint8_t key[SC_KEY_LEN],
                   const uint8_t vmm_secret[32], const uint8_t vmm_pub[SC_PUB_LEN],
                   const uint8_t eph[32], const struct sc_identity *id,
                   struct sc_dir *in, struct sc_dir *out);
int sc_answer_check(const struct sc_crypto *cr, const uint8_t *answer, size_t len,
                    const uint8_t hello[SC_HELLO_LEN], const uint8_t key[SC_KEY_LEN],
                    const uint8_t vmm_pub[SC_PUB_LEN], const uint8_t eph[32],
                    struct sc_identity *id, struct sc_dir *in, struct sc_dir *out,
                    uint8_t vmm_eph_pub[SC_PUB_LEN]);
/*
 * sc-enc's half once sc-dec has checked the answer: derive both directions
 * from the hello's secret c and the VMM's ephemeral S that sc-dec handed over.
 */
int sc_session_keys_client(const struct sc_crypto *cr, const uint8_t hello[SC_HELLO_LEN],
                           const uint8_t key[SC_KEY_LEN], const uint8_t vmm_pub[SC_PUB_LEN],
                           const uint8_t eph[32], const uint8_t vmm_eph_pub[SC_PUB_LEN],
                           struct sc_dir *in, struct sc_dir *out);

/*
 * Records.
 * sc_rec_seal: seals one record of the given type carrying len data bytes
 * (len <= SC_REC_MAX_DATA) into frame (header included); pt_min is 0 (no
 * padding) or SC_REC_MIN_PT (the fixed size: len must then be at most
 * SC_KEYSTROKE_DATA).  data may be frame + SC_FRAME_HDR (sealed in place).
 * Returns the frame length, or -SC_ESPACE if cap is too small, -SC_EINVAL
 * on a bad length.  A REKEY record moves d to the next epoch after it is
 * sealed.
 * sc_rec_open: frame is one whole frame (header included) of len bytes.
 * Authenticates it under d's key and counter and decrypts into data, which
 * must hold SC_REC_MAX_PT bytes; writes the type and the data length (the
 * data is data[0..datalen)).  A REKEY record moves d to the next epoch.  On
 * any failure data is wiped and d is unchanged: -SC_EAUTH for a forged,
 * replayed, reordered or reflected record, -SC_EINVAL for an authentic
 * record that breaks the format.
 */
int sc_rec_seal(const struct sc_crypto *cr, struct sc_dir *d, uint8_t *frame, size_t cap,
                unsigned int type, const uint8_t *data, size_t len, size_t pt_min);
int sc_rec_open(const struct sc_crypto *cr, struct sc_dir *d, const uint8_t *frame,
                size_t len, unsigned int *type, uint8_t *data, size_t *datalen);

/* Wipe a direction's key and counters. */
void sc_dir_wipe(struct sc_dir *d);

#endif /* SC_PROTO_H */
