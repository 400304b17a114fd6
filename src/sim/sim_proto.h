/* SPDX-License-Identifier: MIT */
/*
 * sim_proto.h: the socket protocol between sc-relay's sim backend
 * (src/relay/relay_sim.c) and the VMM simulator (sc-vmmsim, src/sim/).
 *
 * It carries the operations of the sccrypt_op hypercall, nothing more:
 * every payload is ciphertext or a public key, so the relay side links no
 * crypto.  This header is plain and self-contained (only <stdint.h>): the
 * relay includes it without the core.
 *
 * Transport: a SOCK_STREAM UNIX socket, mode 0600: --socket, else
 * $SCCRYPT_SIM_SOCKET, else /run/sccrypt-sim/sim.sock as root, else
 * $XDG_RUNTIME_DIR/sccrypt-sim/sim.sock, else /tmp/sccrypt-sim-UID/sim.sock.  The
 * client sends requests, the simulator answers them; requests on one
 * connection are served in order, one at a time.  All integers are
 * big-endian.
 *
 *   request  (16 bytes): ver[1] op[1] flags[1] arg8[1] domid[4] arg[4] len[4]
 *                        then len payload bytes
 *   response (16 bytes): ver[1] op[1] status[1] err[1] value[4] value2[4] len[4]
 *                        then len payload bytes
 *
 * ver is SIM_WIRE_VERSION; a request with another version is answered
 * SIM_STATUS_BADREQ and the connection closed.  op in the response
 * repeats the request's.  status: SIM_STATUS_OK, SIM_STATUS_VMM (the VMM
 * refused: err is an SC_E* code of sc_proto.h, or one of SIM_ERR_* below),
 * SIM_STATUS_BADREQ (malformed request; err 0).  len <= SIM_MAX_PAYLOAD.
 *
 * Operations (domid matters for CHALLENGE, BIND, OPEN and DOMINFO only; the others act on the
 * session this connection opened):
 *   STATUS   -> value = the SCCrypt protocol version (SC_PROTO_VERSION),
 *               value2 = SIM_WIRE_VERSION.
 *   VMM_KEY  -> payload = the VMM's 32-byte X25519 public key.
 *   CHALLENGE -> payload = domid's current bind challenge (SC_CHALLENGE_LEN
 *            bytes), made when first asked; refused SC_EBOUND once bound.
 *   BIND     payload = a bind request (SC_BIND_LEN bytes) for domid, sealed
 *            for its current challenge (which any authentic request uses up).
 *            -> payload = the bind answer (SC_BOUND_LEN bytes).
 *   OPEN     payload = the hello frame's body (SC_HELLO_LEN); flags bit
 *            SIM_F_TAKEOVER takes the domain over from another session.
 *            -> payload = the answer frame's body (SC_ANSWER_LEN), and one
 *            descriptor passed with SCM_RIGHTS in the same message: the
 *            session's stream socket (see below).
 *   SEND     payload = whole input frames, at most the credit the relay
 *            holds (below).  No response: the input is the session's
 *            stream.  Sent with no session open (it ended, or was taken
 *            over) it is dropped; beyond the credit, or before any OPEN,
 *            the connection is closed.
 *   CLOSE    arg8 = close reason (SC_CLOSE_RELAY ...): the VMM ends the
 *            session once it has taken the input sent before the CLOSE (at
 *            once when none waits); its close record comes on the stream
 *            socket.
 *   DOMINFO  -> payload = domid's UUID (16 bytes) then its name (1 to 63
 *            bytes, no NUL), for the relay's policy; refused
 *            SIM_ERR_NODOMAIN when there is no such domain.
 *   LIST     -> payload = every domain's id, 4 bytes (be32) each, for the
 *            relay's names (sc-relay web1): it asks DOMINFO of each.
 * (Wire version 2's INPUT 5, OUTPUT 6 and XFER 9 are gone: answered
 * SIM_STATUS_BADREQ.)
 *
 * The session's stream: the descriptor passed with OPEN is one end of a
 * socketpair, on which the simulator pushes, unasked, PUSH messages:
 *
 *   push     (16 bytes): ver[1] op[1]=SIM_OP_PUSH status[1] err[1]
 *                        credit[4] flags[4] len[4] then len bytes of output frames
 *
 * output frames as soon as the VMM has sealed them (the payloads of
 * successive pushes are one ordered stream of frames; a push may carry no
 * output), credit = input bytes the VMM has taken since the last push
 * (they are the relay's to send again), and flags bit 0 (SIM_V_ENDED) =
 * the session ended and its close record is the last frame of this
 * payload: nothing follows it.  status SIM_STATUS_VMM with err SC_EAUTH or
 * SC_EINVAL: an input record failed and ended the session (nothing after
 * it was taken; the VMM's close record follows, with SIM_V_ENDED).  After a
 * takeover the old session's last output and close come the same way.
 * End of file on the stream socket means the simulator went away.
 *
 * Flow control.  Input: a relay starts a session holding SIM_CREDIT bytes
 * of credit; each SEND spends its length, each push's credit gives that
 * much back.  The simulator keeps what the VMM has not taken yet (the
 * console ring is full) in a buffer of SIM_CREDIT bytes per connection and
 * gives it to the VMM as the guest reads, so no byte crosses the socket
 * twice.  It gives credit back with the next push that carries output,
 * else on its own once SIM_CREDIT / 4 bytes are owed, or as soon as the
 * relay may be short of credit for a maximum input frame and all it sent
 * was taken.  Output: the simulator seals only what its send buffer for
 * the stream holds; when the relay does not read, the guest's output waits
 * in the backlog and the ring, and sealing resumes as the socket drains.
 *
 * A request goes out in one write (header and payload together), and so
 * does a response or a push, as far as the socket takes them.
 *
 * Closing the connection while a session is open ends that session (as if
 * the relay had asked with SC_CLOSE_RELAY; the close record is lost).
 */
#ifndef SIM_PROTO_H
#define SIM_PROTO_H

#include <stdint.h>

#define SIM_WIRE_VERSION    3       /* 2: XFER, event bits; 3: SEND, pushed stream */
#define SIM_HDR_LEN         16
#define SIM_MAX_PAYLOAD     (256 * 1024)
#define SIM_OUTPUT_MIN      2048
#define SIM_CREDIT          (64 * 1024)     /* input a relay may have unacknowledged */

#define SIM_OP_STATUS       1
#define SIM_OP_VMM_KEY      2
#define SIM_OP_BIND         3
#define SIM_OP_OPEN         4
#define SIM_OP_CLOSE        7
#define SIM_OP_DOMINFO      8
#define SIM_OP_LIST         12
#define SIM_OP_CHALLENGE    13      /* -> payload: domid's bind challenge */      /* -> payload: every domain id, be32 each */
#define SIM_OP_SEND         10
#define SIM_OP_PUSH         11      /* the stream socket's messages */

#define SIM_F_TAKEOVER      0x01
#define SIM_V_ENDED         0x01

#define SIM_STATUS_OK       0
#define SIM_STATUS_VMM      1
#define SIM_STATUS_BADREQ   2

/*
 * Refusals that are the host's, not the protocol engine's (the hypercall
 * returns -EBUSY / -ESRCH for them).  They follow SC_EMAX in the same
 * number space so one err byte names either.
 */
#define SIM_ERR_BUSY        32      /* another session holds the domain's console */
#define SIM_ERR_NODOMAIN    33      /* no such domain */
#define SIM_ERR_ATTACHED    34      /* this connection already has a session */

static inline void sim_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t sim_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif /* SIM_PROTO_H */
