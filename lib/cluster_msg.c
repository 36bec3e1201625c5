/*
 * cluster_msg.c: the JSON of the cluster (see cluster_msg.h).  daemon/
 * cluster.c writes and reads the KV records here and hands JOINs between
 * nodes with them.  Another node is a peer like any other: every parser
 * checks all it reads, so a broken or older node cannot put a bad name,
 * worker or key into this one.  Every builder refuses what its parser
 * would, so that whatever one node writes the others can read.
 */
#include "lib/cluster_msg.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tcrp.h"
#include "lib/text.h"
#include "lib/token.h"

#define MSG_VERSION	1
/* Duplicate members would let two nodes read one record differently; NUL
 * is let in only so that the length checks see it and refuse it. */
#define MSG_LOAD_FLAGS	(JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
#define MSG_EPOCH_LEN	16	/* hex digits of a uint64_t */
#define MSG_KEYS_LEN	(4 * OCM_KEY_LEN)	/* hex digits of c2s and s2c */
#define MSG_HOST_MAX	255

typedef int msg_fill_fn(json_t *root, void *out);

/* ---- hex ---- */

static const char msg_hex[] = "0123456789abcdef";

/* out gets 2 * n digits and a NUL. */
static void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = msg_hex[in[i] >> 4];
		out[2 * i + 1] = msg_hex[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;		/* uppercase too: one value, one spelling */
}

/* Lowercase digits only; out gets len / 2 bytes.  False for an odd
 * length or any other character (out then holds garbage). */
static bool
hex_decode(const char *in, size_t len, uint8_t *out)
{
	if (len % 2 != 0)
		return false;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* ---- names and keys ---- */

bool
cluster_node_valid(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len >= CLUSTER_NODE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '-')
			return false;
	}
	return true;
}

size_t
cluster_room_key(const char *name, size_t len, char out[CLUSTER_KEY_MAX])
{
	if (len == 0 || len > OCM_NAME_MAX) {
		out[0] = '\0';
		return 0;
	}
	hex_encode((const uint8_t *)name, len, out);
	return 2 * len;
}

int
cluster_room_key_decode(const char *key, size_t key_len, char out[OCM_NAME_MAX + 1],
    size_t *len)
{
	uint8_t name[OCM_NAME_MAX];

	if (key == NULL || key_len == 0 || key_len > 2 * OCM_NAME_MAX ||
	    !hex_decode(key, key_len, name) || !name_valid(name, key_len / 2))
		return -OCM_E_BAD_NAME;
	memcpy(out, name, key_len / 2);
	out[key_len / 2] = '\0';
	*len = key_len / 2;
	return 0;
}

/* ---- reading ---- */

/*
 * Loads buf as one JSON object, hands it to fill and releases it; out is
 * fill's scratch copy, which the caller gives out only on success.  wipe
 * (when not NULL) names string members to overwrite before jansson frees
 * them: secrets.
 */
static int
msg_parse(const uint8_t *buf, size_t len, size_t max, msg_fill_fn *fill, void *out,
    const char *const *wipe)
{
	json_error_t jerr;
	json_t *root;
	int err;

	if (len > max)
		return -OCM_E_TOO_LARGE;
	root = json_loadb(buf != NULL ? (const char *)buf : "", len, MSG_LOAD_FLAGS, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -OCM_E_BAD_JSON;
	}
	err = fill(root, out);
	for (size_t i = 0; wipe != NULL && wipe[i] != NULL; i++) {
		json_t *v = json_object_get(root, wipe[i]);

		if (json_is_string(v))
			OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
			    json_string_length(v));
	}
	json_decref(root);
	return err;
}

/* Checked first, so that a node of a later version is told that rather
 * than whatever else it changed. */
static int
msg_version(json_t *root)
{
	json_t *v = json_object_get(root, "v");

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_integer(v) || json_integer_value(v) != MSG_VERSION)
		return -OCM_E_BAD_VERSION;
	return 0;
}

/* The member key, of JSON type type. */
static int
msg_member(json_t *root, const char *key, json_type type, json_t **v)
{
	if ((*v = json_object_get(root, key)) == NULL)
		return -OCM_E_MISSING_FIELD;
	return json_typeof(*v) == type ? 0 : -OCM_E_BAD_FIELD;
}

