/*
 * control.h: ocmd's control socket (lib/ctl.h): a Unix
 * stream socket, mode 0660, served in the main event loop.  Each peer is
 * checked with SO_PEERCRED once, when it connects: root and ocmd's own
 * user may run every command, members of group ocmd-admin too, members of
 * ocmd's group only the read commands (lib/ctl.h); others get
 * permission_denied.  control.c is the transport (lines in, lines out,
 * limits) and that check; the commands are in commands.c.
 */
#ifndef OCM_CONTROL_H
#define OCM_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/core/server.h"
#include "lib/ctl.h"

#define CONTROL_MAX_CONNS	64
#define CONTROL_MAX_PER_UID	16
/* Queued reply bytes per peer: a few replies of CTL_REPLY_MAX at most. */
#define CONTROL_MAX_OUTPUT	(4 * CTL_REPLY_MAX)

struct control;

/* Binds cfg.control_socket (replacing a stale socket, refusing a live
 * one and anything that is not a socket).  Returns NULL with err set. */
struct control *control_new(struct server *srv, char *err, size_t err_len);
/* Adopts a listening socket from systemd instead. */
struct control *control_adopt(struct server *srv, int fd);
/* Closes every peer and the socket; removes the path if we made it. */
void control_free(struct control *ctl);
/* Looks group ocmd-admin up again (on reload), for peers from now on. */
void control_reload(struct control *ctl);

/*
 * Runs one command for a permitted peer: the reply line, malloc'ed; or
 * CONTROL_DEFERRED when the command went to the node that homes its room
 * (a cluster), whose reply comes through control_resume(conn, line).
 * conn is the peer's connection, NULL for a command another node
 * forwarded here (which is never forwarded again).
 */
char *control_dispatch(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer, void *conn);
extern char control_deferred[];
#define CONTROL_DEFERRED	control_deferred
/* The reply to a deferred command (taken; NULL: out of memory); the
 * connection goes on with the requests that waited behind it. */
void control_resume(void *conn, char *reply);

/*
 * The pieces of the paged results (lib/ctl.h), as the commands build
 * them; check_ctl builds the worst page from them and measures it.
 * A row of list-rooms, a row of show-room's members, show-room's
 * fields about the room; control_page_end() adds the rows under key,
 * "more", and "next" when more.
 */
struct room;
struct member;
/* node: the room's node in a cluster, "" (no "node" member) otherwise. */
json_t *control_room_row(const struct room *r, uint64_t age_s, unsigned worker,
    const char *node);
json_t *control_member_row(const struct member *m, uint64_t idle_s);
json_t *control_room_head(const struct room *r, uint64_t age_s, unsigned worker);
void control_page_end(json_t *result, const char *key, json_t *rows, bool more,
    const char *next);

#endif
