/*
 * cluster_msg.c: what ocmd nodes tell each other (see cluster_msg.h):
 * JSON objects with "v": 1, strictly checked, since a record in the KV
 * bucket or a message on a subject may come from any NATS client.
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

#define MSG_MAX		(TCRP_MAX_PAYLOAD + 1024)

static const char hexdigits[] = "0123456789abcdef";

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Exactly 2 * n lowercase hex digits into n bytes.  0 or -1. */
static int
hex_decode(const char *in, size_t in_len, uint8_t *out, size_t n)
{
	if (in_len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool
cluster_node_valid(const char *s, size_t len)
{
	if (len == 0 || len >= CLUSTER_NODE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
	}
	return true;
}

size_t
cluster_room_key(const char *name, size_t len, char out[CLUSTER_KEY_MAX])
{
	if (len > OCM_NAME_MAX)
		len = OCM_NAME_MAX;
	hex_encode((const uint8_t *)name, len, out);
	return 2 * len;
}

int
cluster_room_key_decode(const char *key, size_t key_len, char out[OCM_NAME_MAX + 1],
    size_t *len)
{
	size_t n = key_len / 2;

	if (key_len == 0 || key_len % 2 != 0 || n > OCM_NAME_MAX ||
	    hex_decode(key, key_len, (uint8_t *)out, n) < 0 ||
	    !name_valid((const uint8_t *)out, n))
		return -OCM_E_BAD_NAME;
	out[n] = '\0';
	*len = n;
	return 0;
}

/* Shared checks. */

static json_t *
msg_load(const uint8_t *buf, size_t len, int *err)
{
	json_error_t jerr;
	json_t *root, *v;

	*err = 0;
	if (len > MSG_MAX) {
		*err = -OCM_E_TOO_LARGE;
		return NULL;
	}
	root = json_loadb(buf != NULL ? (const char *)buf : "", len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		*err = -OCM_E_BAD_JSON;
		return NULL;
	}
	v = json_object_get(root, "v");
	if (v == NULL || !json_is_integer(v) || json_integer_value(v) != 1) {
		*err = v == NULL ? -OCM_E_MISSING_FIELD : -OCM_E_BAD_VERSION;
		json_decref(root);
		return NULL;
	}
	return root;
}

static int
get_string(json_t *root, const char *key, const char **s, size_t *len)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_string(v))
		return -OCM_E_BAD_FIELD;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int
get_uint(json_t *root, const char *key, json_int_t max, uint64_t *out)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return -OCM_E_BAD_FIELD;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_bool(json_t *root, const char *key, bool *out)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_boolean(v))
		return -OCM_E_BAD_FIELD;
	*out = json_is_true(v);
	return 0;
}

static int
get_epoch(json_t *root, uint64_t *epoch)
{
	uint8_t b[8];
	const char *s;
	size_t len;
	int err = get_string(root, "epoch", &s, &len);

	if (err < 0)
		return err;
	if (hex_decode(s, len, b, sizeof(b)) < 0)
		return -OCM_E_BAD_FIELD;
	*epoch = 0;
	for (size_t i = 0; i < sizeof(b); i++)
		*epoch = *epoch << 8 | b[i];
	return 0;
}

static void
epoch_hex(uint64_t epoch, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, epoch);
}

static int
get_node(json_t *root, const char *key, char out[CLUSTER_NODE_MAX])
{
	const char *s;
	size_t len;
	int err = get_string(root, key, &s, &len);

	if (err < 0)
		return err;
	if (!cluster_node_valid(s, len))
		return -OCM_E_BAD_NAME;
	memcpy(out, s, len + 1);
	return 0;
}

/* 1..255 bytes, no controls, no spaces. */
static bool
host_valid(const char *s, size_t len)
{
	if (len == 0 || len > 255 || !name_valid((const uint8_t *)s, len))
		return false;
	return memchr(s, ' ', len) == NULL;
}

