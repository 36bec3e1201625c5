/*
 * datagram.c: the UDP datagrams of doc/protocol.md 8 and the plaintexts inside
 * them.  On the relay's receive path a datagram goes dgram_parse_header()
 * (to find the member by token), replay check, dgram_open() in place, then
 * msg_parse(); on the send path the encoders build a plaintext and
 * dgram_seal() wraps it.  Parsers point into the caller's buffer; nothing
 * here allocates or copies more than the encoders' own output.
 */
#include "lib/datagram.h"

#include <string.h>

/* R(1) T(1) RoomName(R) Token(T) Counter(8): the AAD. */
#define DGRAM_HEADER_LEN(R)	(2 + (size_t)(R) + OCM_TOKEN_LEN + OCM_COUNTER_LEN)

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* ---- Sealed datagrams ------------------------------------------------ */

int
dgram_parse_header(const uint8_t *buf, size_t len, struct dgram_header *h)
{
	size_t r, hdr;

	if (len > OCM_MAX_DATAGRAM)
		return -OCM_E_TOO_LARGE;
	if (len < 2)
		return -OCM_E_TRUNCATED;
	r = buf[0];
	if (r == 0)
		return -OCM_E_BAD_NAME;
	if (buf[1] != OCM_TOKEN_LEN)
		return -OCM_E_BAD_TOKEN;
	hdr = DGRAM_HEADER_LEN(r);
	/* At least one plaintext byte (the Type) and the tag. */
	if (len < hdr + 1 + OCM_TAG_LEN)
		return -OCM_E_TRUNCATED;
	h->room = buf + 2;
	h->room_len = (uint8_t)r;
	h->token = buf + 2 + r;
	h->counter = get_be64(buf + 2 + r + OCM_TOKEN_LEN);
	h->aad_len = hdr;
	return 0;
}

/*
 * pt may be out + 10 + R + T, the place the plaintext ends up, so a caller
 * can encode straight into the datagram and seal it in place; any other
 * overlap of pt and out is undefined.
 */
long
dgram_seal(struct aead *a, const uint8_t *room, size_t room_len,
    const uint8_t token[OCM_TOKEN_LEN], uint64_t counter,
    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap)
{
	size_t hdr, total;
	int err;

	if (room_len == 0 || room_len > OCM_NAME_MAX)
		return -OCM_E_BAD_NAME;
	/* A receiver refuses a datagram without a Type byte. */
	if (pt_len == 0)
		return -OCM_E_MALFORMED;
	if (pt_len > OCM_MAX_DATAGRAM)
		return -OCM_E_NOSPC;
	hdr = DGRAM_HEADER_LEN(room_len);
	total = DGRAM_OVERHEAD(room_len) + pt_len;
	if (total > OCM_MAX_DATAGRAM || total > cap)
		return -OCM_E_NOSPC;
	out[0] = (uint8_t)room_len;
	out[1] = OCM_TOKEN_LEN;
	memcpy(out + 2, room, room_len);
	memcpy(out + 2 + room_len, token, OCM_TOKEN_LEN);
	put_be64(out + 2 + room_len + OCM_TOKEN_LEN, counter);
	err = aead_seal(a, counter, out, hdr, pt, pt_len, out + hdr);
	if (err < 0)
		return err;
	return (long)total;
}

int
dgram_open(struct aead *a, const struct dgram_header *h, uint8_t *buf, size_t len,
    uint8_t **pt, size_t *pt_len)
{
	uint8_t *ct = buf + h->aad_len;
	int err;

	if (len < h->aad_len + 1 + OCM_TAG_LEN)
		return -OCM_E_TRUNCATED;
	err = aead_open(a, h->counter, buf, h->aad_len, ct, len - h->aad_len, ct);
	if (err < 0)
		return err;
	*pt = ct;
	*pt_len = len - h->aad_len - OCM_TAG_LEN;
	return 0;
}

/*
 * ---- Plaintext parsers ------------------------------------------------
 * Each gets the body (what follows the Type byte) and fills m, which
 * msg_parse() hands out only on success.
 */

static int
parse_empty(const uint8_t *b, size_t len, struct msg *m)
{
	(void)b;
	(void)m;
	return len == 0 ? 0 : -OCM_E_MALFORMED;
}

