/*
 * check_protocol_doc.c: the worked example of doc/protocol.md, checked
 * against the code so that the document cannot drift from it.
 *
 * Every fenced block of the document whose info string is
 * "hex vector=NAME" is read (text after '#' on a line is annotation), and
 * must equal byte for byte what this file builds from the example's fixed
 * inputs with the code a peer runs: lib/tcrp.c and lib/payload.c for the
 * TCRP messages, the daemon's own serve_session_complete() for COMPLETE,
 * lib/datagram.c and lib/aead.c for the sealed datagrams.  Then each
 * block is decoded with the parsers a peer would use and the decoded
 * fields compared with the inputs the document annotates.
 *
 * The UDP keys come from the TLS 1.3 exporter, which needs a handshake,
 * so the document gives the key schedule as a formula and a vector from a
 * fixed exporter secret.  The formula is implemented here from RFC 8446
 * alone (HMAC, no TLS code) and checked against OpenSSL's exporter in
 * real handshakes, for each TLS 1.3 cipher suite, with ocmd's own server
 * context; the secret of each handshake is read from the key log.
 *
 * When the protocol changes on purpose, a failure prints the new bytes
 * to paste into the document.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "daemon/base/config.h"
#include "daemon/core/registry.h"
#include "daemon/tcrp/request.h"
#include "lib/datagram.h"
#include "lib/keys.h"
#include "lib/payload.h"
#include "lib/tcrp.h"
#include "tests/unit/util.h"

#define DOC_PATH		"doc/protocol.md"
#define DOC_MAX			(512 * 1024)
#define VECTOR_MAX		4096	/* bytes in one block */
#define VECTORS_MAX		32
#define FENCE			"```"
#define VECTOR_INFO		"```hex vector="
#define HANDSHAKE_ROUNDS	20

/* The example's fixed inputs (doc/protocol.md, "Worked example"). */
#define EX_ROOM			"lobby"
#define EX_USER			"alice"
#define EX_PASSWORD		"s3cret"
#define EX_TOKEN		"003f5c9e71b24a86d0e3c7f19a5b2e64"
#define EX_PORT			7600
#define EX_CHAT			"hello"
#define EX_CHAT_COUNTER		1	/* the session's PING went as 0 */
#define EX_PONG_COUNTER		0	/* the server's first datagram to alice */
#define EX_PEER			"bob"
#define EX_PEER_CHAT		"hi alice"

/* ---- The document's vectors ------------------------------------------ */

struct vector {
	char name[64];
	int line;		/* of the opening fence, for messages */
	size_t len;
	uint8_t bytes[VECTOR_MAX];
};

static struct vector doc_vectors[VECTORS_MAX];
static size_t n_doc_vectors;
static bool doc_loaded;

