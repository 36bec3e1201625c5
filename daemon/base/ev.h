/*
 * ev.h: the daemon's event loop.  One epoll set per loop with typed
 * sources: fd readiness (ev_io), timers on a hashed timer wheel driven by
 * one timerfd armed for the earliest due tick (ev_timer: O(1) start, stop
 * and expiry, so a hundred thousand member deadlines cost nothing per
 * tick, and no wake-up while nothing is due), signals through a
 * signalfd, and a before-sleep hook where owners flush output and reap
 * objects they marked closing during dispatch.
 *
 * Sources are embedded in their owners; callbacks get the source and find
 * the owner with container_of.
 */
#ifndef OCM_EV_H
#define OCM_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define EV_TICK_MS	50	/* timer resolution */
#define EV_WHEEL_SLOTS	1024	/* one revolution: 51.2 s */

struct ev_loop;

struct ev_io {
	int fd;
	uint32_t events;	/* EPOLLIN/EPOLLOUT as registered */
	bool active;
	void (*cb)(struct ev_io *io, uint32_t revents);
};

struct ev_timer {
	struct ev_timer *next, *prev;	/* slot list while armed */
	uint64_t expire;		/* tick */
	void (*cb)(struct ev_timer *t);
};

struct ev_loop *ev_loop_new(void);
/* Closes the loop's own fds; sources still registered are left alone. */
void ev_loop_free(struct ev_loop *loop);

/* Registers fd for events.  Returns 0 or a negative errno. */
int ev_io_start(struct ev_loop *loop, struct ev_io *io, int fd, uint32_t events,
    void (*cb)(struct ev_io *, uint32_t));
/* Changes the registered events (no system call when unchanged). */
int ev_io_set(struct ev_loop *loop, struct ev_io *io, uint32_t events);
/* Unregisters; pending events of this source in the current dispatch
 * batch are dropped, so the owner may be freed after the loop pass. */
void ev_io_stop(struct ev_loop *loop, struct ev_io *io);

void ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *));
/* (Re)arms t to fire once after ms milliseconds (rounded up to a tick). */
void ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t ms);
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);
bool ev_timer_active(const struct ev_timer *t);

/*
 * Blocks signals (an array of n) and delivers them through a signalfd to
 * cb, in the loop.  Returns 0 or a negative errno.
 */
int ev_signal_start(struct ev_loop *loop, const int *signals, size_t n,
    void (*cb)(struct ev_loop *loop, int signo));

/* Called before every epoll_wait; it may not block. */
void ev_set_before_sleep(struct ev_loop *loop, void (*cb)(void *arg), void *arg);
/* Opaque pointer for the owner of the loop. */
void ev_set_data(struct ev_loop *loop, void *data);
void *ev_data(const struct ev_loop *loop);

/* Nanoseconds of a clock (CLOCK_MONOTONIC, a thread's CPU clock); 0 when
 * it cannot be read. */
uint64_t ev_clock_ns(clockid_t id);

/* Milliseconds of CLOCK_MONOTONIC, as of the current loop pass. */
uint64_t ev_now(const struct ev_loop *loop);
/* Reads the clock again (for long passes). */
uint64_t ev_now_update(struct ev_loop *loop);

/*
 * How busy the loop is: the share of time it spent outside epoll_wait,
 * over the last few 10 ms windows (0: idle, 1: never sleeps).  Measured
 * at wake-ups, so a loop asleep for long reads its old load until it
 * wakes.
 */
double ev_load(const struct ev_loop *loop);

/* Runs until ev_break().  Returns 0, or a negative errno if epoll fails. */
int ev_run(struct ev_loop *loop);
/* Makes ev_run return after the current pass. */
void ev_break(struct ev_loop *loop);
/* One pass: waits at most timeout_ms (-1: no limit), dispatches.  Returns
 * the number of events handled or a negative errno (tests use it). */
int ev_run_once(struct ev_loop *loop, int timeout_ms);

#endif