/* Padding, or a challenge echoed back; the relay judges which. */
static int
parse_ping(const uint8_t *b, size_t len, struct msg *m)
{
	if (len > MSG_PING_BODY_MAX)
		return -OCM_E_MALFORMED;
	m->body = len > 0 ? b : NULL;
	m->body_len = len;
	return 0;
}

/* Empty, or a challenge: nothing else, so that a client never has to
 * guess what a body means. */
static int
parse_pong(const uint8_t *b, size_t len, struct msg *m)
{
	if (len != 0 && len != MSG_CHALLENGE_LEN)
		return -OCM_E_MALFORMED;
	m->body = len > 0 ? b : NULL;
	m->body_len = len;
	return 0;
}

static int
parse_c_chat(const uint8_t *b, size_t len, struct msg *m)
{
	if (len == 0)
		return -OCM_E_MALFORMED;
	m->text = b;
	m->text_len = len;
	return 0;
}

static int
parse_s_chat(const uint8_t *b, size_t len, struct msg *m)
{
	/* NameLen, a name of at least one byte, text of at least one. */
	if (len < 1 || b[0] == 0 || len - 1 < (size_t)b[0] + 1)
		return -OCM_E_MALFORMED;
	m->name = b + 1;
	m->name_len = b[0];
	m->text = b + 1 + b[0];
	m->text_len = len - 1 - b[0];
	return 0;
}

static int
parse_notice(const uint8_t *b, size_t len, struct msg *m)
{
	if (len < 2 || len - 2 < b[1])
		return -OCM_E_MALFORMED;
	m->code = b[0];
	m->name = b + 2;
	m->name_len = b[1];
	m->text = b + 2 + b[1];
	m->text_len = len - 2 - b[1];
	return 0;
}

static int
parse_members(const uint8_t *b, size_t len, struct msg *m)
{
	size_t off;

	if (len < 1)
		return -OCM_E_MALFORMED;
	/* Entries: EntryFlags, NameLen >= 1, name; they must end exactly at
	 * the end of the body. */
	for (off = 1; off < len; off += 2 + b[off + 1]) {
		if (len - off < 2 || b[off + 1] == 0 || len - off - 2 < b[off + 1])
			return -OCM_E_MALFORMED;
	}
	m->code = b[0];
	m->body = b + 1;
	m->body_len = len - 1;
	return 0;
}

static int
parse_closed(const uint8_t *b, size_t len, struct msg *m)
{
	if (len < 1)
		return -OCM_E_MALFORMED;
	m->code = b[0];
	m->text = b + 1;
	m->text_len = len - 1;
	return 0;
}

static int parse_batch(const uint8_t *b, size_t len, struct msg *m);

/*
 * Indexed by Type, so msg_parse() is one load and one call; a Type without
 * a parser is unknown.  The same name serves both directions' CHAT.
 */
static const struct msg_kind {
	const char *name;
	int (*parse)(const uint8_t *b, size_t len, struct msg *m);
	bool may_be_empty;	/* msg_encode_empty() may build it */
} msg_kinds[256] = {
	[MSG_C_CHAT] = { "CHAT", parse_c_chat, false },
	[MSG_C_PING] = { "PING", parse_ping, true },
	[MSG_C_LEAVE] = { "LEAVE", parse_empty, true },
	[MSG_C_WHO] = { "WHO", parse_empty, true },
	[MSG_S_CHAT] = { "CHAT", parse_s_chat, false },
	[MSG_S_PONG] = { "PONG", parse_pong, true },
	[MSG_S_NOTICE] = { "NOTICE", parse_notice, false },
	[MSG_S_MEMBERS] = { "MEMBERS", parse_members, false },
	[MSG_S_CLOSED] = { "CLOSED", parse_closed, false },
	[MSG_S_BATCH] = { "BATCH", parse_batch, false },
};

/* A BATCH record: a whole server-to-client plaintext other than a BATCH,
 * which also bounds the recursion to one level. */
static int
batch_record_valid(const uint8_t *rec, size_t len)
{
	struct msg tmp = { 0 };
	const struct msg_kind *k = &msg_kinds[rec[0]];

	if (rec[0] < 0x80 || rec[0] == MSG_S_BATCH || k->parse == NULL)
		return 0;
	return k->parse(rec + 1, len - 1, &tmp) == 0;
}

