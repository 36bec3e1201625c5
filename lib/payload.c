/*
 * payload.c: the JSON bodies of TCRP messages (doc/protocol.md 5).  The
 * daemon parses a REQUEST here once tcrp.c has reassembled it and builds
 * the RESPONSE and COMPLETE it sends back; the client does the reverse.
 * Every parser validates what the protocol constrains, so nothing a peer
 * sends reaches a caller unchecked, and leaves its output alone on error.
 */
#include "lib/payload.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tcrp.h"
#include "lib/text.h"
#include "lib/token.h"

/* Duplicate members would let two layers disagree on a value; NUL is
 * allowed only so that json_string_length() sees it and names reject it. */
#define PAYLOAD_LOAD_FLAGS	(JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
#define PAYLOAD_CIPHER		"chacha20-poly1305"
#define PAYLOAD_DATAGRAM_MIN	64
#define PAYLOAD_DATAGRAM_MAX	65507	/* largest UDP payload over IPv4 */
#define PAYLOAD_HOST_MAX	255

const char *const tcrp_code_names[TCRP_CODE_MAX_] = {
	[TCRP_CODE_OK] = "ok",
	[TCRP_CODE_BAD_REQUEST] = "bad_request",
	[TCRP_CODE_UNSUPPORTED_VERSION] = "unsupported_version",
	[TCRP_CODE_ROOM_EXISTS] = "room_exists",
	[TCRP_CODE_NO_SUCH_ROOM] = "no_such_room",
	[TCRP_CODE_BAD_PASSWORD] = "bad_password",
	[TCRP_CODE_NAME_TAKEN] = "name_taken",
	[TCRP_CODE_ROOM_FULL] = "room_full",
	[TCRP_CODE_SERVER_FULL] = "server_full",
	[TCRP_CODE_RATE_LIMITED] = "rate_limited",
	[TCRP_CODE_UNAVAILABLE] = "unavailable",
	[TCRP_CODE_INTERNAL] = "internal",
};

const char *
tcrp_code_str(enum tcrp_code code)
{
	if ((unsigned)code >= TCRP_CODE_MAX_)
		return NULL;
	return tcrp_code_names[code];
}

int
tcrp_code_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < TCRP_CODE_MAX_; i++)
		if (strcmp(s, tcrp_code_names[i]) == 0)
			return i;
	return -1;
}

enum tcrp_code
tcrp_code_from_error(int err)
{
	if (err == -OCM_E_BAD_VERSION || err == OCM_E_BAD_VERSION)
		return TCRP_CODE_UNSUPPORTED_VERSION;
	return TCRP_CODE_BAD_REQUEST;
}

/* ---- shared helpers ---- */

/* The payload as a JSON object, or NULL for anything else. */
static json_t *
payload_load(const uint8_t *payload, size_t len)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(payload != NULL ? (const char *)payload : "", len,
	    PAYLOAD_LOAD_FLAGS, &jerr);
	if (root != NULL && !json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Serialises and releases o (which may be NULL after a failed pack). */
static char *
payload_dump(json_t *o, size_t *len)
{
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

/* A string member; *s stays NULL when it is absent and optional. */
static int
payload_get_string(json_t *root, const char *key, bool required, const char **s,
    size_t *len)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return required ? -OCM_E_MISSING_FIELD : 0;
	if (!json_is_string(v))
		return -OCM_E_BAD_FIELD;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int
payload_get_int(json_t *root, const char *key, json_int_t min, json_int_t max,
    json_int_t *out)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return -OCM_E_BAD_FIELD;
	*out = json_integer_value(v);
	return 0;
}

static int
payload_get_bool(json_t *root, const char *key, bool *out)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_boolean(v))
		return -OCM_E_BAD_FIELD;
	*out = json_is_true(v);
	return 0;
}

static bool
payload_name_ok(const char *s)
{
	return s != NULL && name_valid((const uint8_t *)s, strlen(s));
}

/* ---- REQUEST (3.1) ---- */

struct request_ctx {
	uint8_t op;
	uint8_t state;
	const uint8_t *room;
	size_t room_len;
	const uint8_t *payload;
	size_t payload_len;
	json_t *root;
	struct tcrp_request req;
	const char *why;
};