static char *
doc_read(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *text = malloc(DOC_MAX + 1);
	size_t n;

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(top != NULL, "top_srcdir is not set: run through make check, or "
	    "set top_srcdir to the source tree");
	snprintf(path, sizeof(path), "%s/%s", top, DOC_PATH);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(text, 1, DOC_MAX, f);
	ck_assert_msg(feof(f) && !ferror(f), "cannot read %s whole (over %d bytes?)",
	    path, DOC_MAX);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* One line of a block: hex digits and spaces, then an optional '#'
 * annotation.  Appends its bytes to v. */
static void
vector_add_line(struct vector *v, char *line, int lineno)
{
	char *hash = strchr(line, '#');
	size_t n;

	if (hash != NULL)
		*hash = '\0';
	n = test_unhex(line, v->bytes + v->len, sizeof(v->bytes) - v->len);
	ck_assert_msg(n != (size_t)-1, "%s:%d: vector %s: not whole bytes of hex: '%s'",
	    DOC_PATH, lineno, v->name, line);
	v->len += n;
}

/* The name after "vector=", up to the end of the line or a space. */
static void
vector_start(struct vector *v, const char *info, int lineno)
{
	size_t n = strcspn(info, " \t\r");

	ck_assert_msg(n > 0 && n < sizeof(v->name), "%s:%d: bad vector name", DOC_PATH,
	    lineno);
	memset(v, 0, sizeof(*v));
	memcpy(v->name, info, n);
	v->line = lineno;
}

static void
doc_load(void)
{
	char *text, *line, *save = NULL;
	struct vector *cur = NULL;
	int lineno = 0;

	if (doc_loaded)
		return;
	text = doc_read();
	/* strtok_r() would skip empty lines and so miscount them. */
	for (line = text; line != NULL; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		lineno++;
		if (cur != NULL && strncmp(line, FENCE, strlen(FENCE)) == 0) {
			cur = NULL;
			n_doc_vectors++;
		} else if (cur != NULL) {
			vector_add_line(cur, line, lineno);
		} else if (strncmp(line, VECTOR_INFO, strlen(VECTOR_INFO)) == 0) {
			ck_assert_msg(n_doc_vectors < VECTORS_MAX, "%s: more than %d vectors",
			    DOC_PATH, VECTORS_MAX);
			cur = &doc_vectors[n_doc_vectors];
			vector_start(cur, line + strlen(VECTOR_INFO), lineno);
		}
	}
	ck_assert_msg(cur == NULL, "%s:%d: vector %s is not closed", DOC_PATH,
	    cur != NULL ? cur->line : 0, cur != NULL ? cur->name : "");
	free(text);
	doc_loaded = true;
}

static const struct vector *
doc_vector(const char *name)
{
	const struct vector *found = NULL;

	doc_load();
	for (size_t i = 0; i < n_doc_vectors; i++) {
		if (strcmp(doc_vectors[i].name, name) != 0)
			continue;
		ck_assert_msg(found == NULL, "%s: vector %s appears twice (lines %d, %d)",
		    DOC_PATH, name, found != NULL ? found->line : 0, doc_vectors[i].line);
		found = &doc_vectors[i];
	}
	ck_assert_msg(found != NULL, "%s has no block ```hex vector=%s", DOC_PATH, name);
	return found;
}

/* ---- TCRP ------------------------------------------------------------ */

static struct tcrp_request
example_request(void)
{
	struct tcrp_request r;

	memset(&r, 0, sizeof(r));
	r.operation = TCRP_OP_CREATE_ROOM;
	r.room_len = (uint8_t)strlen(EX_ROOM);
	memcpy(r.room, EX_ROOM, r.room_len);
	r.user_len = (uint8_t)strlen(EX_USER);
	memcpy(r.user, EX_USER, r.user_len);
	r.password_len = strlen(EX_PASSWORD);
	memcpy(r.password, EX_PASSWORD, r.password_len);
	return r;
}

/* Frames a JSON payload as the example's CREATE_ROOM message in state. */
static size_t
frame(uint8_t state, char *json, size_t json_len, uint8_t *out)
{
	long n;

	ck_assert_ptr_nonnull(json);
	n = tcrp_encode(TCRP_OP_CREATE_ROOM, state, (const uint8_t *)EX_ROOM,
	    strlen(EX_ROOM), (const uint8_t *)json, json_len, out, VECTOR_MAX);
	free(json);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t
build_create_request(uint8_t *out)
{
	struct tcrp_request r = example_request();
	size_t len = 0;
	char *json = tcrp_request_build(&r, &len);

	return frame(TCRP_STATE_REQUEST, json, len, out);
}

static size_t
build_create_response(uint8_t *out)
{
	size_t len = 0;
	char *json = tcrp_response_build(TCRP_CODE_OK, NULL, &len);

	return frame(TCRP_STATE_RESPONSE, json, len, out);
}

/* COMPLETE as ocmd builds it: the registry admits alice as the host of a
 * new room under the example's token, with ocmd's default timers. */
static size_t
build_create_complete(uint8_t *out)
{
	struct registry_limits lim = { .max_rooms = 1, .max_members = 1,
		.max_members_per_room = 2 };
	struct registry *reg = registry_new(&lim);
	struct tcrp_request r = example_request();
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct peer_ip ip;
	struct config cfg;
	struct member *m = NULL;
	const char *why = NULL;
	char *json = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(reg);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	peer_ip_from_sockaddr(&ip, (struct sockaddr *)&sin);
	config_defaults(&cfg);
	ck_assert_int_eq(registry_create(reg, &r, &ip, (const uint8_t *)EX_TOKEN, 0, &m, &why),
	    TCRP_CODE_OK);
	ck_assert_int_eq(serve_session_complete(&cfg, m, EX_PORT, "", &json, &len), 0);
	registry_free(reg);
	return frame(TCRP_STATE_COMPLETE, json, len, out);
}

/* Reads one whole message from a vector; the reader must consume it all. */
static void
read_message(const struct vector *v, struct tcrp_reader *rd, uint8_t state)
{
	tcrp_reader_init(rd, TCRP_MAX_PAYLOAD);
	ck_assert_int_eq(tcrp_reader_feed(rd, v->bytes, v->len), (long)v->len);
	ck_assert_int_eq(rd->status, TCRP_READER_DONE);
	ck_assert_uint_eq(rd->h.operation, TCRP_OP_CREATE_ROOM);
	ck_assert_uint_eq(rd->h.state, state);
	ck_assert_uint_eq(rd->h.room_len, strlen(EX_ROOM));
	ck_assert(memcmp(tcrp_reader_room(rd), EX_ROOM, strlen(EX_ROOM)) == 0);
	ck_assert_uint_eq(rd->h.payload_len, v->len - TCRP_HEADER_LEN - strlen(EX_ROOM));
}

static void
decode_create_request(const struct vector *v)
{
	struct tcrp_reader rd;
	struct tcrp_request r;
	const char *why = NULL;

	read_message(v, &rd, TCRP_STATE_REQUEST);
	ck_assert_int_eq(tcrp_request_parse(rd.h.operation, rd.h.state, tcrp_reader_room(&rd),
	    rd.h.room_len, tcrp_reader_payload(&rd), (size_t)rd.h.payload_len, &r, &why), 0);
	ck_assert_str_eq(r.room, EX_ROOM);
	ck_assert_str_eq(r.user, EX_USER);
	ck_assert_uint_eq(r.password_len, strlen(EX_PASSWORD));
	ck_assert(memcmp(r.password, EX_PASSWORD, r.password_len) == 0);
	tcrp_reader_reset(&rd);
}

static void
decode_create_response(const struct vector *v)
{
	struct tcrp_reader rd;
	struct tcrp_response resp;

	read_message(v, &rd, TCRP_STATE_RESPONSE);
	ck_assert_int_eq(tcrp_response_parse(tcrp_reader_payload(&rd),
	    (size_t)rd.h.payload_len, &resp), 0);
	ck_assert_int_eq(resp.code, TCRP_CODE_OK);
	tcrp_reader_reset(&rd);
}

static void
decode_create_complete(const struct vector *v)
{
	struct tcrp_reader rd;
	struct tcrp_session s;

	read_message(v, &rd, TCRP_STATE_COMPLETE);
	ck_assert_int_eq(tcrp_session_parse(tcrp_reader_payload(&rd),
	    (size_t)rd.h.payload_len, &s), 0);
	ck_assert_str_eq(s.token, EX_TOKEN);
	ck_assert_uint_eq(s.udp_port, EX_PORT);
	ck_assert_str_eq(s.udp_host, "");
	ck_assert_uint_eq(s.keepalive_s, 10);
	ck_assert_uint_eq(s.timeout_s, 30);
	ck_assert_uint_eq(s.max_datagram, OCM_MAX_DATAGRAM);
	ck_assert(s.host);
	ck_assert_uint_eq(s.n_members, 1);
	ck_assert_str_eq(s.members[0], EX_USER);
	ck_assert(!s.members_more);
	tcrp_session_clear(&s);
	tcrp_reader_reset(&rd);
}

/* ---- The key schedule, from RFC 8446 alone ---------------------------- */

/* RFC 5869 HKDF-Expand with HMAC. */
static void
hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len, const uint8_t *info,
    size_t info_len, uint8_t *out, size_t len)
{
	uint8_t t[EVP_MAX_MD_SIZE], in[EVP_MAX_MD_SIZE + 600];
	size_t t_len = 0, hlen = (size_t)EVP_MD_get_size(md);
	unsigned int n;

	ck_assert_uint_le(info_len, 512);
	for (uint8_t i = 1; len > 0; i++) {
		memcpy(in, t, t_len);
		memcpy(in + t_len, info, info_len);
		in[t_len + info_len] = i;
		ck_assert_ptr_nonnull(HMAC(md, prk, (int)prk_len, in, t_len + info_len + 1, t,
		    &n));
		t_len = n;
		size_t k = len < hlen ? len : hlen;
		memcpy(out, t, k);
		out += k;
		len -= k;
	}
}

/* RFC 8446 7.1 HkdfLabel: length (2), "tls13 " + label (1 + n), context
 * (1 + n).  Returns its size. */
static size_t
hkdf_label(uint16_t length, const char *label, const uint8_t *ctx, size_t ctx_len,
    uint8_t *out)
{
	size_t l = strlen("tls13 ") + strlen(label), n = 0;

	out[n++] = (uint8_t)(length >> 8);
	out[n++] = (uint8_t)length;
	out[n++] = (uint8_t)l;
	memcpy(out + n, "tls13 ", 6);
	memcpy(out + n + 6, label, strlen(label));
	n += l;
	out[n++] = (uint8_t)ctx_len;
	memcpy(out + n, ctx, ctx_len);
	return n + ctx_len;
}

/* The steps of RFC 8446 7.5 TLS-Exporter(label, token, 64), kept so that
 * the document can show each. */
struct exporter_steps {
	size_t label1_len, label2_len, hlen;
	uint8_t label1[128];			/* HkdfLabel of Derive-Secret */
	uint8_t derived[EVP_MAX_MD_SIZE];	/* Derive-Secret(secret, label, "") */
	uint8_t label2[128];			/* HkdfLabel of the "exporter" step */
	uint8_t out[OCM_EXPORTER_LEN];
};

static void
exporter_run(const EVP_MD *md, const uint8_t *secret, const char *token,
    struct exporter_steps *x)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;

	memset(x, 0, sizeof(*x));
	x->hlen = (size_t)EVP_MD_get_size(md);
	ck_assert_int_eq(EVP_Digest("", 0, h, &hlen, md, NULL), 1);
	x->label1_len = hkdf_label((uint16_t)x->hlen, OCM_EXPORTER_LABEL, h, hlen, x->label1);
	hkdf_expand(md, secret, x->hlen, x->label1, x->label1_len, x->derived, x->hlen);
	ck_assert_int_eq(EVP_Digest(token, OCM_TOKEN_LEN, h, &hlen, md, NULL), 1);
	x->label2_len = hkdf_label(OCM_EXPORTER_LEN, "exporter", h, hlen, x->label2);
	hkdf_expand(md, x->derived, x->hlen, x->label2, x->label2_len, x->out,
	    sizeof(x->out));
}