static int
parse_batch(const uint8_t *b, size_t len, struct msg *m)
{
	size_t off, rec_len;

	if (len == 0)
		return -OCM_E_MALFORMED;
	for (off = 0; off < len; off += BATCH_LEN_SIZE + rec_len) {
		if (len - off < BATCH_LEN_SIZE)
			return -OCM_E_MALFORMED;
		rec_len = (size_t)b[off] << 8 | b[off + 1];
		if (rec_len == 0 || len - off - BATCH_LEN_SIZE < rec_len ||
		    !batch_record_valid(b + off + BATCH_LEN_SIZE, rec_len))
			return -OCM_E_MALFORMED;
	}
	m->body = b;
	m->body_len = len;
	return 0;
}

int
msg_parse(const uint8_t *pt, size_t len, struct msg *m)
{
	struct msg tmp = { 0 };
	const struct msg_kind *k;
	int err;

	if (len == 0)
		return -OCM_E_TRUNCATED;
	k = &msg_kinds[pt[0]];
	if (k->parse == NULL)
		return -OCM_E_BAD_TYPE;
	tmp.type = pt[0];
	if ((err = k->parse(pt + 1, len - 1, &tmp)) < 0)
		return err;
	*m = tmp;
	return 0;
}

/* ---- Iterators -------------------------------------------------------- */

void
msg_iter_init(struct msg_iter *it, const struct msg *m)
{
	it->p = m->body;
	it->left = m->body != NULL ? m->body_len : 0;
}

/* The bounds checks repeat msg_parse()'s so that a msg built by hand
 * cannot walk past its body. */
int
msg_members_next(struct msg_iter *it, uint8_t *flags, const uint8_t **name,
    size_t *name_len)
{
	size_t n;

	if (it->left < 2 || it->left - 2 < it->p[1])
		return 0;
	n = it->p[1];
	*flags = it->p[0];
	*name = it->p + 2;
	*name_len = n;
	it->p += 2 + n;
	it->left -= 2 + n;
	return 1;
}

int
msg_batch_next(struct msg_iter *it, const uint8_t **rec, size_t *rec_len)
{
	size_t n;

	if (it->left < BATCH_LEN_SIZE)
		return 0;
	n = (size_t)it->p[0] << 8 | it->p[1];
	if (n == 0 || it->left - BATCH_LEN_SIZE < n)
		return 0;
	*rec = it->p + BATCH_LEN_SIZE;
	*rec_len = n;
	it->p += BATCH_LEN_SIZE + n;
	it->left -= BATCH_LEN_SIZE + n;
	return 1;
}

/* ---- Names and limits ------------------------------------------------- */

static const char *const notice_code_names[] = {
	[NOTICE_JOINED] = "JOINED",
	[NOTICE_LEFT] = "LEFT",
	[NOTICE_TIMED_OUT] = "TIMED_OUT",
	[NOTICE_KICKED] = "KICKED",
	[NOTICE_REJECTED] = "REJECTED",
};

