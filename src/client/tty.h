/* SPDX-License-Identifier: MIT */
/*
 * The terminal: raw mode on sc-enc's input terminal, restored exactly on
 * every way out, signals included.
 */
#ifndef SC_CLIENT_TTY_H
#define SC_CLIENT_TTY_H

/*
 * tty_raw: saves fd's settings and puts the terminal in raw mode (no echo,
 * no line editing, no signal keys, no output processing, 8 bits, reads of
 * one byte).  fd must be a terminal.  0 or -1 (nothing changed).
 */
int tty_raw(int fd);
/* Restores the saved settings exactly; no effect when not in raw mode. */
void tty_restore(void);

/*
 * tty_suspend: restores the terminal, stops our whole process group (the
 * pipeline, as ^Z on a terminal that is not raw would), and once continued
 * puts the terminal back in raw mode if it was.  0, or -1 (errno set).
 */
int tty_suspend(void);

/*
 * tty_signals: handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that
 * restore the terminal, call hook (which must be async-signal-safe; may be
 * NULL) and then die of the signal as before; and for SIGTSTP, which
 * restores the terminal before stopping and puts it back in raw mode on
 * SIGCONT.  0 or -1.
 */
int tty_signals(void (*hook)(void));

#endif /* SC_CLIENT_TTY_H */