static int
msg_string(json_t *root, const char *key, const char **s, size_t *len)
{
	json_t *v;
	int err = msg_member(root, key, JSON_STRING, &v);

	if (err == 0) {
		*s = json_string_value(v);
		*len = json_string_length(v);
	}
	return err;
}

/* An integer 0..max. */
static int
msg_uint(json_t *root, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v;
	int err = msg_member(root, key, JSON_INTEGER, &v);

	if (err < 0)
		return err;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return -OCM_E_BAD_FIELD;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* jansson types true and false apart. */
static int
msg_bool(json_t *root, const char *key, bool *out)
{
	json_t *v;
	int err = msg_member(root, key, JSON_TRUE, &v);

	if (err == -OCM_E_BAD_FIELD && json_is_false(v))
		err = 0;
	if (err == 0)
		*out = json_is_true(v);
	return err;
}

static int
msg_epoch(json_t *root, uint64_t *out)
{
	uint8_t raw[MSG_EPOCH_LEN / 2];
	const char *s;
	size_t len;
	int err;

	if ((err = msg_string(root, "epoch", &s, &len)) < 0)
		return err;
	if (len != MSG_EPOCH_LEN || !hex_decode(s, len, raw))
		return -OCM_E_BAD_FIELD;
	*out = 0;
	for (size_t i = 0; i < sizeof(raw); i++)
		*out = *out << 8 | raw[i];
	return 0;
}

/* A node name into out[CLUSTER_NODE_MAX]. */
static int
msg_node(json_t *root, const char *key, char *out)
{
	const char *s;
	size_t len;
	int err;

	if ((err = msg_string(root, key, &s, &len)) < 0)
		return err;
	if (!cluster_node_valid(s, len))
		return -OCM_E_BAD_NAME;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* A room or user name into out[OCM_NAME_MAX + 1]. */
static int
msg_name(json_t *root, const char *key, char *out, uint8_t *out_len)
{
	const char *s;
	size_t len;
	int err;

	if ((err = msg_string(root, key, &s, &len)) < 0)
		return err;
	if (!name_valid((const uint8_t *)s, len))
		return -OCM_E_BAD_NAME;
	memcpy(out, s, len);
	out[len] = '\0';
	*out_len = (uint8_t)len;
	return 0;
}

/* ---- writing ---- */

struct msg_buf {
	char *data;		/* NULL while counting */
	size_t used;
};

static int
msg_dump_cb(const char *s, size_t n, void *arg)
{
	struct msg_buf *b = arg;

	if (b->data != NULL)
		memcpy(b->data + b->used, s, n);
	b->used += n;
	return 0;
}

/*
 * o as compact JSON in one malloc'ed block, written straight into it (one
 * pass measures, one writes) so that no copy of a secret is left in a
 * buffer jansson grew and freed.  o stays the caller's.
 */
static char *
msg_text(const json_t *o, size_t *len)
{
	struct msg_buf b = { NULL, 0 };

	if (o == NULL || json_dump_callback(o, msg_dump_cb, &b, JSON_COMPACT) < 0 ||
	    (b.data = malloc(b.used + 1)) == NULL)
		return NULL;
	*len = b.used;
	b.used = 0;
	if (json_dump_callback(o, msg_dump_cb, &b, JSON_COMPACT) < 0 || b.used != *len) {
		OPENSSL_cleanse(b.data, b.used);
		free(b.data);
		return NULL;
	}
	b.data[b.used] = '\0';
	return b.data;
}

/* msg_text() for objects without secrets; releases o. */
static char *
msg_dump(json_t *o, size_t *len)
{
	char *s = msg_text(o, len);

	json_decref(o);
	return s;
}

static void
msg_epoch_text(uint64_t epoch, char out[MSG_EPOCH_LEN + 1])
{
	snprintf(out, MSG_EPOCH_LEN + 1, "%016" PRIx64, epoch);
}

/* ---- ocm_rooms records ---- */

char *
cluster_room_build(const struct cluster_room *r, size_t *len)
{
	char epoch[MSG_EPOCH_LEN + 1];

	if (r->free)
		return msg_dump(json_pack("{s:i, s:b}", "v", MSG_VERSION, "free", 1), len);
	if (!cluster_node_valid(r->node, strnlen(r->node, sizeof(r->node))) ||
	    r->worker >= CLUSTER_WORKERS)
		return NULL;
	msg_epoch_text(r->epoch, epoch);
	return msg_dump(json_pack("{s:i, s:s, s:s, s:I, s:b, s:I}",
	    "v", MSG_VERSION,
	    "node", r->node,
	    "epoch", epoch,
	    "worker", (json_int_t)r->worker,
	    "password", (int)r->password,
	    "members", (json_int_t)r->members), len);
}

static int
room_fill(json_t *root, void *out)
{
	struct cluster_room *r = out;
	uint64_t worker, members;
	int err;

	/* A deleted key's value, or a hand-written {}, is a released name. */
	if (json_object_size(root) == 0) {
		r->free = true;
		return 0;
	}
	if ((err = msg_version(root)) < 0)
		return err;
	if ((err = msg_bool(root, "free", &r->free)) == -OCM_E_MISSING_FIELD)
		err = 0;
	if (err < 0 || r->free)
		return err;
	if ((err = msg_node(root, "node", r->node)) < 0 ||
	    (err = msg_epoch(root, &r->epoch)) < 0 ||
	    (err = msg_uint(root, "worker", CLUSTER_WORKERS - 1, &worker)) < 0 ||
	    (err = msg_bool(root, "password", &r->password)) < 0 ||
	    (err = msg_uint(root, "members", UINT32_MAX, &members)) < 0)
		return err;
	r->worker = (uint32_t)worker;
	r->members = (uint32_t)members;
	return 0;
}

int
cluster_room_parse(const uint8_t *buf, size_t len, struct cluster_room *r)
{
	struct cluster_room tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	if (len == 0)
		tmp.free = true;
	else if ((err = msg_parse(buf, len, CLUSTER_MSG_MAX, room_fill, &tmp, NULL)) < 0)
		return err;
	*r = tmp;
	return 0;
}

/* ---- ocm_nodes records ---- */

static bool
node_host_valid(const char *s, size_t len)
{
	return len <= MSG_HOST_MAX && name_valid((const uint8_t *)s, len) &&
	    memchr(s, ' ', len) == NULL;
}

char *
cluster_node_build(const struct cluster_node *n, size_t *len)
{
	char epoch[MSG_EPOCH_LEN + 1];

	if (!node_host_valid(n->udp_host, strnlen(n->udp_host, sizeof(n->udp_host))) ||
	    n->started_ms > INT64_MAX)
		return NULL;
	msg_epoch_text(n->epoch, epoch);
	return msg_dump(json_pack("{s:i, s:s, s:s, s:I, s:I, s:I}",
	    "v", MSG_VERSION,
	    "epoch", epoch,
	    "udp_host", n->udp_host,
	    "started_ms", (json_int_t)n->started_ms,
	    "rooms", (json_int_t)n->rooms,
	    "members", (json_int_t)n->members), len);
}

static int
node_fill(json_t *root, void *out)
{
	struct cluster_node *n = out;
	uint64_t rooms, members;
	const char *host;
	size_t host_len;
	int err;

	if ((err = msg_version(root)) < 0 ||
	    (err = msg_epoch(root, &n->epoch)) < 0 ||
	    (err = msg_string(root, "udp_host", &host, &host_len)) < 0)
		return err;
	if (!node_host_valid(host, host_len))
		return -OCM_E_BAD_FIELD;
	memcpy(n->udp_host, host, host_len);
	n->udp_host[host_len] = '\0';
	if ((err = msg_uint(root, "started_ms", INT64_MAX, &n->started_ms)) < 0 ||
	    (err = msg_uint(root, "rooms", UINT32_MAX, &rooms)) < 0 ||
	    (err = msg_uint(root, "members", UINT32_MAX, &members)) < 0)
		return err;
	n->rooms = (uint32_t)rooms;
	n->members = (uint32_t)members;
	return 0;
}

int
cluster_node_parse(const uint8_t *buf, size_t len, struct cluster_node *n)
{
	struct cluster_node tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	if ((err = msg_parse(buf, len, CLUSTER_MSG_MAX, node_fill, &tmp, NULL)) < 0)
		return err;
	*n = tmp;
	return 0;
}

/* ---- JOIN hand-offs ---- */

/* The members that hold secrets, wiped before jansson frees them. */
static const char *const join_secrets[] = { "password", "token", "keys", NULL };

/* The IP as inet_ntop() prints it, so that one address has one spelling;
 * false when it is neither IPv4 nor IPv6. */
static bool
join_ip_normalise(const char *s, char out[46])
{
	uint8_t addr[16];
	int af = AF_INET;

	if (inet_pton(af, s, addr) != 1 && inet_pton(af = AF_INET6, s, addr) != 1)
		return false;
	return inet_ntop(af, addr, out, 46) != NULL;
}

static bool
join_valid(const struct cluster_join *j)
{
	const struct tcrp_request *q = &j->req;

	return q->operation == TCRP_OP_JOIN_ROOM &&
	    name_valid((const uint8_t *)q->room, q->room_len) &&
	    name_valid((const uint8_t *)q->user, q->user_len) &&
	    q->password_len <= OCM_PASSWORD_MAX &&
	    token_valid((const uint8_t *)j->token, strnlen(j->token, sizeof(j->token))) &&
	    cluster_node_valid(j->from, strnlen(j->from, sizeof(j->from)));
}

char *
cluster_join_build(const struct cluster_join *j, size_t *len)
{
	char keys[MSG_KEYS_LEN + 1], ip[46], *s;
	json_t *o;

	if (!join_valid(j) || memchr(j->ip, '\0', sizeof(j->ip)) == NULL ||
	    !join_ip_normalise(j->ip, ip))
		return NULL;
	hex_encode(j->keys.c2s, OCM_KEY_LEN, keys);
	hex_encode(j->keys.s2c, OCM_KEY_LEN, keys + 2 * OCM_KEY_LEN);
	o = json_pack("{s:i, s:s%, s:s%, s:s%, s:s, s:s, s:s, s:s}",
	    "v", MSG_VERSION,
	    "room", j->req.room, (size_t)j->req.room_len,
	    "user", j->req.user, (size_t)j->req.user_len,
	    "password", j->req.password, j->req.password_len,
	    "token", j->token,
	    "keys", keys,
	    "ip", ip,
	    "from", j->from);
	OPENSSL_cleanse(keys, sizeof(keys));
	s = msg_text(o, len);
	for (size_t i = 0; o != NULL && join_secrets[i] != NULL; i++) {
		json_t *v = json_object_get(o, join_secrets[i]);

		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v), json_string_length(v));
	}
	json_decref(o);
	return s;
}

