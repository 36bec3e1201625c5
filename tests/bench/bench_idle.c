/*
 * bench_idle.c: idle mode, the memory an online member costs ocmd.  It
 * reads VmRSS of --pid, brings --members members online in --rooms rooms
 * (joined in parallel, each PINGed as soon as it has joined), reads VmRSS
 * again, and keeps them alive with PINGs for --duration before they
 * leave.  (RSS after - RSS before) / members is the figure; the RSS at the
 * end of the hold shows whether keepalive traffic grows it.
 */
#include "tests/bench/bench.h"

#include <stdio.h>
#include <stdlib.h>

#define IDLE_SETTLE_NS	(500 * NS_PER_MS)

static const struct field idle_fields[] = {
	{ "members", "online members", 0 },
	{ "rooms", "rooms", 0 },
	{ "sockets", "UDP sockets", 0 },
	{ "setup_s", "seconds to bring all online", 2 },
	{ "joins_per_s", "joins/s while setting up", 1 },
	{ "rss_before_kib", "server RSS before (KiB)", 0 },
	{ "rss_online_kib", "server RSS all online (KiB)", 0 },
	{ "rss_end_kib", "server RSS after hold (KiB)", 0 },
	{ "rss_per_member_b", "RSS per online member (bytes)", 0 },
	{ "closed", "sessions closed by server", 0 },
};

/* Reads for ns, keeping everyone alive. */
static void
idle_hold(struct pool *p, uint64_t ns)
{
	for (uint64_t end = now_ns() + ns; now_ns() < end;) {
		pool_poll(p, 10 * NS_PER_MS);
		pool_keepalive(p, now_ns());
	}
}

static void
idle_results(struct report *rep, const struct pool *p, double setup_s, long rss0, long rss1,
    long rss2)
{
	size_t c = report_col(rep, "ocmd", "ocmd");
	double n = (double)pool_size(p);

	report_set(rep, c, "members", n);
	report_set(rep, c, "rooms", (double)pool_rooms(p));
	report_set(rep, c, "sockets", (double)pool_sockets(p));
	report_set(rep, c, "setup_s", setup_s);
	report_set(rep, c, "joins_per_s", n / setup_s);
	report_set(rep, c, "rss_before_kib", (double)rss0);
	report_set(rep, c, "rss_online_kib", (double)rss1);
	report_set(rep, c, "rss_end_kib", (double)rss2);
	report_set(rep, c, "rss_per_member_b", (double)(rss1 - rss0) * 1024.0 / n);
	report_set(rep, c, "closed", (double)pool_closed(p));
}

int
idle_main(const struct bench_opts *o)
{
	size_t per_room = (o->members + o->rooms - 1) / o->rooms;
	struct report rep;
	int rc = BENCH_EXIT_FAIL;

	long rss0 = proc_rss_kib(o->pid);
	if (rss0 < 0) {
		fprintf(stderr, "ocm-bench: cannot read VmRSS of pid %ld from /proc\n",
		    (long)o->pid);
		return BENCH_EXIT_FAIL;
	}
	struct pool *p = pool_new(o, o->members, per_room, o->concurrency, 'i');
	if (p == NULL)
		return BENCH_EXIT_FAIL;
	uint64_t t0 = now_ns();
	if (pool_setup(p) == 0) {
		double setup_s = (double)(now_ns() - t0) / (double)NS_PER_S;
		idle_hold(p, IDLE_SETTLE_NS);
		long rss1 = proc_rss_kib(o->pid);
		idle_hold(p, (uint64_t)(o->duration_s * (double)NS_PER_S));
		long rss2 = proc_rss_kib(o->pid);
		report_init(&rep, "idle", idle_fields, sizeof(idle_fields) / sizeof(idle_fields[0]));
		snprintf(rep.title, sizeof(rep.title), "%u members online in %zu rooms, held "
		    "%.1f s, ocmd pid %ld at %s port %u", o->members, pool_rooms(p), o->duration_s,
		    (long)o->pid, o->host, o->port);
		report_param(&rep, "members", o->members);
		report_param(&rep, "rooms", (double)pool_rooms(p));
		report_param(&rep, "duration_s", o->duration_s);
		report_param(&rep, "pid", o->pid);
		idle_results(&rep, p, setup_s, rss0, rss1, rss2);
		report_print(&rep, o->json);
		report_free(&rep);
		rc = pool_closed(p) == 0 ? BENCH_EXIT_OK : BENCH_EXIT_FAIL;
	}
	pool_leave(p);
	pool_free(p);
	return rc;
}
