/*
 * cluster_msg.h: what the nodes of an ocmd cluster tell each other through
 * NATS, as JSON: the records of the JetStream KV buckets ocm_rooms (who
 * homes a room) and ocm_nodes (who is alive, and where), and the JOIN a
 * node hands to a room's home node with the home's answer.  Pure codecs:
 * no NATS here, so every build has them and tests and fuzzing reach them.
 * Each object carries "v": 1; members a reader does not know are ignored,
 * so that a later version may add some.
 */
#ifndef OCM_CLUSTER_MSG_H
#define OCM_CLUSTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/keys.h"
#include "lib/ocm.h"
#include "lib/payload.h"

#define CLUSTER_NODE_MAX	64	/* node names: 1..63 bytes of [A-Za-z0-9_-] */
#define CLUSTER_KEY_MAX		(2 * OCM_NAME_MAX + 1)
#define CLUSTER_WORKERS		64	/* a record's worker is below this */
#define CLUSTER_COMPLETE_MAX	65536	/* a join reply's COMPLETE, bytes */
/* What a parser reads at most; a join reply's COMPLETE travels as a JSON
 * string, where each byte may grow to six ("\u0000"), so it gets more. */
#define CLUSTER_MSG_MAX		(65536 + 1024)
#define CLUSTER_REPLY_MAX	(6 * CLUSTER_COMPLETE_MAX + 6 * 512 + 1024)

bool cluster_node_valid(const char *s, size_t len);

/* A room name (1..255 bytes) as a JetStream KV key: lowercase hex of its
 * bytes (KV keys allow only [-/_=.a-zA-Z0-9]).  Returns the key length;
 * 0 (and out "") for a length outside 1..255. */
size_t cluster_room_key(const char *name, size_t len, char out[CLUSTER_KEY_MAX]);
/* The reverse: 0, or -OCM_E_BAD_NAME (odd length, not lowercase hex,
 * empty, too long, or not a valid room name once decoded).  out is
 * NUL-terminated, *len its length; both untouched on error. */
int cluster_room_key_decode(const char *key, size_t key_len,
    char out[OCM_NAME_MAX + 1], size_t *len);

/*
 * Builders return malloc'ed JSON text (NUL-terminated, the NUL not counted
 * in *len), or NULL when out of memory or given what its parser would
 * refuse.  Parsers return 0 or a negative enum ocm_error and leave their
 * output untouched on error:
 *   -OCM_E_TOO_LARGE      more than CLUSTER_MSG_MAX bytes (a join reply:
 *                         CLUSTER_REPLY_MAX)
 *   -OCM_E_BAD_JSON       not one JSON object
 *   -OCM_E_MISSING_FIELD  a required member is absent ("v" included)
 *   -OCM_E_BAD_VERSION    "v" is not 1
 *   -OCM_E_BAD_FIELD      a member of the wrong type or out of range
 *   -OCM_E_BAD_NAME       a room, user or node name that is not one
 *   -OCM_E_BAD_TOKEN      a join's token is not 32 lowercase hex digits
 *   -OCM_E_NOMEM
 * Epochs travel as 16 lowercase hex digits: a JSON number cannot carry 64
 * bits safely through every JSON reader.
 */

/* The room's record in KV bucket ocm_rooms.  free: released ("{}", an
 * empty value, or a record with "free": true); then nothing else is set. */
struct cluster_room {
	bool free;
	char node[CLUSTER_NODE_MAX];	/* home node */
	uint64_t epoch;			/* the home node's incarnation */
	uint32_t worker;		/* home worker on that node, 0..63 */
	bool password;
	uint32_t members;
};
char *cluster_room_build(const struct cluster_room *r, size_t *len);
int cluster_room_parse(const uint8_t *buf, size_t len, struct cluster_room *r);

/* A node's heartbeat record in KV bucket ocm_nodes (key: node name). */
struct cluster_node {
	uint64_t epoch;
	char udp_host[256];		/* its advertise address: 1..255 bytes, no
					 * control characters or spaces */
	uint64_t started_ms;		/* Unix time in ms, at most INT64_MAX */
	uint32_t rooms, members;
};
char *cluster_node_build(const struct cluster_node *n, size_t *len);
int cluster_node_parse(const uint8_t *buf, size_t len, struct cluster_node *n);

/*
 * A JOIN handed from the node that ran the TCRP exchange to the room's
 * home node (NATS request on ocm.node.HOME.join).  The password, token and
 * keys are secret: the caller wipes the builder's output and the parsed
 * struct (OPENSSL_cleanse).  Neither function leaves a copy in memory it
 * frees itself; what jansson's parser frees is the allocator's business
 * (ocmd wipes all that jansson frees).  On error the parser leaves *j
 * untouched.
 */
struct cluster_join {
	struct tcrp_request req;	/* operation JOIN_ROOM; room, user, password */
	char token[OCM_TOKEN_LEN + 1];
	struct udp_keys keys;		/* lib/keys.h: c2s, s2c */
	char ip[46];			/* the client's IP, text (INET6_ADDRSTRLEN),
					 * as inet_ntop() prints it */
	char from[CLUSTER_NODE_MAX];	/* the node that ran the exchange */
};
char *cluster_join_build(const struct cluster_join *j, size_t *len);
int cluster_join_parse(const uint8_t *buf, size_t len, struct cluster_join *j);

/* The home node's answer.  The builder sends complete only with OK and
 * makes message safe to show (control characters and bad UTF-8 as '?'),
 * as the parser does with what it reads. */
struct cluster_join_reply {
	enum tcrp_code code;		/* lib/payload.h */
	char message[512];		/* for people; "" when ok */
	char *complete;			/* OK only: the COMPLETE payload (JSON text), malloc'ed */
	size_t complete_len;		/* 1..CLUSTER_COMPLETE_MAX */
};
char *cluster_join_reply_build(const struct cluster_join_reply *r, size_t *len);
/* On success free with cluster_join_reply_clear(). */
int cluster_join_reply_parse(const uint8_t *buf, size_t len, struct cluster_join_reply *r);
/* Frees complete; NULL and a cleared reply are fine. */
void cluster_join_reply_clear(struct cluster_join_reply *r);

#endif
