/*
 * check_ev.c: the daemon's event loop: fd readiness, the timer wheel
 * (order, cancellation, re-arming from a callback, many timers, timers
 * longer than one revolution, no wake-ups while the next timer is far
 * away), ev_io_stop() during dispatch, signals.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/base/ev.h"
#include "tests/unit/util.h"

struct probe {
	struct ev_timer t;
	struct ev_io io;
	int fired;
	uint64_t at;
	int order;
};

static int fire_seq;

static void
probe_fire(struct ev_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);
	p->fired++;
	p->order = ++fire_seq;
}

/* Runs the loop until cond() or limit_ms passes; returns cond(). */
static int
run_until(struct ev_loop *loop, int (*cond)(void *), void *arg, int limit_ms)
{
	uint64_t end = ev_now_update(loop) + (uint64_t)limit_ms;
	while (!cond(arg) && ev_now_update(loop) < end)
		ev_run_once(loop, 10);
	return cond(arg);
}

static int
probe_fired(void *arg)
{
	return ((struct probe *)arg)->fired > 0;
}

START_TEST(timer_fires_after_delay)
{
	struct ev_loop *loop = ev_loop_new();
	struct probe p = { 0 };
	ck_assert_ptr_nonnull(loop);
	ev_timer_init(&p.t, probe_fire);
	uint64_t start = ev_now_update(loop);
	ev_timer_start(loop, &p.t, 120);
	ck_assert(ev_timer_active(&p.t));
	ck_assert(run_until(loop, probe_fired, &p, 2000));
	uint64_t took = ev_now_update(loop) - start;
	ck_assert_uint_ge(took, 100);	/* never early by more than a tick */
	ck_assert_int_eq(p.fired, 1);
	ck_assert(!ev_timer_active(&p.t));
	ev_loop_free(loop);
}
END_TEST

START_TEST(timers_fire_in_order_and_stop_cancels)
{
	struct ev_loop *loop = ev_loop_new();
	struct probe p[3] = { 0 };
	fire_seq = 0;
	for (int i = 0; i < 3; i++)
		ev_timer_init(&p[i].t, probe_fire);
	ev_timer_start(loop, &p[0].t, 300);
	ev_timer_start(loop, &p[1].t, 100);
	ev_timer_start(loop, &p[2].t, 200);
	ev_timer_stop(loop, &p[2].t);
	ev_timer_stop(loop, &p[2].t);	/* twice is harmless */
	ck_assert(run_until(loop, probe_fired, &p[0], 2000));
	ck_assert_int_eq(p[1].order, 1);
	ck_assert_int_eq(p[0].order, 2);
	ck_assert_int_eq(p[2].fired, 0);
	ev_loop_free(loop);
}
END_TEST

static struct ev_loop *rearm_loop;

static void
rearm_fire(struct ev_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);
	if (++p->fired < 3)
		ev_timer_start(rearm_loop, t, 60);
}

static int
fired_three(void *arg)
{
	return ((struct probe *)arg)->fired >= 3;
}

START_TEST(timer_rearms_from_its_callback)
{
	struct probe p = { 0 };
	rearm_loop = ev_loop_new();
	ev_timer_init(&p.t, rearm_fire);
	ev_timer_start(rearm_loop, &p.t, 60);
	ck_assert(run_until(rearm_loop, fired_three, &p, 3000));
	ck_assert_int_eq(p.fired, 3);
	ck_assert(!ev_timer_active(&p.t));
	ev_loop_free(rearm_loop);
}
END_TEST

#define MANY 20000

static int many_fired;

static void
many_fire(struct ev_timer *t)
{
	(void)t;
	many_fired++;
}

static int
all_many(void *arg)
{
	(void)arg;
	return many_fired == MANY / 2;
}

START_TEST(many_timers_half_cancelled)
{
	struct ev_loop *loop = ev_loop_new();
	struct ev_timer *t = calloc(MANY, sizeof(*t));
	many_fired = 0;
	for (int i = 0; i < MANY; i++) {
		ev_timer_init(&t[i], many_fire);
		ev_timer_start(loop, &t[i], (uint64_t)(i % 7) * 50 + 50);
	}
	for (int i = 0; i < MANY; i += 2)
		ev_timer_stop(loop, &t[i]);
	ck_assert(run_until(loop, all_many, NULL, 3000));
	for (int i = 0; i < MANY; i++)
		ck_assert(!ev_timer_active(&t[i]));
	free(t);
	ev_loop_free(loop);
}
END_TEST

