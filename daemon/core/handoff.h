/*
 * handoff.h: a CREATE or JOIN on its way to its room's home and back
 * (tcrp/request.c owns its whole life; the cluster carries it to and from other
 * nodes).  Data only, so that both can see it without seeing each other.
 */
#ifndef OCM_HANDOFF_H
#define OCM_HANDOFF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/base/mailbox.h"
#include "daemon/core/registry.h"
#include "lib/keys.h"
#include "lib/ocm.h"
#include "lib/payload.h"

struct server;
struct worker;
struct dir_room;

/*
 * A CREATE or JOIN on its way to the room's home and back: the main
 * thread fills the request half (after TLS, the rate limit and the
 * directory), the home admits the member and fills the reply half, and
 * posts it back.  The exported keys travel in it and are wiped as soon as
 * the member holds them.
 */
struct handoff {
	struct mail mail;
	void (*done)(struct mail *, void *);	/* the reply's run, on the main thread */
	struct server *srv;
	struct worker *home;		/* NULL: the room is on another node */
	struct dir_room *remote;	/* that room's entry, until the request is sent */
	bool claim;			/* a CREATE in a cluster: claim the name first */
	bool claimed;			/* ... which is done: give it back on failure */
	void *conn;			/* the main thread's connection */
	struct dir_room *dir;		/* the room's directory entry */
	_Atomic uint32_t *addr_members;	/* the requester's address's member count */
	struct tcrp_request req;
	struct peer_ip ip;
	char addr[64];			/* for log lines */
	uint16_t udp_port;
	char udp_host[256];		/* COMPLETE's udp_host: "" but for another node's client */
	char reply_to[256];		/* a JOIN from another node: where the answer goes */
	char token[OCM_TOKEN_LEN + 1];
	struct udp_keys keys;
	/* Filled by the home. */
	enum tcrp_code code;
	const char *why;		/* a static phrase, or why_buf, when code is not OK */
	char why_buf[256];
	bool password;			/* the room has one */
	char *complete;			/* COMPLETE payload (malloc'ed) when OK */
	size_t complete_len;
};

#endif