/* The phrases for one name field, so both names report alike. */
struct name_phrases {
	const char *empty;
	const char *too_long;
	const char *bad;
};

static const struct name_phrases room_phrases = {
	"room name is empty",
	"room name is longer than 255 bytes",
	"room name is not UTF-8 without control characters (U+0000..U+001F, "
	    "U+007F..U+009F)",
};

static const struct name_phrases user_phrases = {
	"user_name is empty",
	"user_name is longer than 255 bytes",
	"user_name is not UTF-8 without control characters (U+0000..U+001F, "
	    "U+007F..U+009F)",
};

static const struct name_phrases after_phrases = {
	"after is empty",
	"after is longer than 255 bytes",
	"after is not UTF-8 without control characters (U+0000..U+001F, "
	    "U+007F..U+009F)",
};

static int
request_fail(struct request_ctx *c, int err, const char *why)
{
	c->why = why;
	return err;
}

static int
request_name_fail(struct request_ctx *c, const struct name_phrases *p, size_t len)
{
	if (len == 0)
		return request_fail(c, -OCM_E_BAD_NAME, p->empty);
	if (len > OCM_NAME_MAX)
		return request_fail(c, -OCM_E_BAD_NAME, p->too_long);
	return request_fail(c, -OCM_E_BAD_NAME, p->bad);
}

static int
request_check_header(struct request_ctx *c)
{
	if (c->op < TCRP_OP_CREATE_ROOM || c->op > TCRP_OP_LIST_ROOMS)
		return request_fail(c, -OCM_E_BAD_OPERATION, "unknown operation");
	if (c->state != TCRP_STATE_REQUEST)
		return request_fail(c, -OCM_E_BAD_STATE, "state is not REQUEST");
	if (c->payload_len > TCRP_MAX_PAYLOAD)
		return request_fail(c, -OCM_E_TOO_LARGE, "payload is larger than 65536 bytes");
	c->req.operation = c->op;
	return 0;
}

/* The version comes right after the JSON itself, before any other rule, so
 * that a client of a later version learns that rather than what it broke. */
static int
request_check_version(struct request_ctx *c)
{
	json_t *v;

	c->root = payload_load(c->payload, c->payload_len);
	if (c->root == NULL)
		return request_fail(c, -OCM_E_BAD_JSON, "payload is not one JSON object");
	v = json_object_get(c->root, "version");
	if (v == NULL)
		return request_fail(c, -OCM_E_MISSING_FIELD, "version is missing");
	if (!json_is_integer(v) || json_integer_value(v) != OCM_PROTOCOL_VERSION)
		return request_fail(c, -OCM_E_BAD_VERSION, "version is not 1");
	return 0;
}

static int
request_check_room(struct request_ctx *c)
{
	if (c->op == TCRP_OP_LIST_ROOMS) {
		if (c->room_len != 0)
			return request_fail(c, -OCM_E_BAD_NAME, "LIST_ROOMS takes no room name");
		return 0;
	}
	if (!name_valid(c->room, c->room_len))
		return request_name_fail(c, &room_phrases, c->room_len);
	memcpy(c->req.room, c->room, c->room_len);
	c->req.room_len = (uint8_t)c->room_len;
	return 0;
}

/* LIST_ROOMS: "after" is a room name, "limit" 1..1000 (doc/protocol.md 5.5). */
static int
request_check_page(struct request_ctx *c)
{
	const char *s = NULL;
	size_t len = 0;
	json_int_t limit = TCRP_LIST_LIMIT_MAX;
	int err;

	if (c->op != TCRP_OP_LIST_ROOMS)
		return 0;
	if (payload_get_string(c->root, "after", false, &s, &len) < 0)
		return request_fail(c, -OCM_E_BAD_FIELD, "after is not a string");
	if (s != NULL && !name_valid((const uint8_t *)s, len))
		return request_name_fail(c, &after_phrases, len);
	err = payload_get_int(c->root, "limit", 1, TCRP_LIST_LIMIT_MAX, &limit);
	if (err < 0 && err != -OCM_E_MISSING_FIELD)
		return request_fail(c, err, "limit is not an integer from 1 to 1000");
	if (s != NULL)
		memcpy(c->req.after, s, len);
	c->req.after_len = (uint8_t)len;
	c->req.limit = (uint16_t)limit;
	return 0;
}