/* A timer longer than one revolution of the wheel must not fire early
 * when its slot comes round. */
START_TEST(timer_beyond_one_revolution)
{
	struct ev_loop *loop = ev_loop_new();
	struct probe far = { 0 }, near = { 0 };
	ev_timer_init(&far.t, probe_fire);
	ev_timer_init(&near.t, probe_fire);
	ev_timer_start(loop, &far.t, (uint64_t)EV_WHEEL_SLOTS * EV_TICK_MS + 100);
	ev_timer_start(loop, &near.t, 100);
	ck_assert(run_until(loop, probe_fired, &near, 2000));
	ck_assert_int_eq(far.fired, 0);
	ck_assert(ev_timer_active(&far.t));
	ev_timer_stop(loop, &far.t);
	ev_loop_free(loop);
}
END_TEST

/* Passes of ev_run_once(loop, 100) over about ms milliseconds that
 * dispatched anything. */
static int
wakeups_over(struct ev_loop *loop, int ms)
{
	uint64_t end = ev_now_update(loop) + (uint64_t)ms;
	int woke = 0;

	while (ev_now_update(loop) < end)
		woke += ev_run_once(loop, 100) > 0;
	return woke;
}

/* A loop whose only timers are far away sleeps: no timer tick wakes it
 * (the wheel used to tick every EV_TICK_MS while any timer was armed). */
START_TEST(far_timer_does_not_wake)
{
	struct ev_loop *loop = ev_loop_new();
	struct probe far = { 0 }, beyond = { 0 };
	ev_timer_init(&far.t, probe_fire);
	ev_timer_init(&beyond.t, probe_fire);
	ev_timer_start(loop, &far.t, 10000);
	ev_timer_start(loop, &beyond.t, (uint64_t)EV_WHEEL_SLOTS * EV_TICK_MS * 3);
	ck_assert_int_eq(wakeups_over(loop, 600), 0);
	ck_assert_int_eq(far.fired + beyond.fired, 0);
	ck_assert(ev_timer_active(&far.t));
	/* Stopping the earliest leaves at most one wake-up, then sleep. */
	ev_timer_stop(loop, &far.t);
	ck_assert_int_le(wakeups_over(loop, 300), 1);
	ck_assert_int_eq(beyond.fired, 0);
	ev_timer_stop(loop, &beyond.t);
	ck_assert_int_eq(wakeups_over(loop, 200), 0);
	ev_loop_free(loop);
}
END_TEST

/* A near timer started after a far one fires on time: the timerfd is
 * brought forward. */
START_TEST(near_timer_after_far_fires_on_time)
{
	struct ev_loop *loop = ev_loop_new();
	struct probe far = { 0 }, near = { 0 };
	ev_timer_init(&far.t, probe_fire);
	ev_timer_init(&near.t, probe_fire);
	ev_timer_start(loop, &far.t, 20000);
	ck_assert_int_eq(wakeups_over(loop, 150), 0);
	uint64_t start = ev_now_update(loop);
	ev_timer_start(loop, &near.t, 200);
	ck_assert(run_until(loop, probe_fired, &near, 2000));
	uint64_t took = ev_now_update(loop) - start;
	ck_assert_uint_ge(took, 150);
	ck_assert_uint_le(took, 400);
	ck_assert_int_eq(far.fired, 0);
	ev_timer_stop(loop, &far.t);
	ev_loop_free(loop);
}
END_TEST

static struct ev_timer *chain_next;
static struct ev_loop *chain_loop;

/* Starts the next timer from inside a callback, while the wheel runs. */
static void
chain_fire(struct ev_timer *t)
{
	probe_fire(t);
	if (chain_next != NULL) {
		ev_timer_start(chain_loop, chain_next, 300);
		chain_next = NULL;
	}
}

START_TEST(timer_started_in_callback_fires_on_time)
{
	struct probe a = { 0 }, b = { 0 };
	chain_loop = ev_loop_new();
	ev_timer_init(&a.t, chain_fire);
	ev_timer_init(&b.t, probe_fire);
	chain_next = &b.t;
	uint64_t start = ev_now_update(chain_loop);
	ev_timer_start(chain_loop, &a.t, 100);
	ck_assert(run_until(chain_loop, probe_fired, &b, 3000));
	uint64_t took = ev_now_update(chain_loop) - start;
	ck_assert_uint_ge(took, 350);
	ck_assert_uint_le(took, 700);
	ck_assert_int_eq(wakeups_over(chain_loop, 200), 0);
	ev_loop_free(chain_loop);
}
END_TEST