/* The example's exporter secrets: 0x00, 0x01, ... (32 or 48 bytes). */
static size_t
build_secret(size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)i;
	return len;
}

static size_t
build_secret256(uint8_t *out)
{
	return build_secret(32, out);
}

static size_t
build_secret384(uint8_t *out)
{
	return build_secret(48, out);
}

static void
example_steps(const EVP_MD *md, struct exporter_steps *x)
{
	uint8_t secret[EVP_MAX_MD_SIZE];

	build_secret((size_t)EVP_MD_get_size(md), secret);
	exporter_run(md, secret, EX_TOKEN, x);
}

static size_t
build_label1(uint8_t *out)
{
	struct exporter_steps x;

	example_steps(EVP_sha256(), &x);
	memcpy(out, x.label1, x.label1_len);
	return x.label1_len;
}

static size_t
build_derived(uint8_t *out)
{
	struct exporter_steps x;

	example_steps(EVP_sha256(), &x);
	memcpy(out, x.derived, x.hlen);
	return x.hlen;
}

static size_t
build_label2(uint8_t *out)
{
	struct exporter_steps x;

	example_steps(EVP_sha256(), &x);
	memcpy(out, x.label2, x.label2_len);
	return x.label2_len;
}

static size_t
build_keys256(uint8_t *out)
{
	struct exporter_steps x;

	example_steps(EVP_sha256(), &x);
	memcpy(out, x.out, sizeof(x.out));
	return sizeof(x.out);
}