static int
request_check_user(struct request_ctx *c)
{
	const char *s = NULL;
	size_t len = 0;
	int err;

	if (c->op == TCRP_OP_LIST_ROOMS)
		return 0;
	err = payload_get_string(c->root, "user_name", true, &s, &len);
	if (err == -OCM_E_MISSING_FIELD)
		return request_fail(c, err, "user_name is missing");
	if (err < 0)
		return request_fail(c, err, "user_name is not a string");
	if (!name_valid((const uint8_t *)s, len))
		return request_name_fail(c, &user_phrases, len);
	memcpy(c->req.user, s, len);
	c->req.user_len = (uint8_t)len;
	return 0;
}

static int
request_check_password(struct request_ctx *c)
{
	const char *s = NULL;
	size_t len = 0;

	if (c->op == TCRP_OP_LIST_ROOMS)
		return 0;
	if (payload_get_string(c->root, "password", false, &s, &len) < 0)
		return request_fail(c, -OCM_E_BAD_FIELD, "password is not a string");
	if (len > OCM_PASSWORD_MAX)
		return request_fail(c, -OCM_E_TOO_LARGE, "password is longer than 1024 bytes");
	if (len > 0)
		memcpy(c->req.password, s, len);
	c->req.password_len = len;
	return 0;
}

/*
 * jansson frees the password's string unwiped: overwrite it first.  (Its
 * parser's own scratch copies are the allocator's business: ocmd wipes
 * everything jansson frees.)
 */
static void
request_wipe(json_t *root)
{
	json_t *pw = root != NULL ? json_object_get(root, "password") : NULL;

	if (json_is_string(pw))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(pw), json_string_length(pw));
}

/* In order: each step may rely on the ones before it. */
static int (*const request_steps[])(struct request_ctx *) = {
	request_check_header,
	request_check_version,
	request_check_room,
	request_check_page,
	request_check_user,
	request_check_password,
};

int
tcrp_request_parse(uint8_t op, uint8_t state, const uint8_t *room, size_t room_len,
    const uint8_t *payload, size_t payload_len, struct tcrp_request *req, const char **why)
{
	struct request_ctx c = {
		.op = op,
		.state = state,
		.room = room,
		.room_len = room_len,
		.payload = payload,
		.payload_len = payload_len,
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(request_steps) / sizeof(request_steps[0]); i++)
		if ((err = request_steps[i](&c)) < 0)
			break;
	request_wipe(c.root);
	json_decref(c.root);
	if (err < 0) {
		if (why != NULL)
			*why = c.why;
	} else {
		*req = c.req;
	}
	OPENSSL_cleanse(c.req.password, sizeof(c.req.password));
	return err;
}

/* "after" and "limit" only when set, so that a first page is the request
 * every server understands.  "after" is the last name a page listed, so
 * it is taken as a listed name (name_listed_valid). */
static char *
request_list_build(const struct tcrp_request *req, size_t *len)
{
	json_t *o;

	if ((req->after_len > 0 &&
	    !name_listed_valid((const uint8_t *)req->after, req->after_len)) ||
	    req->limit > TCRP_LIST_LIMIT_MAX)
		return NULL;
	o = json_pack("{s:i}", "version", OCM_PROTOCOL_VERSION);
	if (o != NULL && req->after_len > 0 && json_object_set_new(o, "after",
	    json_stringn(req->after, req->after_len)) < 0) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && req->limit > 0 && json_object_set_new(o, "limit",
	    json_integer(req->limit)) < 0) {
		json_decref(o);
		return NULL;
	}
	return payload_dump(o, len);
}

char *
tcrp_request_build(const struct tcrp_request *req, size_t *len)
{
	if (req->operation == TCRP_OP_LIST_ROOMS)
		return request_list_build(req, len);
	if (req->operation != TCRP_OP_CREATE_ROOM && req->operation != TCRP_OP_JOIN_ROOM)
		return NULL;
	if (!name_valid((const uint8_t *)req->user, req->user_len) ||
	    req->password_len > OCM_PASSWORD_MAX)
		return NULL;
	return payload_dump(json_pack("{s:i, s:s%, s:s%}",
	    "version", OCM_PROTOCOL_VERSION,
	    "user_name", req->user, (size_t)req->user_len,
	    "password", req->password, req->password_len), len);
}