static char *
msg_dump(json_t *o, size_t *len)
{
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

/* Rooms. */

char *
cluster_room_build(const struct cluster_room *r, size_t *len)
{
	char epoch[17];

	if (r->free)
		return msg_dump(json_pack("{s:i, s:b}", "v", 1, "free", 1), len);
	if (!cluster_node_valid(r->node, strlen(r->node)) || r->worker > 63)
		return NULL;
	epoch_hex(r->epoch, epoch);
	return msg_dump(json_pack("{s:i, s:s, s:s, s:i, s:b, s:I}", "v", 1, "node", r->node,
	    "epoch", epoch, "worker", (int)r->worker, "password", r->password, "members",
	    (json_int_t)r->members), len);
}

static int
room_fill(json_t *root, struct cluster_room *r)
{
	uint64_t worker, members;
	int err;

	memset(r, 0, sizeof(*r));
	if (json_is_true(json_object_get(root, "free"))) {
		r->free = true;
		return 0;
	}
	if ((err = get_node(root, "node", r->node)) < 0 || (err = get_epoch(root, &r->epoch)) < 0 ||
	    (err = get_uint(root, "worker", 63, &worker)) < 0 ||
	    (err = get_bool(root, "password", &r->password)) < 0 ||
	    (err = get_uint(root, "members", UINT32_MAX, &members)) < 0)
		return err;
	r->worker = (uint32_t)worker;
	r->members = (uint32_t)members;
	return 0;
}

int
cluster_room_parse(const uint8_t *buf, size_t len, struct cluster_room *r)
{
	struct cluster_room tmp;
	json_t *root;
	int err;

	if (len == 0 || (len == 2 && memcmp(buf, "{}", 2) == 0)) {
		memset(r, 0, sizeof(*r));
		r->free = true;
		return 0;
	}
	if ((root = msg_load(buf, len, &err)) == NULL)
		return err;
	err = room_fill(root, &tmp);
	json_decref(root);
	if (err == 0)
		*r = tmp;
	return err;
}

/* Nodes. */

char *
cluster_node_build(const struct cluster_node *n, size_t *len)
{
	char epoch[17];

	if (!host_valid(n->udp_host, strnlen(n->udp_host, sizeof(n->udp_host))))
		return NULL;
	epoch_hex(n->epoch, epoch);
	return msg_dump(json_pack("{s:i, s:s, s:s, s:I, s:I, s:I}", "v", 1, "epoch", epoch,
	    "udp_host", n->udp_host, "started_ms", (json_int_t)n->started_ms, "rooms",
	    (json_int_t)n->rooms, "members", (json_int_t)n->members), len);
}

int
cluster_node_parse(const uint8_t *buf, size_t len, struct cluster_node *n)
{
	struct cluster_node tmp;
	uint64_t started, rooms, members;
	const char *host;
	size_t host_len;
	json_t *root;
	int err;

	if ((root = msg_load(buf, len, &err)) == NULL)
		return err;
	memset(&tmp, 0, sizeof(tmp));
	if ((err = get_epoch(root, &tmp.epoch)) < 0 ||
	    (err = get_string(root, "udp_host", &host, &host_len)) < 0 ||
	    (err = get_uint(root, "started_ms", INT64_MAX, &started)) < 0 ||
	    (err = get_uint(root, "rooms", UINT32_MAX, &rooms)) < 0 ||
	    (err = get_uint(root, "members", UINT32_MAX, &members)) < 0)
		goto out;
	if (!host_valid(host, host_len)) {
		err = -OCM_E_BAD_FIELD;
		goto out;
	}
	memcpy(tmp.udp_host, host, host_len + 1);
	tmp.started_ms = started;
	tmp.rooms = (uint32_t)rooms;
	tmp.members = (uint32_t)members;
	*n = tmp;
out:
	json_decref(root);
	return err;
}

/* Hand-offs.  The password and the keys are secrets: every copy made
 * here is wiped (jansson's own frees are wiped by ocmd's allocator). */

char *
cluster_join_build(const struct cluster_join *j, size_t *len)
{
	char keys[2 * 2 * OCM_KEY_LEN + 1];
	json_t *o;
	char *s;

	hex_encode(j->keys.c2s, OCM_KEY_LEN, keys);
	hex_encode(j->keys.s2c, OCM_KEY_LEN, keys + 2 * OCM_KEY_LEN);
	o = json_pack("{s:i, s:s#, s:s#, s:s#, s:s, s:s, s:s, s:s}", "v", 1, "room", j->req.room,
	    (int)j->req.room_len, "user", j->req.user, (int)j->req.user_len, "password",
	    j->req.password, (int)j->req.password_len, "token", j->token, "keys", keys, "ip",
	    j->ip, "from", j->from);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_t *pw = json_object_get(o, "password"), *k = json_object_get(o, "keys");
	OPENSSL_cleanse((char *)(uintptr_t)json_string_value(pw), json_string_length(pw));
	OPENSSL_cleanse((char *)(uintptr_t)json_string_value(k), json_string_length(k));
	json_decref(o);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

static int
join_name(json_t *root, const char *key, char *out, uint8_t *out_len)
{
	const char *s;
	size_t len;
	int err = get_string(root, key, &s, &len);

	if (err < 0)
		return err;
	if (len > OCM_NAME_MAX || !name_valid((const uint8_t *)s, len))
		return -OCM_E_BAD_NAME;
	memcpy(out, s, len + 1);
	*out_len = (uint8_t)len;
	return 0;
}

static int
join_fill(json_t *root, struct cluster_join *j)
{
	const char *s;
	size_t len;
	int err;

	j->req.operation = TCRP_OP_JOIN_ROOM;
	if ((err = join_name(root, "room", j->req.room, &j->req.room_len)) < 0 ||
	    (err = join_name(root, "user", j->req.user, &j->req.user_len)) < 0)
		return err;
	if ((err = get_string(root, "password", &s, &len)) < 0)
		return err;
	if (len > OCM_PASSWORD_MAX)
		return -OCM_E_BAD_FIELD;
	memcpy(j->req.password, s, len);
	j->req.password_len = len;
	if ((err = get_string(root, "token", &s, &len)) < 0)
		return err;
	if (!token_valid((const uint8_t *)s, len))
		return -OCM_E_BAD_TOKEN;
	memcpy(j->token, s, len + 1);
	if ((err = get_string(root, "keys", &s, &len)) < 0)
		return err;
	if (hex_decode(s, len / 2, j->keys.c2s, OCM_KEY_LEN) < 0 || len != 4 * OCM_KEY_LEN ||
	    hex_decode(s + len / 2, len / 2, j->keys.s2c, OCM_KEY_LEN) < 0)
		return -OCM_E_BAD_FIELD;
	if ((err = get_string(root, "ip", &s, &len)) < 0)
		return err;
	uint8_t addr[16];
	int family = inet_pton(AF_INET, s, addr) == 1 ? AF_INET :
	    inet_pton(AF_INET6, s, addr) == 1 ? AF_INET6 : 0;
	if (family == 0 || inet_ntop(family, addr, j->ip, sizeof(j->ip)) == NULL)
		return -OCM_E_BAD_FIELD;
	return get_node(root, "from", j->from);
}

int
cluster_join_parse(const uint8_t *buf, size_t len, struct cluster_join *j)
{
	json_t *root;
	int err;

	memset(j, 0, sizeof(*j));
	if ((root = msg_load(buf, len, &err)) == NULL)
		return err;
	err = join_fill(root, j);
	json_t *pw = json_object_get(root, "password"), *k = json_object_get(root, "keys");
	if (json_is_string(pw))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(pw), json_string_length(pw));
	if (json_is_string(k))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(k), json_string_length(k));
	json_decref(root);
	if (err < 0)
		OPENSSL_cleanse(j, sizeof(*j));
	return err;
}

