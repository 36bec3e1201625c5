/*
 * steer.h: one public UDP port for every worker.  The workers' UDP
 * sockets on one address form an SO_REUSEPORT group (socket i of the
 * group is worker i's), and a classic BPF program attached to the group
 * picks the socket from each datagram's clear header: the first byte of
 * the token (doc/protocol.md 8: offset 2 + RoomNameSize, two hex digits)
 * names the worker that homes the session.  A datagram too short to
 * carry it, or naming no worker, falls back to the kernel's hash and is
 * dropped by whichever worker gets it.
 */
#ifndef OCM_STEER_H
#define OCM_STEER_H

#include <stdint.h>

#include "daemon/base/config.h"

#define STEER_MAX_WORKERS	CONFIG_MAX_WORKERS

/* The worker a token's first byte names (two hex digits), or -1 when it
 * is not lowercase hex. */
int steer_token_worker(const uint8_t *token);
/* Writes the token's first byte for worker w into the first two hex
 * digits of token. */
void steer_token_mark(char *token, unsigned w);
/* Attaches the steering program to fd's reuseport group.  0 or -errno. */
int steer_attach(int fd);

#endif
