/*
 * ev.c: the epoll event loop under every socket of ocmd (see ev.h).
 *
 * Timers live on a hashed wheel of EV_WHEEL_SLOTS lists; a timer due in
 * more than one revolution stays in its slot and is skipped until its tick
 * comes round.  The wheel does not tick by itself: the timerfd is armed,
 * one-shot, for the earliest pending tick (or not at all), so a daemon
 * whose next timer is seconds away sleeps for seconds.
 */
#include "daemon/base/ev.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH	64
#define EV_SCAN_MAX	4096	/* timers looked at to find the next tick */
#define EV_LOAD_WINDOW_NS	(10 * 1000000ULL)	/* load is measured over 10 ms */

struct ev_loop {
	int epfd;
	bool stop;
	uint64_t now_ms;
	uint64_t tick;			/* last tick whose timers ran */
	uint64_t armed;			/* the tick the timerfd fires at; 0: none */
	bool in_timers;			/* timer_io_cb is running the wheel */
	size_t n_timers;
	struct ev_timer wheel[EV_WHEEL_SLOTS];	/* list heads */
	struct ev_io timer_io;
	struct ev_io signal_io;
	void (*signal_cb)(struct ev_loop *, int);
	void (*before_sleep)(void *);
	void *before_sleep_arg;
	void *data;
	/* Load: the share of time spent outside epoll_wait, per window of
	 * EV_LOAD_WINDOW_NS, smoothed over the last few windows. */
	uint64_t woke_ns;		/* when epoll_wait last returned */
	uint64_t window_ns, busy_ns;	/* the window's start, its busy time */
	double load;
	/* The batch being dispatched, so ev_io_stop() can drop its events. */
	struct epoll_event events[EV_BATCH];
	int n_events;
	int cursor;
};

uint64_t
ev_clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
clock_ns(void)
{
	return ev_clock_ns(CLOCK_MONOTONIC);
}

static uint64_t
clock_ms(void)
{
	return clock_ns() / 1000000;
}

uint64_t
ev_now(const struct ev_loop *loop)
{
	return loop->now_ms;
}

uint64_t
ev_now_update(struct ev_loop *loop)
{
	loop->now_ms = clock_ms();
	return loop->now_ms;
}

static void timer_io_cb(struct ev_io *io, uint32_t revents);

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->epfd < 0 || tfd < 0 ||
	    ev_io_start(loop, &loop->timer_io, tfd, EPOLLIN, timer_io_cb) < 0) {
		int saved = errno;
		if (tfd >= 0)
			close(tfd);
		if (loop->epfd >= 0)
			close(loop->epfd);
		free(loop);
		errno = saved;
		return NULL;
	}
	loop->signal_io.fd = -1;
	for (size_t i = 0; i < EV_WHEEL_SLOTS; i++)
		loop->wheel[i].next = loop->wheel[i].prev = &loop->wheel[i];
	loop->now_ms = clock_ms();
	loop->tick = loop->now_ms / EV_TICK_MS;
	return loop;
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->timer_io.fd);
	if (loop->signal_io.fd >= 0)
		close(loop->signal_io.fd);
	close(loop->epfd);
	free(loop);
}

void
ev_set_before_sleep(struct ev_loop *loop, void (*cb)(void *), void *arg)
{
	loop->before_sleep = cb;
	loop->before_sleep_arg = arg;
}

void
ev_set_data(struct ev_loop *loop, void *data)
{
	loop->data = data;
}

void *
ev_data(const struct ev_loop *loop)
{
	return loop->data;
}

int
ev_io_start(struct ev_loop *loop, struct ev_io *io, int fd, uint32_t events,
    void (*cb)(struct ev_io *, uint32_t))
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->active = true;
	return 0;
}