/* ---- RESPONSE (3.2) ---- */

char *
tcrp_response_build(enum tcrp_code code, const char *message, size_t *len)
{
	const char *name = tcrp_code_str(code);

	if (name == NULL)
		return NULL;
	if (code == TCRP_CODE_OK)
		return payload_dump(json_pack("{s:s}", "status", "ok"), len);
	return payload_dump(json_pack("{s:s, s:s, s:s}", "status", "error", "code", name,
	    "message", message != NULL ? message : name), len);
}

static int
response_fill(json_t *root, struct tcrp_response *r)
{
	const char *status = NULL, *code = NULL, *msg = NULL;
	size_t status_len = 0, code_len = 0, msg_len = 0;
	int err, c;

	if ((err = payload_get_string(root, "status", true, &status, &status_len)) < 0)
		return err;
	if (strcmp(status, "ok") == 0 && status_len == 2) {
		r->code = TCRP_CODE_OK;
	} else if (strcmp(status, "error") == 0 && status_len == 5) {
		if ((err = payload_get_string(root, "code", true, &code, &code_len)) < 0)
			return err;
		c = tcrp_code_parse(code);
		if (c <= TCRP_CODE_OK || strlen(code) != code_len)
			return -OCM_E_BAD_FIELD;
		r->code = (enum tcrp_code)c;
	} else {
		return -OCM_E_BAD_FIELD;
	}
	if ((err = payload_get_string(root, "message", false, &msg, &msg_len)) < 0)
		return err;
	/* Shown to people: cut between whole characters, control characters
	 * (a terminal escape, an embedded NUL) as '?'. */
	if (msg != NULL)
		utf8_sanitize((const uint8_t *)msg, msg_len, false, r->message,
		    sizeof(r->message));
	return 0;
}

int
tcrp_response_parse(const uint8_t *payload, size_t len, struct tcrp_response *resp)
{
	struct tcrp_response r = { .code = TCRP_CODE_OK };
	json_t *root = payload_load(payload, len);
	int err;

	if (root == NULL)
		return -OCM_E_BAD_JSON;
	err = response_fill(root, &r);
	json_decref(root);
	if (err == 0)
		*resp = r;
	return err;
}

/* ---- COMPLETE of CREATE_ROOM / JOIN_ROOM (3.3) ---- */

enum session_int {
	SESSION_UDP_PORT,
	SESSION_KEEPALIVE,
	SESSION_TIMEOUT,
	SESSION_MAX_DATAGRAM,
	SESSION_INT_MAX_
};

static const struct {
	const char *key;
	json_int_t min;
	json_int_t max;
} session_ints[SESSION_INT_MAX_] = {
	[SESSION_UDP_PORT] = { "udp_port", 1, UINT16_MAX },
	[SESSION_KEEPALIVE] = { "keepalive_s", 1, UINT32_MAX },
	[SESSION_TIMEOUT] = { "timeout_s", 1, UINT32_MAX },
	[SESSION_MAX_DATAGRAM] = { "max_datagram", PAYLOAD_DATAGRAM_MIN, PAYLOAD_DATAGRAM_MAX },
};

static bool
session_int_ok(enum session_int i, json_int_t v)
{
	return v >= session_ints[i].min && v <= session_ints[i].max;
}

/* What the builder refuses, so that whatever it emits parses again. */
static bool
session_valid(const struct tcrp_session *s)
{
	size_t host_len;

	if (!token_valid((const uint8_t *)s->token, strnlen(s->token, sizeof(s->token))) ||
	    !session_int_ok(SESSION_UDP_PORT, s->udp_port) ||
	    !session_int_ok(SESSION_KEEPALIVE, s->keepalive_s) ||
	    !session_int_ok(SESSION_TIMEOUT, s->timeout_s) ||
	    !session_int_ok(SESSION_MAX_DATAGRAM, s->max_datagram))
		return false;
	host_len = strnlen(s->udp_host, sizeof(s->udp_host));
	if (host_len > 0 && !name_valid((const uint8_t *)s->udp_host, host_len))
		return false;
	if (s->n_members > 0 && s->members == NULL)
		return false;
	for (size_t i = 0; i < s->n_members; i++)
		if (!payload_name_ok(s->members[i]))
			return false;
	return true;
}

