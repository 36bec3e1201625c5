/*
 * fuzz_cluster.c: the cluster's parsers (lib/cluster_msg.c), which read
 * what other nodes wrote to NATS.  Whatever a parser accepts must survive
 * a trip through the matching builder and parser unchanged, and a refusal
 * must be one of the errors lib/ocm.h defines.
 *
 * Input: byte 0 picks the parser (mod 5): 0 an ocm_rooms record, 1 an
 * ocm_nodes record, 2 a JOIN hand-off, 3 the home node's answer, 4 a room
 * name's KV key; the rest is the message.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cluster_msg.h"
#include "lib/ocm.h"
#include "tests/fuzz/fuzz.h"

/* Aborts on an error outside enum ocm_error; true when err is 0. */
static bool
fuzz_ok(int err)
{
	if (err > 0 || err <= -OCM_E_MAX_)
		abort();
	return err == 0;
}

static void
fuzz_room(const uint8_t *data, size_t size)
{
	struct cluster_room a, b;
	size_t len = 0;
	char *json;

	if (!fuzz_ok(cluster_room_parse(data, size, &a)))
		return;
	if ((json = cluster_room_build(&a, &len)) == NULL ||
	    !fuzz_ok(cluster_room_parse((const uint8_t *)json, len, &b)) || b.free != a.free)
		abort();
	if (!a.free && (strcmp(b.node, a.node) != 0 || b.epoch != a.epoch ||
	    b.worker != a.worker || b.worker >= CLUSTER_WORKERS || b.password != a.password ||
	    b.members != a.members))
		abort();
	free(json);
}

static void
fuzz_node(const uint8_t *data, size_t size)
{
	struct cluster_node a, b;
	size_t len = 0;
	char *json;

	if (!fuzz_ok(cluster_node_parse(data, size, &a)))
		return;
	if ((json = cluster_node_build(&a, &len)) == NULL ||
	    !fuzz_ok(cluster_node_parse((const uint8_t *)json, len, &b)) ||
	    b.epoch != a.epoch || strcmp(b.udp_host, a.udp_host) != 0 ||
	    b.started_ms != a.started_ms || b.rooms != a.rooms || b.members != a.members)
		abort();
	free(json);
}

static bool
fuzz_join_eq(const struct cluster_join *a, const struct cluster_join *b)
{
	return b->req.operation == a->req.operation && b->req.room_len == a->req.room_len &&
	    memcmp(b->req.room, a->req.room, a->req.room_len + 1) == 0 &&
	    b->req.user_len == a->req.user_len &&
	    memcmp(b->req.user, a->req.user, a->req.user_len + 1) == 0 &&
	    b->req.password_len == a->req.password_len &&
	    memcmp(b->req.password, a->req.password, a->req.password_len) == 0 &&
	    strcmp(b->token, a->token) == 0 && memcmp(&b->keys, &a->keys, sizeof(a->keys)) == 0 &&
	    strcmp(b->ip, a->ip) == 0 && strcmp(b->from, a->from) == 0;
}

static void
fuzz_join(const uint8_t *data, size_t size)
{
	struct cluster_join a, b;
	size_t len = 0;
	char *json;

	if (!fuzz_ok(cluster_join_parse(data, size, &a)))
		return;
	if ((json = cluster_join_build(&a, &len)) == NULL ||
	    !fuzz_ok(cluster_join_parse((const uint8_t *)json, len, &b)) || !fuzz_join_eq(&a, &b))
		abort();
	OPENSSL_cleanse(json, len);
	free(json);
}

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	struct cluster_join_reply a, b;
	size_t len = 0;
	char *json;

	if (!fuzz_ok(cluster_join_reply_parse(data, size, &a)))
		return;
	if ((a.code == TCRP_CODE_OK) != (a.complete != NULL) ||
	    strlen(a.message) >= sizeof(a.message))
		abort();
	if ((json = cluster_join_reply_build(&a, &len)) == NULL ||
	    !fuzz_ok(cluster_join_reply_parse((const uint8_t *)json, len, &b)) ||
	    b.code != a.code || strcmp(b.message, a.message) != 0 ||
	    b.complete_len != a.complete_len ||
	    (a.complete != NULL && memcmp(b.complete, a.complete, a.complete_len) != 0))
		abort();
	cluster_join_reply_clear(&a);
	cluster_join_reply_clear(&b);
	free(json);
}

/* A key decodes to a name whose key is that key again: one spelling. */
static void
fuzz_key(const uint8_t *data, size_t size)
{
	char name[OCM_NAME_MAX + 1], key[CLUSTER_KEY_MAX];
	size_t len = 0;

	if (!fuzz_ok(cluster_room_key_decode((const char *)data, size, name, &len)))
		return;
	if (len == 0 || len > OCM_NAME_MAX || name[len] != '\0' ||
	    cluster_room_key(name, len, key) != size || memcmp(key, data, size) != 0)
		abort();
}

static void (*const fuzz_parsers[])(const uint8_t *, size_t) = {
	fuzz_room,
	fuzz_node,
	fuzz_join,
	fuzz_reply,
	fuzz_key,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_parsers[data[0] % (sizeof(fuzz_parsers) / sizeof(fuzz_parsers[0]))](data + 1,
	    size - 1);
	return 0;
}