static int
join_secrets_fill(json_t *root, struct cluster_join *j)
{
	uint8_t raw[2 * OCM_KEY_LEN];
	const char *s;
	size_t len;
	int err;

	if ((err = msg_string(root, "password", &s, &len)) < 0)
		return err;
	if (len > OCM_PASSWORD_MAX)
		return -OCM_E_BAD_FIELD;
	memcpy(j->req.password, s, len);
	j->req.password_len = len;
	if ((err = msg_string(root, "token", &s, &len)) < 0)
		return err;
	if (!token_valid((const uint8_t *)s, len))
		return -OCM_E_BAD_TOKEN;
	memcpy(j->token, s, len);
	if ((err = msg_string(root, "keys", &s, &len)) < 0)
		return err;
	if (len != MSG_KEYS_LEN || !hex_decode(s, len, raw)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -OCM_E_BAD_FIELD;
	}
	memcpy(j->keys.c2s, raw, OCM_KEY_LEN);
	memcpy(j->keys.s2c, raw + OCM_KEY_LEN, OCM_KEY_LEN);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static int
join_fill(json_t *root, void *out)
{
	struct cluster_join *j = out;
	const char *ip;
	size_t ip_len;
	int err;

	j->req.operation = TCRP_OP_JOIN_ROOM;
	if ((err = msg_version(root)) < 0 ||
	    (err = msg_name(root, "room", j->req.room, &j->req.room_len)) < 0 ||
	    (err = msg_name(root, "user", j->req.user, &j->req.user_len)) < 0 ||
	    (err = join_secrets_fill(root, j)) < 0 ||
	    (err = msg_string(root, "ip", &ip, &ip_len)) < 0)
		return err;
	if (ip_len != strlen(ip) || !join_ip_normalise(ip, j->ip))
		return -OCM_E_BAD_FIELD;
	return msg_node(root, "from", j->from);
}

int
cluster_join_parse(const uint8_t *buf, size_t len, struct cluster_join *j)
{
	struct cluster_join tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	err = msg_parse(buf, len, CLUSTER_MSG_MAX, join_fill, &tmp, join_secrets);
	if (err == 0)
		*j = tmp;
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return err;
}

/* ---- the home node's answer ---- */

char *
cluster_join_reply_build(const struct cluster_join_reply *r, size_t *len)
{
	const char *code = tcrp_code_str(r->code);
	char message[sizeof(r->message)];
	bool ok = r->code == TCRP_CODE_OK;
	json_t *o;

	if (code == NULL || (ok && (r->complete == NULL || r->complete_len == 0 ||
	    r->complete_len > CLUSTER_COMPLETE_MAX)))
		return NULL;
	/* snprintf() into message may have cut a character in two. */
	utf8_sanitize((const uint8_t *)r->message, strnlen(r->message, sizeof(r->message)),
	    false, message, sizeof(message));
	o = json_pack("{s:i, s:s, s:s}", "v", MSG_VERSION, "code", code, "message", message);
	if (o != NULL && ok && json_object_set_new(o, "complete",
	    json_stringn(r->complete, r->complete_len)) < 0) {
		json_decref(o);
		return NULL;
	}
	return msg_dump(o, len);
}

static int
reply_complete_fill(json_t *root, struct cluster_join_reply *r)
{
	const char *s;
	size_t len;
	int err = msg_string(root, "complete", &s, &len);

	if (r->code != TCRP_CODE_OK)	/* a refusal carries no session */
		return err == -OCM_E_MISSING_FIELD ? 0 : -OCM_E_BAD_FIELD;
	if (err < 0)
		return err;
	if (len == 0 || len > CLUSTER_COMPLETE_MAX)
		return -OCM_E_BAD_FIELD;
	if ((r->complete = malloc(len + 1)) == NULL)
		return -OCM_E_NOMEM;
	memcpy(r->complete, s, len);
	r->complete[len] = '\0';
	r->complete_len = len;
	return 0;
}

static int
reply_fill(json_t *root, void *out)
{
	struct cluster_join_reply *r = out;
	const char *s;
	size_t len;
	int err, code;

	if ((err = msg_version(root)) < 0 || (err = msg_string(root, "code", &s, &len)) < 0)
		return err;
	if ((code = tcrp_code_parse(s)) < 0 || strlen(s) != len)
		return -OCM_E_BAD_FIELD;
	r->code = (enum tcrp_code)code;
	if ((err = msg_string(root, "message", &s, &len)) < 0)
		return err;
	if (len >= sizeof(r->message))
		return -OCM_E_BAD_FIELD;
	/* Shown to people: control characters (a terminal escape, a NUL) as '?'. */
	utf8_sanitize((const uint8_t *)s, len, false, r->message, sizeof(r->message));
	return reply_complete_fill(root, r);
}

int
cluster_join_reply_parse(const uint8_t *buf, size_t len, struct cluster_join_reply *r)
{
	struct cluster_join_reply tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	if ((err = msg_parse(buf, len, CLUSTER_REPLY_MAX, reply_fill, &tmp, NULL)) < 0) {
		cluster_join_reply_clear(&tmp);
		return err;
	}
	*r = tmp;
	return 0;
}

void
cluster_join_reply_clear(struct cluster_join_reply *r)
{
	if (r == NULL)
		return;
	free(r->complete);
	r->complete = NULL;
	r->complete_len = 0;
}
