/* SPDX-License-Identifier: MIT */
/*
 * sim_proto.h: the socket protocol between sc-relay's sim backend
 * (src/relay_sim.c) and the VMM simulator (sc-vmmsim, src/sim/).
 *
 * It carries the operations of the sccrypt_op hypercall, nothing more:
 * every payload is ciphertext or a public key, so the relay side links no
 * crypto.  This header is plain and self-contained (only <stdint.h>): the
 * relay includes it without the core.
 *
 * Transport: a SOCK_STREAM UNIX socket, mode 0600: --socket, else
 * $SCCRYPT_SIM_SOCKET, else /run/sccrypt-sim/sim.sock as root, else
 * $XDG_RUNTIME_DIR/sccrypt-sim/sim.sock, else /tmp/sccrypt-sim-UID/sim.sock.  The
 * client sends a request, the simulator answers it; requests on one
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
 * Operations (domid matters for BIND and OPEN only; the others act on the
 * session this connection opened):
 *   STATUS   -> value = the SCCrypt protocol version (SC_PROTO_VERSION),
 *               value2 = SIM_WIRE_VERSION.
 *   VMM_KEY  -> payload = the VMM's 32-byte X25519 public key.
 *   BIND     payload = a bind request (SC_BIND_LEN bytes) for domid.
 *   OPEN     payload = the hello frame's body (SC_HELLO_LEN); flags bit
 *            SIM_F_TAKEOVER takes the domain over from another session.
 *            -> payload = the answer frame's body (SC_ANSWER_LEN), and one
 *            descriptor passed with SCM_RIGHTS in the same message: the
 *            session's event socket (see below).
 *   INPUT    payload = whole input frames -> value = bytes consumed (the
 *            rest did not fit: the console ring is full; send it again
 *            after an event).  An input record that fails authentication
 *            ends the session: status VMM, err SC_EAUTH, and the VMM's
 *            close record waits in OUTPUT.
 *   OUTPUT   arg = capacity (>= SIM_OUTPUT_MIN, capped at SIM_MAX_PAYLOAD)
 *            -> payload = output frames, value bit 0 (SIM_V_ENDED) = the
 *            session ended and its close record is the last frame.
 *   XFER     the relay's one call per wake-up: payload = whole input frames
 *            (possibly none), arg = output capacity (0: input only; else
 *            >= SIM_OUTPUT_MIN, capped at SIM_MAX_PAYLOAD; output comes
 *            only with room for a maximum record and a keystroke record).
 *            The input goes to the VMM first (as INPUT), then as much
 *            output as is ready and fits (as OUTPUT), in one response:
 *            -> value = input bytes consumed (the rest waits for an event
 *            with SIM_EV_ROOM: offer it again only then), value2 bit 0
 *            (SIM_V_ENDED) = the session ended and its close record is the
 *            last frame of the payload, payload = output frames.  An input
 *            record that fails ends the session: status VMM, err SC_EAUTH
 *            or SC_EINVAL, value = the bytes consumed before it, and the
 *            payload carries the output due, the VMM's close record last
 *            (SIM_V_ENDED) when the capacity allowed.  After a takeover
 *            (SC_ECLOSED for INPUT) XFER takes no input and returns the old
 *            session's last output and close (SIM_V_ENDED); with capacity 0
 *            it is refused SC_ECLOSED.
 *   CLOSE    arg8 = close reason (SC_CLOSE_RELAY ...): the VMM ends the
 *            session; its close record comes with the next OUTPUT or XFER.
 *   DOMINFO  -> payload = domid's UUID (16 bytes) then its name (1 to 63
 *            bytes, no NUL), for the relay's policy; refused
 *            SIM_ERR_NODOMAIN when there is no such domain.
 *
 * Events: the descriptor passed with OPEN is one end of a socketpair.  The
 * simulator writes a byte to it only when there is news the relay has not
 * been given: output waiting (guest output, chaff or a close owed, the
 * quiet time or a timeout over, output an XFER had no room for) or room for
 * input that did not fit.  It writes at most one byte between two requests
 * of the connection; the byte's bits say what the news is (SIM_EV_OUTPUT,
 * SIM_EV_ROOM) when it was written; news that comes later, and is still
 * not given when the next request has been answered, brings another byte.  The relay polls it, reads what is there,
 * then makes one XFER: its input only when the byte said SIM_EV_ROOM or it
 * has input not yet offered.  End of file on it means the simulator went
 * away.  Nobody polls on a timer.
 *
 * A request goes out in one write (header and payload together), and so
 * does a response, as far as the socket takes them.
 *
 * Closing the connection while a session is open ends that session (as if
 * the relay had asked with SC_CLOSE_RELAY; the close record is lost).
 */
#ifndef SIM_PROTO_H
#define SIM_PROTO_H

#include <stdint.h>

#define SIM_WIRE_VERSION    2       /* 2: XFER, event bits */
#define SIM_HDR_LEN         16
#define SIM_MAX_PAYLOAD     (256 * 1024)
#define SIM_OUTPUT_MIN      2048

#define SIM_OP_STATUS       1
#define SIM_OP_VMM_KEY      2
#define SIM_OP_BIND         3
#define SIM_OP_OPEN         4
#define SIM_OP_INPUT        5
#define SIM_OP_OUTPUT       6
#define SIM_OP_CLOSE        7
#define SIM_OP_DOMINFO      8
#define SIM_OP_XFER         9

#define SIM_F_TAKEOVER      0x01
#define SIM_V_ENDED         0x01

/* The event byte's bits. */
#define SIM_EV_OUTPUT       0x01    /* output waits */
#define SIM_EV_ROOM         0x02    /* input that did not fit has room now */

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