static size_t
build_keys384(uint8_t *out)
{
	struct exporter_steps x;

	example_steps(EVP_sha384(), &x);
	memcpy(out, x.out, sizeof(x.out));
	return sizeof(x.out);
}

/* ---- Datagrams -------------------------------------------------------- */

/* The example session's keys: the SHA-256 vector, c2s first. */
static void
example_keys(struct udp_keys *k)
{
	uint8_t out[OCM_EXPORTER_LEN];

	build_keys256(out);
	memcpy(k->c2s, out, OCM_KEY_LEN);
	memcpy(k->s2c, out + OCM_KEY_LEN, OCM_KEY_LEN);
}

static size_t
seal(const uint8_t *key, uint64_t counter, const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	struct aead *a = aead_new(key, AEAD_SEAL);
	long n;

	ck_assert_ptr_nonnull(a);
	n = dgram_seal(a, (const uint8_t *)EX_ROOM, strlen(EX_ROOM),
	    (const uint8_t *)EX_TOKEN, counter, pt, pt_len, out, VECTOR_MAX);
	aead_free(a);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t
build_chat_plaintext(uint8_t *out)
{
	long n = msg_encode_c_chat((const uint8_t *)EX_CHAT, strlen(EX_CHAT), out, VECTOR_MAX);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t
build_chat_nonce(uint8_t *out)
{
	aead_nonce(EX_CHAT_COUNTER, out);
	return OCM_NONCE_LEN;
}

static size_t
build_chat_datagram(uint8_t *out)
{
	struct udp_keys k;
	uint8_t pt[64];
	size_t n = build_chat_plaintext(pt);

	example_keys(&k);
	return seal(k.c2s, EX_CHAT_COUNTER, pt, n, out);
}

static size_t
build_pong_datagram(uint8_t *out)
{
	struct udp_keys k;
	uint8_t pt[1];
	long n = msg_encode_empty(MSG_S_PONG, pt, sizeof(pt));

	ck_assert_int_eq(n, 1);
	example_keys(&k);
	return seal(k.s2c, EX_PONG_COUNTER, pt, 1, out);
}

/* bob comes online and says hello: two records for alice in one pass. */
static size_t
build_batch_plaintext(uint8_t *out)
{
	uint8_t rec[64];
	long used = msg_batch_begin(out, VECTOR_MAX), n;

	n = msg_encode_notice(NOTICE_JOINED, (const uint8_t *)EX_PEER, strlen(EX_PEER), NULL,
	    0, rec, sizeof(rec));
	ck_assert_int_gt(n, 0);
	used = msg_batch_add(out, (size_t)used, VECTOR_MAX, rec, (size_t)n);
	n = msg_encode_s_chat((const uint8_t *)EX_PEER, strlen(EX_PEER),
	    (const uint8_t *)EX_PEER_CHAT, strlen(EX_PEER_CHAT), rec, sizeof(rec));
	ck_assert_int_gt(n, 0);
	used = msg_batch_add(out, (size_t)used, VECTOR_MAX, rec, (size_t)n);
	ck_assert_int_gt(used, 0);
	return (size_t)used;
}

/* Opens a datagram vector (a copy: opening decrypts in place). */
static void
open_datagram(const struct vector *v, const uint8_t *key, uint64_t counter, uint8_t *buf,
    struct msg *m)
{
	struct dgram_header h;
	struct aead *a = aead_new(key, AEAD_OPEN);
	uint8_t *pt;
	size_t pt_len;

	ck_assert_ptr_nonnull(a);
	memcpy(buf, v->bytes, v->len);
	ck_assert_int_eq(dgram_parse_header(buf, v->len, &h), 0);
	ck_assert_uint_eq(h.room_len, strlen(EX_ROOM));
	ck_assert(memcmp(h.room, EX_ROOM, h.room_len) == 0);
	ck_assert(memcmp(h.token, EX_TOKEN, OCM_TOKEN_LEN) == 0);
	ck_assert_uint_eq(h.counter, counter);
	ck_assert_uint_eq(h.aad_len, 2 + strlen(EX_ROOM) + OCM_TOKEN_LEN + OCM_COUNTER_LEN);
	ck_assert_int_eq(dgram_open(a, &h, buf, v->len, &pt, &pt_len), 0);
	aead_free(a);
	ck_assert_int_eq(msg_parse(pt, pt_len, m), 0);
}

/* The other direction's key must not open it: which key is which matters. */
static void
assert_wrong_key_fails(const struct vector *v, const uint8_t *key)
{
	uint8_t buf[VECTOR_MAX];
	struct dgram_header h;
	struct aead *a = aead_new(key, AEAD_OPEN);
	uint8_t *pt;
	size_t pt_len;

	ck_assert_ptr_nonnull(a);
	memcpy(buf, v->bytes, v->len);
	ck_assert_int_eq(dgram_parse_header(buf, v->len, &h), 0);
	ck_assert_int_eq(dgram_open(a, &h, buf, v->len, &pt, &pt_len), -OCM_E_AUTH);
	aead_free(a);
}

static void
decode_chat_datagram(const struct vector *v)
{
	struct udp_keys k;
	uint8_t buf[VECTOR_MAX];
	struct msg m;

	example_keys(&k);
	open_datagram(v, k.c2s, EX_CHAT_COUNTER, buf, &m);
	ck_assert_uint_eq(m.type, MSG_C_CHAT);
	ck_assert_uint_eq(m.text_len, strlen(EX_CHAT));
	ck_assert(memcmp(m.text, EX_CHAT, m.text_len) == 0);
	assert_wrong_key_fails(v, k.s2c);
}

static void
decode_pong_datagram(const struct vector *v)
{
	struct udp_keys k;
	uint8_t buf[VECTOR_MAX];
	struct msg m;

	example_keys(&k);
	open_datagram(v, k.s2c, EX_PONG_COUNTER, buf, &m);
	ck_assert_uint_eq(m.type, MSG_S_PONG);
	assert_wrong_key_fails(v, k.c2s);
}

static void
decode_batch_plaintext(const struct vector *v)
{
	struct msg m, rec_msg;
	struct msg_iter it;
	const uint8_t *rec;
	size_t rec_len;

	ck_assert_int_eq(msg_parse(v->bytes, v->len, &m), 0);
	ck_assert_uint_eq(m.type, MSG_S_BATCH);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_batch_next(&it, &rec, &rec_len), 1);
	ck_assert_int_eq(msg_parse(rec, rec_len, &rec_msg), 0);
	ck_assert_uint_eq(rec_msg.type, MSG_S_NOTICE);
	ck_assert_uint_eq(rec_msg.code, NOTICE_JOINED);
	ck_assert_uint_eq(rec_msg.name_len, strlen(EX_PEER));
	ck_assert(memcmp(rec_msg.name, EX_PEER, rec_msg.name_len) == 0);
	ck_assert_uint_eq(rec_msg.text_len, 0);
	ck_assert_int_eq(msg_batch_next(&it, &rec, &rec_len), 1);
	ck_assert_int_eq(msg_parse(rec, rec_len, &rec_msg), 0);
	ck_assert_uint_eq(rec_msg.type, MSG_S_CHAT);
	ck_assert(memcmp(rec_msg.name, EX_PEER, rec_msg.name_len) == 0);
	ck_assert_uint_eq(rec_msg.text_len, strlen(EX_PEER_CHAT));
	ck_assert(memcmp(rec_msg.text, EX_PEER_CHAT, rec_msg.text_len) == 0);
	ck_assert_int_eq(msg_batch_next(&it, &rec, &rec_len), 0);
}

static void
decode_chat_plaintext(const struct vector *v)
{
	struct msg m;

	ck_assert_int_eq(msg_parse(v->bytes, v->len, &m), 0);
	ck_assert_uint_eq(m.type, MSG_C_CHAT);
	ck_assert(m.text_len == strlen(EX_CHAT) && memcmp(m.text, EX_CHAT, m.text_len) == 0);
}

/* ---- The table -------------------------------------------------------- */

static const struct expected {
	const char *name;
	size_t (*build)(uint8_t *out);
	void (*decode)(const struct vector *v);	/* NULL: the bytes say it all */
} expected[] = {
	{ "create-request", build_create_request, decode_create_request },
	{ "create-response", build_create_response, decode_create_response },
	{ "create-complete", build_create_complete, decode_create_complete },
	{ "exporter-secret", build_secret256, NULL },
	{ "exporter-label-1", build_label1, NULL },
	{ "exporter-derived", build_derived, NULL },
	{ "exporter-label-2", build_label2, NULL },
	{ "exporter-keys", build_keys256, NULL },
	{ "exporter384-secret", build_secret384, NULL },
	{ "exporter384-keys", build_keys384, NULL },
	{ "chat-plaintext", build_chat_plaintext, decode_chat_plaintext },
	{ "chat-nonce", build_chat_nonce, NULL },
	{ "chat-datagram", build_chat_datagram, decode_chat_datagram },
	{ "pong-datagram", build_pong_datagram, decode_pong_datagram },
	{ "batch-plaintext", build_batch_plaintext, decode_batch_plaintext },
};

#define N_EXPECTED	(sizeof(expected) / sizeof(expected[0]))

/* Bytes as the document writes them: 16 to a line. */
static void
hex_lines(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x%s", p[i],
		    i + 1 == len ? "" : (i % 16 == 15 ? "\n" : " "));
	out[o < cap ? o : cap - 1] = '\0';
}

