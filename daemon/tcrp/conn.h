/*
 * conn.h: TCP listeners and the TCRP connections accepted on them: a
 * non-blocking TLS 1.3 handshake, one request read with the incremental
 * TCRP reader, the reply written, close_notify, and a short linger so the
 * reply is not destroyed by a reset.  Every connection is bounded by the
 * handshake timeout and their number by max_handshakes.
 */
#ifndef OCM_CONN_H
#define OCM_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/core/server.h"

/* Binds and listens on every [server] listen address. */
int conn_listen_all(struct server *srv, char *err, size_t err_len);
/* Adopts an already listening TCP socket (socket activation). */
int conn_listen_fd(struct server *srv, int fd, const char *text);
/* Stops accepting and closes every connection in flight. */
void conn_close_all(struct server *srv);

#endif