static int io_calls;
static struct ev_loop *io_loop;
static struct probe *io_victim;

/* The first callback to run stops the other source, whose event is in the
 * same batch: it must not be dispatched. */
static void
io_cb(struct ev_io *io, uint32_t revents)
{
	struct probe *p = container_of(io, struct probe, io);
	ck_assert(revents & EPOLLIN);
	p->fired++;
	io_calls++;
	ev_io_stop(io_loop, &io_victim[p == &io_victim[0] ? 1 : 0].io);
}

START_TEST(io_stop_drops_pending_event)
{
	int a[2], b[2];
	struct probe p[2] = { 0 };
	io_loop = ev_loop_new();
	io_victim = p;
	io_calls = 0;
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	ck_assert_int_eq(ev_io_start(io_loop, &p[0].io, a[0], EPOLLIN, io_cb), 0);
	ck_assert_int_eq(ev_io_start(io_loop, &p[1].io, b[0], EPOLLIN, io_cb), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(ev_run_once(io_loop, 1000), 2);
	ck_assert_int_eq(io_calls, 1);
	ck_assert_int_eq(ev_io_start(io_loop, &p[0].io, a[0], EPOLLIN, io_cb), -EEXIST);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	ev_loop_free(io_loop);
}
END_TEST

static int got_signal;

static void
signal_cb(struct ev_loop *loop, int signo)
{
	got_signal = signo;
	ev_break(loop);
}

START_TEST(signal_delivered_in_loop)
{
	struct ev_loop *loop = ev_loop_new();
	int sigs[] = { SIGUSR1 };
	got_signal = 0;
	ck_assert_int_eq(ev_signal_start(loop, sigs, 1, signal_cb), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(ev_run(loop), 0);
	ck_assert_int_eq(got_signal, SIGUSR1);
	ev_loop_free(loop);
}
END_TEST

/* A callback that keeps the loop busy: 2 ms of work per readiness of an
 * eventfd that is always readable. */
static void
spin_cb(struct ev_io *io, uint32_t revents)
{
	struct timespec a, b;
	(void)io;
	(void)revents;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 2000000L);
}

START_TEST(load_tells_busy_from_idle)
{
	struct ev_loop *loop = ev_loop_new();
	struct ev_io io;
	int fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);

	ck_assert_double_eq(ev_load(loop), 0.0);
	/* Idle: passes that only sleep. */
	for (int i = 0; i < 5; i++)
		ev_run_once(loop, 15);
	ck_assert_double_lt(ev_load(loop), 0.1);
	/* Busy: every pass works 2 ms and sleeps not at all. */
	ck_assert_int_eq(ev_io_start(loop, &io, fd, EPOLLIN, spin_cb), 0);
	for (int i = 0; i < 40; i++)
		ev_run_once(loop, 15);
	ck_assert_double_gt(ev_load(loop), 0.8);
	/* A sleep of a whole window makes it idle again at once. */
	ev_io_stop(loop, &io);
	ev_run_once(loop, 15);
	ck_assert_double_eq(ev_load(loop), 0.0);
	close(fd);
	ev_loop_free(loop);
}
END_TEST

static Suite *
ev_suite(void)
{
	Suite *s = suite_create("ev");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, timer_fires_after_delay);
	tcase_add_test(tc, timers_fire_in_order_and_stop_cancels);
	tcase_add_test(tc, timer_rearms_from_its_callback);
	tcase_add_test(tc, many_timers_half_cancelled);
	tcase_add_test(tc, timer_beyond_one_revolution);
	tcase_add_test(tc, far_timer_does_not_wake);
	tcase_add_test(tc, near_timer_after_far_fires_on_time);
	tcase_add_test(tc, timer_started_in_callback_fires_on_time);
	tcase_add_test(tc, io_stop_drops_pending_event);
	tcase_add_test(tc, signal_delivered_in_loop);
	tcase_add_test(tc, load_tells_busy_from_idle);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ev_suite)
