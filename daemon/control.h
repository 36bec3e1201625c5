/*
 * control.h: ocmd's control socket (DESIGN.md "Control protocol"): a Unix
 * stream socket, mode 0660, served in the main event loop.  Each peer is
 * checked with SO_PEERCRED once, when it connects: root and ocmd's own
 * user may run every command, members of group ocmd-admin too, members of
 * ocmd's group only the read commands (lib/ctl.h); others get
 * permission_denied.  control.c is the transport (lines in, lines out,
 * limits) and that check; the commands are in control_cmd.c.
 */
#ifndef OCM_CONTROL_H
#define OCM_CONTROL_H

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>

#include "daemon/server.h"
#include "lib/ctl.h"

#define CONTROL_MAX_CONNS	64
#define CONTROL_MAX_PER_UID	16
#define CONTROL_MAX_OUTPUT	(4 * 1024 * 1024)	/* queued reply bytes per peer */

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

/* Runs one command for a permitted peer: the reply line, malloc'ed. */
char *control_dispatch(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer);

#endif
