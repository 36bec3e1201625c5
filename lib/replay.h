/*
 * replay.h: the anti-replay sliding window of doc/protocol.md 8, an RFC 6479
 * bitmap that accepts any counter within REPLAY_WINDOW of the highest one
 * accepted, once.  Check before opening; update only after the tag
 * verifies, so forged datagrams cannot move the window.
 */
#ifndef OCM_REPLAY_H
#define OCM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_BLOCKS	33			/* 64-bit words in the ring */
#define REPLAY_WINDOW	((REPLAY_BLOCKS - 1) * 64)	/* 2048 counters */

struct replay_window {
	uint64_t top;		/* highest counter accepted */
	uint64_t bits[REPLAY_BLOCKS];
	bool any;		/* has any counter been accepted? */
};

void replay_init(struct replay_window *w);
/* Would counter c be accepted (new and not older than the window)? */
bool replay_check(const struct replay_window *w, uint64_t c);
/* Records c as seen; call only for a c that replay_check() accepted and
 * whose datagram authenticated. */
void replay_update(struct replay_window *w, uint64_t c);

#endif
