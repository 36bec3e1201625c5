/*
 * chat.h: the seam between main.c, which turns the command line and the
 * prompts into a successful CREATE or JOIN (tcrp_call), and chat.c, which
 * runs the UDP session that follows: event loop, keepalive, commands, and
 * output for people (readline) or scripts (text or JSON lines).
 */
#ifndef OCM_CLIENT_CHAT_H
#define OCM_CLIENT_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "client/session.h"

/* Exit statuses of ocm-client (documented in ocm-client(1)). */
enum client_exit {
	CLIENT_EXIT_LEFT = 0,		/* left normally */
	CLIENT_EXIT_ERROR = 1,		/* failed before the session */
	CLIENT_EXIT_USAGE = 2,
	CLIENT_EXIT_CLOSED = 3,		/* the server closed the session */
	CLIENT_EXIT_LOST = 4,		/* the server fell silent */
};

struct chat_opts {
	bool json;			/* JSON lines instead of text */
};

/*
 * Opens the UDP session of a successful CREATE/JOIN (res: its COMPLETE and
 * keys, which are wiped) and runs it until the member leaves or the
 * server closes it.  Returns an enum client_exit.  res stays the caller's
 * to clear.
 */
int chat_run(const struct chat_opts *o, const struct server_opts *srv,
    const struct tcrp_request *req, struct tcrp_result *res);

/* "ocm-client: msg" on stderr, msg as a terminal is to show it (lib/text.h:
 * text_style_terminal, but with its line breaks: a local message may run
 * over several lines). */
void client_say(const char *msg);

#endif
