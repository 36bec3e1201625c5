/*
 * room.h: the room session of a client, from the first PING to CLOSED,
 * with no loop of its own.  A front end (ocm-client's poll loop, ocm-gtk's
 * GLib main loop) watches room_fd() for input and calls room_receive(),
 * and calls room_timers() when the delay it last returned has passed;
 * keepalive, the lost-server timeout, PING until online and LEAVE until
 * CLOSED(LEFT) all live here.  What arrives is authenticated, cleaned
 * into valid UTF-8 without control characters, and handed to the front
 * end's room_ops; format characters (bidi and other invisible ones) are
 * for the front end to render, through lib/text.h, as it shows text.
 */
#ifndef OCM_CLIENT_ROOM_H
#define OCM_CLIENT_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/session.h"

#define ROOM_PING_RETRY_MS	1000	/* PING again until the first answer */
#define ROOM_LEAVE_RETRY_MS	500	/* LEAVE again until CLOSED(LEFT) ... */
#define ROOM_LEAVE_WAIT_MS	2000	/* ... for this long at most */
#define ROOM_WHO_MAX		100000	/* MEMBERS entries kept for one answer */

enum room_state {
	ROOM_RUNNING,
	ROOM_LEFT,		/* CLOSED(LEFT), or LEAVE went unanswered */
	ROOM_CLOSED,		/* the server closed the session: closed() said why */
	ROOM_LOST,		/* the server fell silent: lost() said so */
};

struct room_member {
	char name[OCM_NAME_MAX + 1];
	bool host;
};

/*
 * Events, with text already cleaned: names and notice or CLOSED texts
 * without control characters, chat text keeping only TAB; format
 * characters are still there for the front end to render.  Any of them
 * may be NULL.  They must not free the room (mark it, and free it after
 * room_receive() or room_timers() returns).
 */
struct room_ops {
	void (*online)(void *arg);		/* the server answered */
	void (*chat)(void *arg, const char *from, const char *text);
	/* code: NOTICE_*; text is what REJECTED gives as its reason */
	void (*notice)(void *arg, uint8_t code, const char *name, const char *text);
	/* A whole WHO answer (MEMBERS datagrams flagged MORE are gathered). */
	void (*members)(void *arg, const struct room_member *m, size_t n);
	/* reason: CLOSED_*; CLOSED_LEFT after room_leave() */
	void (*closed)(void *arg, uint8_t reason, const char *text);
	void (*lost)(void *arg, uint32_t timeout_s);
};

struct room {
	struct udp_session u;
	const struct room_ops *ops;
	void *arg;
	enum room_state state;
	bool online;			/* something but CLOSED has come back */
	bool leaving;			/* LEAVE sent, waiting for CLOSED(LEFT) */
	uint64_t last_tx, last_rx, retry_at, leave_by;	/* monotonic ms */
	struct room_member *who;	/* MEMBERS gathered until one without MORE */
	size_t n_who;
};

/*
 * Opens the UDP socket and keys of a successful CREATE/JOIN (res's keys
 * are wiped); blocking only in getaddrinfo() of a named udp_host, so a
 * GUI calls it off its main thread with tcrp_call().  Returns 0 or -1
 * with err.
 */
int room_open(struct room *r, const struct server_opts *o,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX]);
/* Sends the first PING; events go to ops from here on. */
void room_start(struct room *r, const struct room_ops *ops, void *arg);
/* Closes the socket, wipes the keys; idempotent. */
void room_close(struct room *r);

/* The socket to watch for input. */
int room_fd(const struct room *r);
/* Reads and dispatches everything waiting on the socket. */
void room_receive(struct room *r);
/* Does what is due; returns the milliseconds until it must be called again. */
int room_timers(struct room *r);

/*
 * Sends one chat text after checking it fits the room and is valid.
 * Returns 0, or -1 with err saying why it was not sent.
 */
int room_say(struct room *r, const char *text, size_t len, char err[CLIENT_ERR_MAX]);
/* Asks for the member list; members() answers. */
void room_who(struct room *r);
/* LEAVE, repeated until CLOSED(LEFT) or ROOM_LEAVE_WAIT_MS. */
void room_leave(struct room *r);

/* "host_left" for CLOSED_HOST_LEFT (buf of 32). */
void room_reason_name(uint8_t reason, char buf[32]);

#endif
