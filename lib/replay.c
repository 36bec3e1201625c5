/*
 * replay.c: the anti-replay window of doc/protocol.md 8 (RFC 6479).  Each
 * receiver keeps one per key; the relay checks a datagram's counter after
 * parsing its header and before spending an AEAD open on it, and records
 * the counter once the tag has verified.
 *
 * The bitmap is a ring of REPLAY_BLOCKS words addressed by counter / 64,
 * one word more than the window needs, so sliding forward only zeroes the
 * words the top passes into and never shifts bits around.
 */
#include "lib/replay.h"

#include <string.h>

#define REPLAY_WORD(c)	((size_t)(((c) >> 6) % REPLAY_BLOCKS))
#define REPLAY_BIT(c)	((uint64_t)1 << ((c) & 63))

void
replay_init(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

bool
replay_check(const struct replay_window *w, uint64_t c)
{
	if (!w->any || c > w->top)
		return true;
	/* Written as a difference, so counters near 2^64 cannot overflow. */
	if (w->top - c >= REPLAY_WINDOW)
		return false;
	return (w->bits[REPLAY_WORD(c)] & REPLAY_BIT(c)) == 0;
}

/* Moves the top to c > top, zeroing the words between the old top's word
 * (exclusive) and c's (inclusive): they hold counters now out of the
 * window, or none at all. */
static void
replay_advance(struct replay_window *w, uint64_t c)
{
	uint64_t from = w->top >> 6, to = c >> 6;

	if (!w->any || to - from >= REPLAY_BLOCKS) {
		memset(w->bits, 0, sizeof(w->bits));
	} else {
		for (uint64_t i = from + 1; i <= to; i++)
			w->bits[i % REPLAY_BLOCKS] = 0;
	}
	w->top = c;
	w->any = true;
}

void
replay_update(struct replay_window *w, uint64_t c)
{
	if (!w->any || c > w->top)
		replay_advance(w, c);
	else if (w->top - c >= REPLAY_WINDOW)
		return;		/* its bit would alias a newer counter's */
	w->bits[REPLAY_WORD(c)] |= REPLAY_BIT(c);
}
