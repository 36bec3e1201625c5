/*
 * activate.h: socket activation.  When systemd passes sockets
 * (sd_listen_fds), ocmd uses them instead of binding its own: TLS/TCP
 * listeners, UDP relay sockets and the control socket, told apart by
 * type (and checked against FileDescriptorName= tcp / udp / control).
 */
#ifndef OCM_ACTIVATE_H
#define OCM_ACTIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/core/server.h"

struct activated {
	size_t tcp, udp, control;	/* how many of each were adopted */
};

/* Adopts every passed socket.  Returns 0 (a->* all 0 when none were
 * passed) or -1 with err set. */
int activate_sockets(struct server *srv, struct activated *a, char *err, size_t err_len);

#endif