int
ev_io_set(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (!io->active || io->events == events)
		return 0;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void
ev_io_stop(struct ev_loop *loop, struct ev_io *io)
{
	if (!io->active)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->active = false;
	for (int i = loop->cursor; i < loop->n_events; i++)
		if (loop->events[i].data.ptr == io)
			loop->events[i].data.ptr = NULL;
}

/* Timers. */

/*
 * One shot at the start of tick (absolute, on the clock ev_now reads), or
 * none for tick 0.  A tick already past fires at once.
 */
static void
timerfd_arm(struct ev_loop *loop, uint64_t tick)
{
	struct itimerspec its;
	uint64_t ms = tick * EV_TICK_MS;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (timerfd_settime(loop->timer_io.fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		loop->armed = tick;
}

static void
timer_link(struct ev_timer *head, struct ev_timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

static void
timer_unlink(struct ev_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

void
ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *))
{
	t->next = t->prev = NULL;
	t->expire = 0;
	t->cb = cb;
}

bool
ev_timer_active(const struct ev_timer *t)
{
	return t->next != NULL;
}

void
ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t ms)
{
	uint64_t ticks = (ms + EV_TICK_MS - 1) / EV_TICK_MS;
	uint64_t base = loop->now_ms / EV_TICK_MS;

	ev_timer_stop(loop, t);
	if (loop->n_timers++ == 0)
		loop->tick = base;	/* nothing was pending: skip the idle ticks */
	if (base < loop->tick)
		base = loop->tick;
	t->expire = base + (ticks ? ticks : 1);
	timer_link(&loop->wheel[t->expire % EV_WHEEL_SLOTS], t);
	/* While the wheel runs, timer_io_cb arms once when it is done. */
	if (!loop->in_timers && (loop->armed == 0 || t->expire < loop->armed))
		timerfd_arm(loop, t->expire);
}

void
ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
	if (t->next == NULL)
		return;
	timer_unlink(t);
	/* Stopping the earliest timer leaves the timerfd armed: the wake-up
	 * finds nothing due and arms for the next. */
	if (--loop->n_timers == 0 && !loop->in_timers)
		timerfd_arm(loop, 0);
}

/*
 * The earliest tick after loop->tick with a timer due, looking at slots in
 * tick order.  A timer of a later revolution does not count in its slot,
 * so past one revolution the earliest expiry seen wins.  The search stops
 * after EV_SCAN_MAX timers at the tick it reached: nothing is due before
 * it, and waking there early only means searching again.
 */
static uint64_t
wheel_next(const struct ev_loop *loop)
{
	uint64_t least = UINT64_MAX;
	size_t seen = 0;

	for (uint64_t k = loop->tick + 1; k <= loop->tick + EV_WHEEL_SLOTS; k++) {
		const struct ev_timer *head = &loop->wheel[k % EV_WHEEL_SLOTS];

		for (const struct ev_timer *t = head->next; t != head; t = t->next) {
			if (t->expire <= k)
				return k;
			if (t->expire < least)
				least = t->expire;
			if (++seen >= EV_SCAN_MAX)
				return k;
		}
	}
	return least == UINT64_MAX ? 0 : least;
}

/*
 * Fires the timers of one slot that are due by tick upto.  The slot's list
 * is moved to a local head first: callbacks may start or stop any timer,
 * including others of this slot, and unlinking from the local list is as
 * safe as from the wheel.
 */
static void
wheel_run_slot(struct ev_loop *loop, struct ev_timer *slot, uint64_t upto)
{
	struct ev_timer pending;

	if (slot->next == slot)
		return;
	pending.next = slot->next;
	pending.prev = slot->prev;
	pending.next->prev = &pending;
	pending.prev->next = &pending;
	slot->next = slot->prev = slot;
	while (pending.next != &pending) {
		struct ev_timer *t = pending.next;
		timer_unlink(t);
		if (t->expire > upto) {
			timer_link(slot, t);
			continue;
		}
		loop->n_timers--;
		t->cb(t);
	}
}

static void
timer_io_cb(struct ev_io *io, uint32_t revents)
{
	struct ev_loop *loop = container_of(io, struct ev_loop, timer_io);
	uint64_t expirations;
	(void)revents;

	while (read(io->fd, &expirations, sizeof(expirations)) > 0)
		;
	loop->armed = 0;	/* a one-shot that fired */
	uint64_t target = ev_now_update(loop) / EV_TICK_MS;
	uint64_t from = loop->tick + 1;
	if (target >= from + EV_WHEEL_SLOTS)
		from = target + 1 - EV_WHEEL_SLOTS;	/* every slot once */
	loop->in_timers = true;
	for (uint64_t k = from; k <= target; k++)
		wheel_run_slot(loop, &loop->wheel[k % EV_WHEEL_SLOTS], target);
	loop->in_timers = false;
	if (target > loop->tick)
		loop->tick = target;
	timerfd_arm(loop, loop->n_timers > 0 ? wheel_next(loop) : 0);
}

/* Signals. */

static void
signal_io_cb(struct ev_io *io, uint32_t revents)
{
	struct ev_loop *loop = container_of(io, struct ev_loop, signal_io);
	struct signalfd_siginfo si;
	(void)revents;

	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop->signal_cb(loop, (int)si.ssi_signo);
}

int
ev_signal_start(struct ev_loop *loop, const int *signals, size_t n,
    void (*cb)(struct ev_loop *, int))
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(loop->signal_io.fd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	loop->signal_cb = cb;
	if (loop->signal_io.fd == fd)
		return 0;
	int r = ev_io_start(loop, &loop->signal_io, fd, EPOLLIN, signal_io_cb);
	if (r < 0) {
		close(fd);
		loop->signal_io.fd = -1;
	}
	return r;
}

/* Dispatch. */

/* The pass that ended at sleep_ns was busy since the previous wake-up. */
static void
load_account(struct ev_loop *loop, uint64_t sleep_ns, uint64_t woke_ns)
{
	if (loop->woke_ns != 0)
		loop->busy_ns += sleep_ns - loop->woke_ns;
	if (loop->woke_ns == 0 || woke_ns - sleep_ns >= EV_LOAD_WINDOW_NS) {
		/* Asleep for a whole window (or never awake before): idle. */
		loop->load = 0.0;
		loop->window_ns = woke_ns;
		loop->busy_ns = 0;
	}
	loop->woke_ns = woke_ns;
	loop->now_ms = woke_ns / 1000000;
	if (woke_ns - loop->window_ns < EV_LOAD_WINDOW_NS)
		return;
	double u = (double)loop->busy_ns / (double)(woke_ns - loop->window_ns);
	loop->load = 0.5 * loop->load + 0.5 * (u > 1.0 ? 1.0 : u);
	loop->window_ns = woke_ns;
	loop->busy_ns = 0;
}

double
ev_load(const struct ev_loop *loop)
{
	return loop->load;
}

int
ev_run_once(struct ev_loop *loop, int timeout_ms)
{
	if (loop->before_sleep != NULL)
		loop->before_sleep(loop->before_sleep_arg);
	uint64_t sleep_ns = clock_ns();
	int n = epoll_wait(loop->epfd, loop->events, EV_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	load_account(loop, sleep_ns, clock_ns());
	loop->n_events = n;
	for (loop->cursor = 0; loop->cursor < n;) {
		struct epoll_event *ev = &loop->events[loop->cursor++];
		struct ev_io *io = ev->data.ptr;
		if (io != NULL)
			io->cb(io, ev->events);
	}
	loop->n_events = loop->cursor = 0;
	return n;
}

int
ev_run(struct ev_loop *loop)
{
	while (!loop->stop) {
		int r = ev_run_once(loop, -1);
		if (r < 0)
			return r;
	}
	loop->stop = false;
	return 0;
}

void
ev_break(struct ev_loop *loop)
{
	loop->stop = true;
}
