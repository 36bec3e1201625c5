/*
 * sock.h: small facts about sockets that more than one layer asks.
 */
#ifndef OCM_SOCK_H
#define OCM_SOCK_H

#include <stdint.h>

/* The local port a socket is bound to, host order; 0 if unknown.  The
 * TCP listener's port is the UDP port a session is told to use. */
uint16_t socket_port(int fd);

#endif
