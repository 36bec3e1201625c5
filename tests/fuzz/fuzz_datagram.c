/*
 * fuzz_datagram.c: libFuzzer target for lib/datagram.c, the code that reads
 * every UDP datagram a peer sends.  Each input is tried three ways: as a
 * sealed datagram (header parse, then open with a fixed key, so the seeds
 * sealed under that key reach the plaintext path), as a plaintext (parse,
 * walk, and re-encode, which must give back the same bytes), and as the
 * plaintext of a seal/parse/open round trip, which must return it intact.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/datagram.h"
#include "tests/fuzz/fuzz.h"

/* The seed corpus was sealed under this key, room and token. */
#define FUZZ_KEY_BYTE(i)	((uint8_t)(0x40 + (i)))
static const uint8_t fuzz_room[] = "fuzzroom";
static const uint8_t fuzz_token[OCM_TOKEN_LEN + 1] = "00112233445566778899aabbccddeeff";

static struct aead *seal_ctx, *open_ctx;

static void
fuzz_init(void)
{
	uint8_t key[OCM_KEY_LEN];

	if (seal_ctx != NULL)
		return;
	for (int i = 0; i < OCM_KEY_LEN; i++)
		key[i] = FUZZ_KEY_BYTE(i);
	seal_ctx = aead_new(key, AEAD_SEAL);
	open_ctx = aead_new(key, AEAD_OPEN);
	if (seal_ctx == NULL || open_ctx == NULL)
		abort();
}

/* Rebuilds MEMBERS from its entries; the iterator must use the whole body. */
static long
members_rebuild(const struct msg *m, uint8_t *out, size_t cap)
{
	struct msg_iter it;
	const uint8_t *name;
	size_t len, walked = 0;
	uint8_t flags;
	long n = msg_members_begin(m->code, out, cap);

	msg_iter_init(&it, m);
	while (n >= 0 && msg_members_next(&it, &flags, &name, &len)) {
		if (len == 0)
			abort();
		walked += 2 + len;
		n = msg_members_add(out, (size_t)n, cap, flags, name, len);
	}
	if (n >= 0 && walked != m->body_len)
		abort();
	return n;
}

/* The same for BATCH; each record must parse on its own, and not be one. */
static long
batch_rebuild(const struct msg *m, uint8_t *out, size_t cap)
{
	struct msg_iter it;
	struct msg inner;
	const uint8_t *rec;
	size_t len, walked = 0;
	long n = msg_batch_begin(out, cap);

	msg_iter_init(&it, m);
	while (n >= 0 && msg_batch_next(&it, &rec, &len)) {
		if (msg_parse(rec, len, &inner) != 0 || inner.type == MSG_S_BATCH)
			abort();
		walked += 2 + len;
		n = msg_batch_add(out, (size_t)n, cap, rec, len);
	}
	if (n >= 0 && (walked != m->body_len || walked == 0))
		abort();
	return n;
}

/* Encodes a parsed message again with the library's encoders. */
static long
msg_rebuild(const struct msg *m, uint8_t *out, size_t cap)
{
	switch (m->type) {
	case MSG_C_CHAT:
		return msg_encode_c_chat(m->text, m->text_len, out, cap);
	case MSG_S_CHAT:
		return msg_encode_s_chat(m->name, m->name_len, m->text, m->text_len, out, cap);
	case MSG_S_NOTICE:
		return msg_encode_notice(m->code, m->name, m->name_len, m->text,
		    m->text_len, out, cap);
	case MSG_S_CLOSED:
		return msg_encode_closed(m->code, m->text, m->text_len, out, cap);
	case MSG_S_MEMBERS:
		return members_rebuild(m, out, cap);
	case MSG_S_BATCH:
		return batch_rebuild(m, out, cap);
	case MSG_C_PING:
		return msg_encode_ping(m->body, m->body_len, out, cap);
	case MSG_S_PONG:
		return msg_encode_pong(m->body, out, cap);
	default:
		return msg_encode_empty(m->type, out, cap);
	}
}

/* A plaintext that parses must encode back to exactly the same bytes. */
static void
fuzz_plaintext(const uint8_t *pt, size_t len)
{
	static uint8_t out[65536 + 16];
	struct msg m;

	if (msg_parse(pt, len, &m) != 0 || len > sizeof(out))
		return;
	if (msg_type_name(m.type) == NULL)
		abort();
	long n = msg_rebuild(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != len || memcmp(out, pt, len) != 0)
		abort();
}

static void
fuzz_sealed(const uint8_t *data, size_t size)
{
	static uint8_t buf[OCM_MAX_DATAGRAM];
	struct dgram_header h;
	uint8_t *pt;
	size_t pt_len;

	if (dgram_parse_header(data, size, &h) != 0)
		return;
	if (h.aad_len + 1 + OCM_TAG_LEN > size || size > sizeof(buf))
		abort();
	memcpy(buf, data, size);
	h.room = buf + (h.room - data);
	h.token = buf + (h.token - data);
	if (dgram_open(open_ctx, &h, buf, size, &pt, &pt_len) != 0)
		return;
	fuzz_plaintext(pt, pt_len);
}

/* Seal the input as a plaintext, then parse and open it again. */
static void
fuzz_round_trip(const uint8_t *data, size_t size)
{
	static uint8_t dg[OCM_MAX_DATAGRAM + 64];
	const size_t room_len = sizeof(fuzz_room) - 1;
	const size_t fit = OCM_MAX_DATAGRAM - DGRAM_OVERHEAD(room_len);
	uint64_t counter = (uint64_t)size * UINT64_C(0x9e3779b97f4a7c15);
	struct dgram_header h;
	uint8_t *pt;
	size_t pt_len;

	long n = dgram_seal(seal_ctx, fuzz_room, room_len, fuzz_token, counter, data,
	    size, dg, sizeof(dg));
	if (size == 0 || size > fit) {
		if (n != (size == 0 ? -OCM_E_MALFORMED : -OCM_E_NOSPC))
			abort();
		return;
	}
	if (n < 0 || (size_t)n != DGRAM_OVERHEAD(room_len) + size)
		abort();
	if (dgram_parse_header(dg, (size_t)n, &h) != 0 || h.counter != counter ||
	    h.room_len != room_len || memcmp(h.token, fuzz_token, OCM_TOKEN_LEN) != 0)
		abort();
	if (dgram_open(open_ctx, &h, dg, (size_t)n, &pt, &pt_len) != 0 ||
	    pt_len != size || memcmp(pt, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	fuzz_sealed(data, size);
	fuzz_plaintext(data, size);
	fuzz_round_trip(data, size);
	return 0;
}
