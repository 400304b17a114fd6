/* SPDX-License-Identifier: MIT */
/*
 * The user's files: the console key, VMM public keys, and where the
 * per-user directories are.  Functions print their own message (naming the
 * file) and return -1; they never print key material.
 */
#ifndef SC_CLIENT_KEYFILE_H
#define SC_CLIENT_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define CL_PATH_MAX 4096

/*
 * $XDG_CONFIG_HOME/sccrypt/<leaf> (an absolute XDG_CONFIG_HOME only), else
 * $HOME/.config/sccrypt/<leaf>.  With mkdirs, missing directories are made
 * with mode 0700.  0 or -1.
 */
int cl_config_path(char *buf, size_t cap, const char *leaf, int mkdirs);
/* The same under $XDG_STATE_HOME, else $HOME/.local/state. */
int cl_state_path(char *buf, size_t cap, const char *leaf, int mkdirs);
/* Makes the parent directories of path that are missing, mode 0700: 0 or -1. */
int cl_mkdirs_for(const char *path);

/*
 * Which key file: opt (-k) if not NULL, else $SCCRYPT_KEY if set and not
 * empty, else the default.  *is_default says the default was chosen.
 */
int key_path(char *buf, size_t cap, const char *opt, int *is_default);

/*
 * key_load: reads "sccrypt-key-v1 <64 hex>\n" from path into key.  Refuses
 * a file that is not regular, not ours, or that group or others can access.
 * 0 or -1 (key wiped).
 */
int key_load(const char *path, uint8_t key[32]);
/*
 * key_save: writes key to path, mode 0600.  Without force the file must
 * not exist (O_CREAT|O_EXCL|O_NOFOLLOW); with force a temporary file in
 * the same directory replaces it.  0 or -1.
 */
int key_save(const char *path, const uint8_t key[32], int force);

/* Parses "sccrypt-vmm-v1 <64 hex>[\n]" (len bytes of text): 0 or -1 (no message). */
int vmmpub_parse(uint8_t pub[32], const char *text, size_t len);
/* Reads a VMM public key from path, or stdin when path is "-": 0 or -1. */
int vmmpub_read(const char *path, uint8_t pub[32]);

#endif /* SC_CLIENT_KEYFILE_H */
