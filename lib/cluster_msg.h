/*
 * cluster_msg.h: what the nodes of an ocmd cluster tell each other through
 * NATS (daemon/cluster.h): a room's record in the KV bucket ocm_rooms, a
 * node's heartbeat record in ocm_nodes, and a JOIN handed from the node
 * that ran the TCRP exchange to the room's home node, with its answer.
 * JSON objects with "v": 1; unknown members are ignored.  Parsers return
 * 0 or a negative enum ocm_error and leave their output untouched (a
 * hand-off: wiped) on error.
 */
#ifndef OCM_CLUSTER_MSG_H
#define OCM_CLUSTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/keys.h"
#include "lib/ocm.h"
#include "lib/payload.h"

#ifndef CLUSTER_NODE_MAX
#define CLUSTER_NODE_MAX	64	/* node names: 1..63 bytes of [A-Za-z0-9_-] */
#endif
#define CLUSTER_KEY_MAX		(2 * OCM_NAME_MAX + 1)

bool cluster_node_valid(const char *s, size_t len);

/* A room name as a KV key (which allow only [-/_=.a-zA-Z0-9]): the
 * lowercase hex of its bytes.  Returns the key's length. */
size_t cluster_room_key(const char *name, size_t len, char out[CLUSTER_KEY_MAX]);
/* The reverse: 0, or -OCM_E_BAD_NAME when key is not the key of a valid
 * room name. */
int cluster_room_key_decode(const char *key, size_t key_len, char out[OCM_NAME_MAX + 1],
    size_t *len);

/* A room's record.  free: released (also "{}" or an empty value). */
struct cluster_room {
	bool free;
	char node[CLUSTER_NODE_MAX];	/* its home */
	uint64_t epoch;			/* the home's incarnation that claimed it */
	uint32_t worker;		/* its worker on the home, 0..63 */
	bool password;
	uint32_t members;
};
char *cluster_room_build(const struct cluster_room *r, size_t *len);
int cluster_room_parse(const uint8_t *buf, size_t len, struct cluster_room *r);
/* A node's heartbeat record (key: the node's name). */
struct cluster_node {
	uint64_t epoch;
	char udp_host[256];		/* its advertise address */
	uint64_t started_ms;		/* Unix time */
	uint32_t rooms, members;
};
char *cluster_node_build(const struct cluster_node *n, size_t *len);
int cluster_node_parse(const uint8_t *buf, size_t len, struct cluster_node *n);
/* A JOIN handed to the room's home (ocm.node.HOME.join).  The password
 * and keys are secret: the caller wipes the struct and the built text. */
struct cluster_join {
	struct tcrp_request req;	/* JOIN_ROOM: room, user, password */
	char token[OCM_TOKEN_LEN + 1];
	struct udp_keys keys;
	char ip[46];			/* the client's, as inet_ntop() writes it */
	char from[CLUSTER_NODE_MAX];	/* the node that ran the exchange */
};
char *cluster_join_build(const struct cluster_join *j, size_t *len);
int cluster_join_parse(const uint8_t *buf, size_t len, struct cluster_join *j);
/* The home's answer. */
struct cluster_join_reply {
	enum tcrp_code code;
	char message[512];		/* for people */
	char *complete;			/* OK: the COMPLETE payload, malloc'ed */
	size_t complete_len;
};
char *cluster_join_reply_build(const struct cluster_join_reply *r, size_t *len);
int cluster_join_reply_parse(const uint8_t *buf, size_t len, struct cluster_join_reply *r);
void cluster_join_reply_clear(struct cluster_join_reply *r);

#endif