/* The home's answer. */

char *
cluster_join_reply_build(const struct cluster_join_reply *r, size_t *len)
{
	const char *code = tcrp_code_str(r->code);
	json_t *o;

	if (code == NULL || (r->code == TCRP_CODE_OK && r->complete == NULL))
		return NULL;
	o = json_pack("{s:i, s:s, s:s}", "v", 1, "code", code, "message", r->message);
	if (o != NULL && r->code == TCRP_CODE_OK)
		json_object_set_new(o, "complete", json_stringn(r->complete, r->complete_len));
	return msg_dump(o, len);
}

int
cluster_join_reply_parse(const uint8_t *buf, size_t len, struct cluster_join_reply *r)
{
	struct cluster_join_reply tmp;
	const char *s;
	size_t n;
	json_t *root;
	int err, code;

	if ((root = msg_load(buf, len, &err)) == NULL)
		return err;
	memset(&tmp, 0, sizeof(tmp));
	if ((err = get_string(root, "code", &s, &n)) < 0)
		goto out;
	if ((code = tcrp_code_parse(s)) < 0) {
		err = -OCM_E_BAD_FIELD;
		goto out;
	}
	tmp.code = (enum tcrp_code)code;
	if ((err = get_string(root, "message", &s, &n)) < 0)
		goto out;
	if (n >= sizeof(tmp.message) || memchr(s, '\0', n) != NULL) {
		err = -OCM_E_BAD_FIELD;
		goto out;
	}
	memcpy(tmp.message, s, n + 1);
	if (tmp.code == TCRP_CODE_OK) {
		if ((err = get_string(root, "complete", &s, &n)) < 0)
			goto out;
		if (n > TCRP_MAX_PAYLOAD || (tmp.complete = malloc(n + 1)) == NULL) {
			err = n > TCRP_MAX_PAYLOAD ? -OCM_E_TOO_LARGE : -OCM_E_NOMEM;
			goto out;
		}
		memcpy(tmp.complete, s, n + 1);
		tmp.complete_len = n;
	}
	*r = tmp;
out:
	json_decref(root);
	return err;
}

void
cluster_join_reply_clear(struct cluster_join_reply *r)
{
	free(r->complete);
	r->complete = NULL;
	r->complete_len = 0;
}
