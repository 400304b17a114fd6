/* SPDX-License-Identifier: MIT */
/*
 * sc-dec's memory of which domain instance each key reached:
 * $XDG_STATE_HOME/sccrypt/instances (else ~/.local/state/sccrypt/instances),
 * lines "KEY-FINGERPRINT VMM-NAME UUID INSTANCE-HEX [GUEST-NAME]".  The
 * instance is the one the VMM last vouched for (in a session's answer, or
 * in the bind answer when the user bound it); the guest name is the user's
 * own name for the domain, given when binding, by which sc-enc -g finds
 * the UUID a session is for.
 */
#ifndef SC_CLIENT_INSTANCES_H
#define SC_CLIENT_INSTANCES_H

#include <stdint.h>

#define INST_NEW        0           /* never seen: recorded */
#define INST_SAME       1           /* the same instance as last time */
#define INST_CHANGED    2           /* another instance than last time (in prev) */

/*
 * inst_check: looks up (keyfp, vmm, uuid) and compares with instance.  A new
 * entry is recorded; a changed one only when accept is set (the user said
 * so), else the file is left as it was.  Returns INST_*, or -1 with a
 * message.
 */
int inst_check(const char *keyfp, const char *vmm, const uint8_t uuid[16],
               const uint8_t instance[16], uint8_t prev[16], int accept);

/*
 * inst_record: sets (keyfp, vmm, uuid) to instance, as the bind answer
 * vouched for it; name (NULL or "": keep the entry's own) then names this
 * domain only.  0, or -1 with a message.
 */
int inst_record(const char *keyfp, const char *vmm, const uint8_t uuid[16],
                const uint8_t instance[16], const char *name);

/*
 * inst_find: the UUID guest names: guest itself when it is a UUID, else the
 * domain recorded under that name for (keyfp, vmm).  0 found, 1 not found
 * (said so), -1 an error (said so).
 */
int inst_find(const char *keyfp, const char *vmm, const char *guest, uint8_t uuid[16]);

/* A guest name: [A-Za-z0-9._@+-], 1..INST_NAME_MAX bytes, not starting with '-'. */
#define INST_NAME_MAX   63
int inst_name_valid(const char *s);

#endif /* SC_CLIENT_INSTANCES_H */
