/* SPDX-License-Identifier: MIT */
/*
 * The known-VMMs file ($XDG_CONFIG_HOME/sccrypt/known_vmms, else
 * ~/.config/sccrypt/known_vmms): lines "NAME SHA256:<fp> <64 hex key>",
 * '#' comments and blank lines.  Like ssh's known_hosts, a name keeps its
 * key: another key under a known name is refused unless replaced on purpose.
 */
#ifndef SC_CLIENT_KNOWN_VMMS_H
#define SC_CLIENT_KNOWN_VMMS_H

#include <stdint.h>

#define KV_NAME_MAX 64              /* with the NUL */

/* Is name a valid VMM name ([A-Za-z0-9._-], 1..63 characters)? */
int kv_name_valid(const char *name);

/*
 * kv_select: the VMM key to use.  name is -V's argument or NULL (then
 * $SCCRYPT_VMM, else the only entry, else the entry "default").  Writes the
 * key and the chosen name.  0, or -1 with a message.
 */
int kv_select(const char *name, uint8_t pub[32], char chosen[KV_NAME_MAX]);

/*
 * kv_record: pins pub under name.  Returns 0 when recorded (or already
 * there), 1 when name holds another key and replace is 0 (refused, with a
 * message), -1 on an error (with a message).
 */
int kv_record(const char *name, const uint8_t pub[32], int replace);

#endif /* SC_CLIENT_KNOWN_VMMS_H */