START_TEST(test_vector_bytes)
{
	const struct expected *e = &expected[_i];
	const struct vector *v = doc_vector(e->name);
	static uint8_t want[VECTOR_MAX];
	static char text[VECTOR_MAX * 4];
	size_t n = e->build(want);

	if (v->len == n && memcmp(v->bytes, want, n) == 0)
		return;
	hex_lines(want, n, text, sizeof(text));
	ck_abort_msg("%s:%d: vector %s (%zu bytes) differs from what the code makes "
	    "(%zu bytes):\n%s", DOC_PATH, v->line, e->name, v->len, n, text);
}
END_TEST

START_TEST(test_vector_decodes)
{
	const struct expected *e = &expected[_i];

	if (e->decode != NULL)
		e->decode(doc_vector(e->name));
}
END_TEST

/* A block this file does not know would be an unchecked example. */
START_TEST(test_no_unchecked_vectors)
{
	doc_load();
	ck_assert_uint_gt(n_doc_vectors, 0);
	for (size_t i = 0; i < n_doc_vectors; i++) {
		bool known = false;
		for (size_t j = 0; j < N_EXPECTED; j++)
			known = known || strcmp(doc_vectors[i].name, expected[j].name) == 0;
		ck_assert_msg(known, "%s:%d: vector %s is not checked by %s", DOC_PATH,
		    doc_vectors[i].line, doc_vectors[i].name, __FILE__);
	}
}
END_TEST

