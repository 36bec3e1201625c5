/*
 * node.h: one ocmd node brought up and down (node.c): its configuration
 * to TLS, workers and sockets, the start of its threads, SIGHUP's
 * reload, and shutdown.  Only main.c calls these; what the jobs need of
 * the node they find in struct server (core/server.h).
 */
#ifndef OCM_NODE_H
#define OCM_NODE_H

#include <stddef.h>

#include "daemon/base/config.h"
#include "daemon/core/server.h"

/* Loads TLS, binds every socket.  Returns 0 or -1 with err set. */
int server_init(struct server *srv, const struct config *cfg, char *err, size_t err_len);
/* SIGHUP: re-reads the config and certificate; rooms stay.  On any error
 * the running configuration stays whole. */
int server_reload(struct server *srv);
/* The same, wrapped in RELOADING=1 ... READY=1 for systemd. */
int server_reload_notify(struct server *srv);
/* Starts the worker threads (after signals are blocked: they inherit the
 * mask).  0 or -1 with err set. */
int server_start(struct server *srv, char *err, size_t err_len);
/* CLOSED(SERVER_SHUTDOWN) to every member of every worker, listeners and
 * connections closed, worker threads joined. */
void server_shutdown(struct server *srv);
void server_free(struct server *srv);

#endif
