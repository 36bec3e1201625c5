/*
 * fuzz_tcrp.c: drives the TCRP stream reader as ocmd's TLS read handler
 * does, with the input split into chunks whose sizes the input itself
 * chooses, so that every partial-read path is reached.  Each message the
 * reader completes must re-encode to exactly the bytes it consumed.
 *
 * Input: byte 0 = bits 0-2: number of chunk-size bytes minus one, bit 3: a
 * 64-byte payload limit instead of 65536; then the chunk-size bytes (0: all
 * that is left, 1-127: that many, 128-255: ((b & 127) + 1) * 512); then the
 * stream.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ocm.h"
#include "lib/tcrp.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_SMALL_LIMIT	64

static uint8_t fuzz_out[TCRP_HEADER_LEN + 255 + TCRP_MAX_PAYLOAD];

static size_t
fuzz_chunk(uint8_t b, size_t left)
{
	size_t n = b == 0 ? left : b < 128 ? b : ((size_t)(b & 127) + 1) * 512;

	/* Never 0: a chunk must make progress or the loop would never end. */
	return n < left ? n : left;
}

/* A finished message: compare its re-encoding with what was consumed. */
static void
fuzz_check_done(struct tcrp_reader *r, const uint8_t *msg, size_t len)
{
	const uint8_t *room = tcrp_reader_room(r), *payload = tcrp_reader_payload(r);
	long n;

	if (room == NULL || payload == NULL || r->body_len + TCRP_HEADER_LEN != len)
		abort();
	n = tcrp_encode(r->h.operation, r->h.state, room, r->h.room_len, payload,
	    (size_t)r->h.payload_len, fuzz_out, sizeof(fuzz_out));
	if (n < 0 || (size_t)n != len || memcmp(fuzz_out, msg, len) != 0)
		abort();
	/* Nothing is taken after the end of a message. */
	if (tcrp_reader_feed(r, msg, len) != 0 || r->status != TCRP_READER_DONE)
		abort();
}

/*
 * A refusal: only of a size (any Operation and State are read), decided
 * by the header, and made once the room name before the payload is in,
 * which is all that was allocated: it is kept for the error reply.
 */
static void
fuzz_check_error(const struct tcrp_reader *r, long err, const uint8_t *msg, size_t max)
{
	const uint8_t *room = tcrp_reader_room(r);
	struct tcrp_header h;

	if (r->status != TCRP_READER_ERROR || r->error != err || err != -OCM_E_TOO_LARGE)
		abort();
	if (tcrp_header_decode(msg, max, &h) == 0 || h.operation != r->h.operation)
		abort();
	if (room == NULL || tcrp_reader_payload(r) != NULL || r->body_len != h.room_len ||
	    memcmp(room, msg + TCRP_HEADER_LEN, h.room_len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcrp_reader r;
	size_t n_sizes, max, len, pos = 0, start = 0, k = 0;
	const uint8_t *sizes, *stream;

	if (size < 1 || size < 2 + (size_t)(data[0] & 7))
		return 0;
	n_sizes = (size_t)(data[0] & 7) + 1;
	max = data[0] & 8 ? FUZZ_SMALL_LIMIT : TCRP_MAX_PAYLOAD;
	sizes = data + 1;
	stream = data + 1 + n_sizes;
	len = size - 1 - n_sizes;
	tcrp_reader_init(&r, max);
	while (pos < len) {
		size_t chunk = fuzz_chunk(sizes[k++ % n_sizes], len - pos);
		long n = tcrp_reader_feed(&r, stream + pos, chunk);
		if (n < 0) {
			fuzz_check_error(&r, n, stream + start, max);
			break;
		}
		if ((size_t)n > chunk || (r.status != TCRP_READER_DONE && (size_t)n != chunk))
			abort();
		pos += (size_t)n;
		if (r.status == TCRP_READER_DONE) {
			fuzz_check_done(&r, stream + start, pos - start);
			tcrp_reader_reset(&r);
			if (r.max_payload != max || r.body != NULL)
				abort();
			start = pos;
		}
	}
	tcrp_reader_reset(&r);
	return 0;
}