/* ---- The formula against OpenSSL -------------------------------------- */

static const char *const suites[] = {
	"TLS_AES_128_GCM_SHA256",
	"TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
};

static uint8_t logged_secret[EVP_MAX_MD_SIZE];
static size_t logged_secret_len;

/* NSS key log lines: "EXPORTER_SECRET <client random> <secret>". */
static void
keylog_cb(const SSL *ssl, const char *line)
{
	static const char prefix[] = "EXPORTER_SECRET ";
	const char *sp;
	(void)ssl;

	if (strncmp(line, prefix, strlen(prefix)) != 0)
		return;
	sp = strchr(line + strlen(prefix), ' ');
	ck_assert_ptr_nonnull(sp);
	logged_secret_len = test_unhex(sp + 1, logged_secret, sizeof(logged_secret));
	ck_assert_uint_ne(logged_secret_len, (size_t)-1);
}

struct tls_pair {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
};

/* ocmd's server context and a client offering one suite, joined in
 * memory by a BIO pair. */
static void
pair_new(struct tls_pair *p, const char *suite)
{
	static const unsigned char alpn[] = "\x05ocm/1";
	BIO *sbio, *cbio;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(keys_selfsigned("ocm.example.org", 1, &p->key, &p->cert), 0);
	p->sctx = keys_server_ctx();
	ck_assert_ptr_nonnull(p->sctx);
	ck_assert_int_eq(SSL_CTX_use_certificate(p->sctx, p->cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(p->sctx, p->key), 1);
	p->cctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(p->cctx);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(p->cctx, TLS1_3_VERSION), 1);
	ck_assert_int_eq(SSL_CTX_set_ciphersuites(p->cctx, suite), 1);
	ck_assert_int_eq(SSL_CTX_set_alpn_protos(p->cctx, alpn, sizeof(alpn) - 1), 0);
	SSL_CTX_set_keylog_callback(p->cctx, keylog_cb);
	p->server = SSL_new(p->sctx);
	p->client = SSL_new(p->cctx);
	ck_assert(p->server != NULL && p->client != NULL);
	ck_assert_int_eq(BIO_new_bio_pair(&sbio, 0, &cbio, 0), 1);
	SSL_set_bio(p->server, sbio, sbio);
	SSL_set_bio(p->client, cbio, cbio);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
}

