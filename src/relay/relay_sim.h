/* SPDX-License-Identifier: MIT */
/* The sim backend's one setting: the simulator's socket (sc-relay --socket). */
#ifndef RELAY_SIM_H
#define RELAY_SIM_H

/* NULL: $SCCRYPT_SIM_SOCKET, else the default of sim_proto.h. */
void relay_sim_set_socket(const char *path);
/* The path the sim backend will use (for messages). */
const char *relay_sim_socket(void);

#endif /* RELAY_SIM_H */
