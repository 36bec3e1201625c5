/*
 * mailbox.h: how ocmd's threads talk.  Each event loop that other threads
 * need to reach owns a mailbox: a queue of messages under a mutex that is
 * held only to link or unlink (never across I/O or a callback), and an
 * eventfd that wakes the owner's loop.  The owner runs each message's
 * callback on its own thread, in posting order, so that whatever the
 * callback touches needs no lock: it belongs to the owner.
 *
 * This is the only shared structure between workers; the datagram path
 * never posts (hand-offs happen on joins, control commands, reloads and
 * room closes).
 */
#ifndef OCM_MAILBOX_H
#define OCM_MAILBOX_H

#include <pthread.h>

#include "daemon/base/ev.h"

struct mail {
	struct mail *next;
	/* Runs on the owner's thread and owns m from then on (frees it). */
	void (*run)(struct mail *m, void *owner);
};

struct mailbox {
	pthread_mutex_t lock;
	struct mail *head, **tail;
	struct ev_io io;
	struct ev_loop *loop;
	void *owner;
	int efd;
};

/* Registers the eventfd with loop.  Returns 0 or a negative errno. */
int mailbox_init(struct mailbox *mb, struct ev_loop *loop, void *owner);
/* Runs what is still queued, then closes the eventfd.  NULL-safe once
 * initialised or zeroed. */
void mailbox_fini(struct mailbox *mb);
/* Queues m for the owner; callable from any thread. */
void mailbox_post(struct mailbox *mb, struct mail *m);
/* Runs every queued message now, on the calling (owner's) thread. */
void mailbox_drain(struct mailbox *mb);

/*
 * A count-down latch: the thread that posts synchronous calls waits on it
 * until every callee has said it is done.
 */
struct latch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;
};

void latch_init(struct latch *l, unsigned count);
void latch_done(struct latch *l);
void latch_wait(struct latch *l);	/* then destroys it */

#endif