static void
pair_free(struct tls_pair *p)
{
	SSL_free(p->client);
	SSL_free(p->server);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
}

/* 1 done, 0 wants more; a failure fails the test. */
static int
handshake_step(SSL *ssl)
{
	int rc = SSL_do_handshake(ssl);

	if (rc == 1)
		return 1;
	rc = SSL_get_error(ssl, rc);
	ck_assert_msg(rc == SSL_ERROR_WANT_READ || rc == SSL_ERROR_WANT_WRITE,
	    "handshake failed: %s", ERR_error_string(ERR_get_error(), NULL));
	return 0;
}

static void
pair_handshake(struct tls_pair *p)
{
	int cdone = 0, sdone = 0;

	for (int i = 0; i < HANDSHAKE_ROUNDS && !(cdone && sdone); i++) {
		if (!cdone)
			cdone = handshake_step(p->client);
		if (!sdone)
			sdone = handshake_step(p->server);
	}
	ck_assert_msg(cdone && sdone, "handshake unfinished after %d rounds",
	    HANDSHAKE_ROUNDS);
}

START_TEST(test_exporter_formula)
{
	const char *suite = suites[_i];
	struct tls_pair p;
	struct udp_keys k;
	struct exporter_steps x;
	const EVP_MD *md;

	logged_secret_len = 0;
	pair_new(&p, suite);
	pair_handshake(&p);
	ck_assert_str_eq(SSL_CIPHER_get_name(SSL_get_current_cipher(p.server)), suite);
	md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(p.server));
	ck_assert_ptr_nonnull(md);
	ck_assert_uint_eq(logged_secret_len, (size_t)EVP_MD_get_size(md));
	ck_assert_int_eq(keys_export(p.server, EX_TOKEN, &k), 0);
	exporter_run(md, logged_secret, EX_TOKEN, &x);
	ck_assert_msg(memcmp(x.out, k.c2s, OCM_KEY_LEN) == 0 &&
	    memcmp(x.out + OCM_KEY_LEN, k.s2c, OCM_KEY_LEN) == 0,
	    "%s: the documented key schedule disagrees with the TLS exporter", suite);
	pair_free(&p);
}
END_TEST

static Suite *
protocol_doc_suite(void)
{
	Suite *s = suite_create("protocol_doc");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, test_vector_bytes, 0, N_EXPECTED);
	tcase_add_loop_test(tc, test_vector_decodes, 0, N_EXPECTED);
	tcase_add_test(tc, test_no_unchecked_vectors);
	suite_add_tcase(s, tc);
	tc = tcase_create("exporter");
	tcase_add_loop_test(tc, test_exporter_formula, 0, sizeof(suites) / sizeof(suites[0]));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(protocol_doc_suite)