static json_t *
session_members_build(const struct tcrp_session *s)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_members; i++) {
		if (json_array_append_new(a, json_string(s->members[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

char *
tcrp_session_build(const struct tcrp_session *s, size_t *len)
{
	json_t *members, *root;

	if (!session_valid(s) || (members = session_members_build(s)) == NULL)
		return NULL;
	/* "O" takes its own reference, so ours is dropped whatever happens. */
	root = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:b, s:O, s:s*}",
	    "token", s->token,
	    "udp_port", (int)s->udp_port,
	    "cipher", PAYLOAD_CIPHER,
	    "keepalive_s", (json_int_t)s->keepalive_s,
	    "timeout_s", (json_int_t)s->timeout_s,
	    "max_datagram", (json_int_t)s->max_datagram,
	    "host", (int)s->host,
	    "members", members,
	    "udp_host", s->udp_host[0] != '\0' ? s->udp_host : NULL);
	json_decref(members);
	/* Present only when true (doc/protocol.md 5.4). */
	if (root != NULL && s->members_more &&
	    json_object_set_new(root, "members_more", json_true()) < 0) {
		json_decref(root);
		return NULL;
	}
	return payload_dump(root, len);
}

static void
session_members_free(char **members, size_t n)
{
	if (members == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(members[i]);
	free(members);
}

static int
session_members_parse(json_t *root, struct tcrp_session *s)
{
	json_t *a = json_object_get(root, "members");
	size_t n;

	if (a == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_array(a))
		return -OCM_E_BAD_FIELD;
	n = json_array_size(a);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v))
			return -OCM_E_BAD_FIELD;
		/* An older server's member may have C1 in its name: the
		 * client shows it through its text policy. */
		if (!name_listed_valid((const uint8_t *)json_string_value(v),
		    json_string_length(v)))
			return -OCM_E_BAD_NAME;
	}
	if (n == 0)
		return 0;
	if ((s->members = calloc(n, sizeof(*s->members))) == NULL)
		return -OCM_E_NOMEM;
	/* Names hold no NUL (name_listed_valid), so strdup() copies them
	 * whole. */
	for (s->n_members = 0; s->n_members < n; s->n_members++) {
		s->members[s->n_members] = strdup(json_string_value(json_array_get(a, s->n_members)));
		if (s->members[s->n_members] == NULL)
			return -OCM_E_NOMEM;
	}
	return 0;
}

static int
session_strings_parse(json_t *root, struct tcrp_session *s)
{
	const char *str = NULL;
	size_t len = 0;
	int err;

	if ((err = payload_get_string(root, "token", true, &str, &len)) < 0)
		return err;
	if (!token_valid((const uint8_t *)str, len))
		return -OCM_E_BAD_TOKEN;
	memcpy(s->token, str, len);
	if ((err = payload_get_string(root, "cipher", true, &str, &len)) < 0)
		return err;
	if (len != strlen(PAYLOAD_CIPHER) || memcmp(str, PAYLOAD_CIPHER, len) != 0)
		return -OCM_E_BAD_FIELD;
	str = NULL;
	if ((err = payload_get_string(root, "udp_host", false, &str, &len)) < 0)
		return err;
	if (str != NULL && len > 0) {
		if (!name_valid((const uint8_t *)str, len))
			return -OCM_E_BAD_FIELD;
		memcpy(s->udp_host, str, len);
	}
	return 0;
}

static int
session_fill(json_t *root, struct tcrp_session *s)
{
	json_int_t v[SESSION_INT_MAX_];
	int err;

	if ((err = session_strings_parse(root, s)) < 0)
		return err;
	for (size_t i = 0; i < SESSION_INT_MAX_; i++) {
		err = payload_get_int(root, session_ints[i].key, session_ints[i].min,
		    session_ints[i].max, &v[i]);
		if (err < 0)
			return err;
	}
	s->udp_port = (uint16_t)v[SESSION_UDP_PORT];
	s->keepalive_s = (uint32_t)v[SESSION_KEEPALIVE];
	s->timeout_s = (uint32_t)v[SESSION_TIMEOUT];
	s->max_datagram = (uint32_t)v[SESSION_MAX_DATAGRAM];
	if ((err = payload_get_bool(root, "host", &s->host)) < 0)
		return err;
	err = payload_get_bool(root, "members_more", &s->members_more);
	if (err < 0 && err != -OCM_E_MISSING_FIELD)
		return err;
	return session_members_parse(root, s);
}

int
tcrp_session_parse(const uint8_t *payload, size_t len, struct tcrp_session *s)
{
	struct tcrp_session tmp;
	json_t *root = payload_load(payload, len);
	int err;

	if (root == NULL)
		return -OCM_E_BAD_JSON;
	memset(&tmp, 0, sizeof(tmp));
	err = session_fill(root, &tmp);
	json_decref(root);
	if (err < 0) {
		tcrp_session_clear(&tmp);
		return err;
	}
	*s = tmp;
	return 0;
}

void
tcrp_session_clear(struct tcrp_session *s)
{
	if (s == NULL)
		return;
	session_members_free(s->members, s->n_members);
	s->members = NULL;
	s->n_members = 0;
}

/* ---- COMPLETE of LIST_ROOMS (3.3) ---- */

char *
tcrp_rooms_build(const struct tcrp_room_info *rooms, size_t n, bool more, size_t *len)
{
	json_t *a, *root;

	if (n > 0 && rooms == NULL)
		return NULL;
	if ((a = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!payload_name_ok(rooms[i].name) ||
		    json_array_append_new(a, json_pack("{s:s, s:I, s:b}",
		    "name", rooms[i].name,
		    "members", (json_int_t)rooms[i].members,
		    "password", (int)rooms[i].password)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	root = json_pack("{s:O, s:b}", "rooms", a, "more", (int)more);
	json_decref(a);
	return payload_dump(root, len);
}

static int
rooms_entry_parse(json_t *o, struct tcrp_room_info *ri)
{
	const char *name = NULL;
	size_t name_len = 0;
	json_int_t members;
	int err;

	if (!json_is_object(o))
		return -OCM_E_BAD_FIELD;
	if ((err = payload_get_string(o, "name", true, &name, &name_len)) < 0)
		return err;
	/* C1 as an older server may list it: the client must still page on
	 * past it, and shows it through its text policy. */
	if (!name_listed_valid((const uint8_t *)name, name_len))
		return -OCM_E_BAD_NAME;
	if ((err = payload_get_int(o, "members", 0, UINT32_MAX, &members)) < 0)
		return err;
	if ((err = payload_get_bool(o, "password", &ri->password)) < 0)
		return err;
	memcpy(ri->name, name, name_len);
	ri->name[name_len] = '\0';
	ri->members = (uint32_t)members;
	return 0;
}

static int
rooms_fill(json_t *root, struct tcrp_room_info **out, size_t *n_out, bool *more_out)
{
	json_t *a = json_object_get(root, "rooms");
	struct tcrp_room_info *rooms = NULL;
	bool more = false;
	size_t n;
	int err;

	if (a == NULL)
		return -OCM_E_MISSING_FIELD;
	if (!json_is_array(a))
		return -OCM_E_BAD_FIELD;
	err = payload_get_bool(root, "more", &more);
	if (err < 0 && err != -OCM_E_MISSING_FIELD)
		return err;
	n = json_array_size(a);
	if (n > 0 && (rooms = calloc(n, sizeof(*rooms))) == NULL)
		return -OCM_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((err = rooms_entry_parse(json_array_get(a, i), &rooms[i])) < 0) {
			free(rooms);
			return err;
		}
	}
	*out = rooms;
	*n_out = n;
	*more_out = more;
	return 0;
}

int
tcrp_rooms_parse(const uint8_t *payload, size_t len, struct tcrp_room_info **rooms,
    size_t *n, bool *more)
{
	json_t *root = payload_load(payload, len);
	int err;

	if (root == NULL)
		return -OCM_E_BAD_JSON;
	err = rooms_fill(root, rooms, n, more);
	json_decref(root);
	return err;
}
