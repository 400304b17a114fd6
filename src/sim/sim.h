/* SPDX-License-Identifier: MIT */
/*
 * sim.h: the VMM simulator's parts (sc-vmmsim).  The simulator plays the
 * hypervisor and each guest's console device: it hosts the core's VMM
 * engine (sc_vmm.h) and ring code (sc_ring.h) unchanged, runs each guest
 * on a pty behind a console ring of Xen's layout, and serves the
 * hypercall's operations on a UNIX socket (sim_proto.h).
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sc_uart_con.h"
#include "sc_vmm.h"

#define SIM_BACKLOG_DEFAULT (64 * 1024)
#define SIM_NAME_MAX        128

/* What the user asked for, per domain. */
struct sim_domcfg {
    uint32_t domid;
    char name[SIM_NAME_MAX];
    uint8_t uuid[SC_UUID_LEN];
    const char *guest;              /* shell command, or NULL: the built-in login guest */
    const char *password;           /* the built-in guest's password */
    int uart;                       /* --uart: the console is a 16550A at COM1 (uart.c) */
};

struct sim_cfg {
    int stderr_off_when_ready;      /* daemon on a terminal: show start-up, then let go */
    const char *statedir;
    const char *socket;
    const char *pidfile;
    size_t backlog;
    int foreground;
    const char *self;               /* our own executable, for the built-in guest */
    uint32_t report_version;        /* tests: the protocol version STATUS reports (0: ours) */
    /*
     * --claim-level: the seal flags (SC_LEVEL_*) the simulator claims, for
     * tests and demos of the client's checks; 0, the default, is the honest
     * claim (a user-space process seals nothing).  The console kind always
     * comes from the guest.
     */
    uint8_t claim_flags;
    size_t ndoms;
    struct sim_domcfg *doms;
    const char *guest_user;         /* --guest-user: guests run as this user (NULL: as we do) */
    uid_t guest_uid;
    gid_t guest_gid;
};

/* util.c */
void sim_log_init(int use_syslog, int use_stderr);
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t sim_now_ms(void);
int sim_random(void *buf, size_t len);
void sim_fingerprint(char out[64], const uint8_t pub[32]);  /* "SHA256:..." */
int sim_mkdirs(const char *path, mode_t mode);
/* Loads or makes DIR/vmm-key (0600); 0 or -1 (message logged). */
int sim_identity(const char *dir, uint8_t secret[32]);

/* guest.c */
/* Starts cmd (or the built-in login guest) on a new pty; returns the pid, *ptm the master. */
pid_t sim_guest_spawn(const struct sim_cfg *cfg, const struct sim_domcfg *dc, int *ptm,
                      const sigset_t *origmask);
/* Guest side of the console: pty output into out[], in[] into the pty. */
ssize_t sim_guest_to_ring(int ptm, volatile struct sc_xencons *ring);
ssize_t sim_ring_to_guest(int ptm, volatile struct sc_xencons *ring);
int sim_ring_out_space(const volatile struct sc_xencons *ring);
int sim_ring_in_used(const volatile struct sc_xencons *ring);
/* The built-in guest: login: / Password: then /bin/sh -i.  Returns an exit status. */
int sim_login_main(const char *name, const char *password);

/*
 * uart.c: the UART guest's side of COM1, driven as Linux's 8250 driver
 * drives it, between the guest's pty and the register model behind the
 * UART console glue (con; its ring is the engine's).
 */
#define SIM_UART_Q          4096
struct sim_uart {
    struct sc_uart_con con;
    int up;                         /* probed and started */
    uint8_t ier;                    /* the driver's copy of IER */
    uint8_t rxq[SIM_UART_Q];        /* read from RBR, not yet taken by the tty */
    size_t rxlen;
    uint8_t txq[SIM_UART_Q];        /* the tty's output, not yet written to THR */
    size_t txoff, txlen;
    uint64_t ios, irqs, breaks;     /* register accesses, interrupts taken, BREAKs seen */
    uint64_t rx, tx, thre_waits;    /* bytes received and sent; THRE found clear */
};
/* Power-on, probe and start-up: 0, or -1 with the failed probe step in *why. */
int sim_uart_init(struct sim_uart *u, const char **why);
void sim_uart_wipe(struct sim_uart *u);
/* The interrupt handler, while the line is high: whether any byte moved. */
int sim_uart_isr(struct sim_uart *u);
/* The tty's output into txq (and THRE interrupts on): as sim_guest_to_ring returns. */
ssize_t sim_uart_from_pty(int ptm, struct sim_uart *u);
/* Received bytes to the tty: as sim_ring_to_guest returns. */
ssize_t sim_uart_to_pty(int ptm, struct sim_uart *u);
size_t sim_uart_tx_room(const struct sim_uart *u);

/* server.c */
int sim_serve(const struct sim_cfg *cfg, int readyfd);

#endif /* SIM_H */
