/* SPDX-License-Identifier: MIT */
/*
 * sc-dec's memory of which domain instance each key reached:
 * $XDG_STATE_HOME/sccrypt/instances (else ~/.local/state/sccrypt/instances),
 * lines "KEY-FINGERPRINT VMM-NAME UUID INSTANCE-HEX".
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

#endif /* SC_CLIENT_INSTANCES_H */