static const char *const closed_reason_names[] = {
	[CLOSED_LEFT] = "LEFT",
	[CLOSED_HOST_LEFT] = "HOST_LEFT",
	[CLOSED_HOST_TIMED_OUT] = "HOST_TIMED_OUT",
	[CLOSED_ROOM_KILLED] = "ROOM_KILLED",
	[CLOSED_KICKED] = "KICKED",
	[CLOSED_TIMED_OUT] = "TIMED_OUT",
	[CLOSED_SERVER_SHUTDOWN] = "SERVER_SHUTDOWN",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
msg_type_name(int type)
{
	if (type < 0 || (size_t)type >= NELEM(msg_kinds))
		return NULL;
	return msg_kinds[type].name;
}

const char *
notice_code_name(int code)
{
	if (code < 0 || (size_t)code >= NELEM(notice_code_names))
		return NULL;
	return notice_code_names[code];
}

const char *
closed_reason_name(int reason)
{
	if (reason < 0 || (size_t)reason >= NELEM(closed_reason_names))
		return NULL;
	return closed_reason_names[reason];
}

size_t
msg_max_text(size_t max_datagram, size_t room_len, size_t name_len)
{
	size_t used;

	if (room_len > max_datagram || name_len > max_datagram)
		return 0;
	/* The server's S_CHAT: datagram overhead, Type, NameLen, name. */
	used = DGRAM_OVERHEAD(room_len) + 2 + name_len;
	return used < max_datagram ? max_datagram - used : 0;
}

/* ---- Encoders --------------------------------------------------------- */

long
msg_encode_empty(uint8_t type, uint8_t *out, size_t cap)
{
	if (!msg_kinds[type].may_be_empty)
		return -OCM_E_BAD_TYPE;
	if (cap < 1)
		return -OCM_E_NOSPC;
	out[0] = type;
	return 1;
}

long
msg_encode_ping(const uint8_t *body, size_t body_len, uint8_t *out, size_t cap)
{
	if (body_len > MSG_PING_BODY_MAX)
		return -OCM_E_TOO_LARGE;
	if (cap < 1 + body_len)
		return -OCM_E_NOSPC;
	out[0] = MSG_C_PING;
	if (body != NULL)
		memcpy(out + 1, body, body_len);
	else
		memset(out + 1, 0, body_len);
	return (long)(1 + body_len);
}

long
msg_encode_pong(const uint8_t *challenge, uint8_t *out, size_t cap)
{
	size_t len = challenge != NULL ? MSG_CHALLENGE_LEN : 0;

	if (cap < 1 + len)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_PONG;
	if (len > 0)
		memcpy(out + 1, challenge, len);
	return (long)(1 + len);
}

long
msg_encode_c_chat(const uint8_t *text, size_t text_len, uint8_t *out, size_t cap)
{
	if (text_len == 0)
		return -OCM_E_BAD_TEXT;
	if (cap < 1 || cap - 1 < text_len)
		return -OCM_E_NOSPC;
	out[0] = MSG_C_CHAT;
	memcpy(out + 1, text, text_len);
	return (long)(1 + text_len);
}

long
msg_encode_s_chat(const uint8_t *name, size_t name_len, const uint8_t *text,
    size_t text_len, uint8_t *out, size_t cap)
{
	if (name_len == 0 || name_len > OCM_NAME_MAX)
		return -OCM_E_BAD_NAME;
	if (text_len == 0)
		return -OCM_E_BAD_TEXT;
	if (cap < 2 + name_len || cap - 2 - name_len < text_len)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_CHAT;
	out[1] = (uint8_t)name_len;
	memcpy(out + 2, name, name_len);
	memcpy(out + 2 + name_len, text, text_len);
	return (long)(2 + name_len + text_len);
}

long
msg_encode_notice(uint8_t code, const uint8_t *name, size_t name_len,
    const uint8_t *text, size_t text_len, uint8_t *out, size_t cap)
{
	if (name_len > OCM_NAME_MAX)
		return -OCM_E_BAD_NAME;
	if (cap < 3 + name_len || cap - 3 - name_len < text_len)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_NOTICE;
	out[1] = code;
	out[2] = (uint8_t)name_len;
	if (name_len > 0)
		memcpy(out + 3, name, name_len);
	if (text_len > 0)
		memcpy(out + 3 + name_len, text, text_len);
	return (long)(3 + name_len + text_len);
}

long
msg_encode_closed(uint8_t reason, const uint8_t *text, size_t text_len,
    uint8_t *out, size_t cap)
{
	if (cap < 2 || cap - 2 < text_len)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_CLOSED;
	out[1] = reason;
	if (text_len > 0)
		memcpy(out + 2, text, text_len);
	return (long)(2 + text_len);
}

long
msg_members_begin(uint8_t flags, uint8_t *out, size_t cap)
{
	if (cap < 2)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_MEMBERS;
	out[1] = flags;
	return 2;
}

long
msg_members_add(uint8_t *out, size_t used, size_t cap, uint8_t entry_flags,
    const uint8_t *name, size_t name_len)
{
	if (name_len == 0 || name_len > OCM_NAME_MAX)
		return -OCM_E_BAD_NAME;
	if (used > cap || cap - used < 2 + name_len)
		return -OCM_E_NOSPC;
	out[used] = entry_flags;
	out[used + 1] = (uint8_t)name_len;
	memcpy(out + used + 2, name, name_len);
	return (long)(used + 2 + name_len);
}

long
msg_batch_begin(uint8_t *out, size_t cap)
{
	if (cap < 1)
		return -OCM_E_NOSPC;
	out[0] = MSG_S_BATCH;
	return 1;
}
