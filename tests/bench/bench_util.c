/*
 * bench_util.c: what every mode of ocm-bench shares: clocks, the latency
 * histogram, readers of /proc for the server's RSS and CPU time, thread
 * pinning, the descriptor budget, and the report that prints one table of
 * results as text or JSON.
 */
#include "tests/bench/bench.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t
clock_cpu_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t
now_ns(void)
{
	return clock_cpu_ns(CLOCK_MONOTONIC);
}

uint64_t
thread_cpu_ns(void)
{
	return clock_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* Histogram. */

void
hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
hist_merge(struct hist *into, const struct hist *from)
{
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	into->count += from->count;
	if (from->max > into->max)
		into->max = from->max;
}

/* The middle of bucket i (the inverse of hist_add's index). */
static uint64_t
bucket_mid(size_t i)
{
	if (i < HIST_SUB)
		return i;
	unsigned shift = (unsigned)(i / HIST_SUB) - 1;
	uint64_t m = (uint64_t)(i % HIST_SUB) + HIST_SUB;
	return (m << shift) + ((1ULL << shift) >> 1);
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->count);
	uint64_t seen = 0;

	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = bucket_mid(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* /proc. */

long
proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int64_t
proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut, st;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'.  utime and stime are fields 14 and 15. */
	char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return (int64_t)((ut + st) * (NS_PER_S / (unsigned long long)(hz > 0 ? hz : 100)));
}

static int
ulong_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The machine's busy time (/proc/stat: every CPU's time outside idle and
 * iowait) less this process's and server's.  Unlike a walk over /proc's
 * processes it sees those that started and ended in between, a compiler
 * run for instance; it counts in clock ticks.
 */
int64_t
proc_others_cpu_ns(pid_t server)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");

	if (f == NULL)
		return -1;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
	    &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	fclose(f);
	if (n < 8)
		return -1;
	/* user nice system idle iowait irq softirq steal (guest times are
	 * in user and nice already) */
	unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	long hz = sysconf(_SC_CLK_TCK);
	int64_t ns = (int64_t)(busy * (NS_PER_S / (unsigned long long)(hz > 0 ? hz : 100)));
	int64_t self = proc_cpu_ns(getpid()), srv = server > 0 ? proc_cpu_ns(server) : 0;
	return ns - (self > 0 ? self : 0) - (srv > 0 ? srv : 0);
}

/* The socket inodes among pid's descriptors, sorted; their count, or -1. */
static long
proc_socket_inodes(pid_t pid, unsigned long **out)
{
	char path[64], link[64];
	unsigned long *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		unsigned long ino;
		char fd_path[sizeof(path) + 16 + 256];
		snprintf(fd_path, sizeof(fd_path), "%s/%s", path, e->d_name);
		ssize_t len = readlink(fd_path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			unsigned long *nv = realloc(v, ncap * sizeof(*v));
			if (nv == NULL)
				break;
			v = nv;
			cap = ncap;
		}
		v[n++] = ino;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), ulong_cmp);
	*out = v;
	return (long)n;
}

/*
 * The datagrams the kernel dropped at pid's UDP sockets (receive buffer
 * full), from the drops column of /proc/net/udp and udp6, whose lines
 * carry each socket's inode; -1 when they cannot be read.  It walks /proc:
 * a stall that must stay out of any measured interval.
 */
int64_t
proc_udp_drops(pid_t pid)
{
	static const char *const tables[] = { "/proc/net/udp", "/proc/net/udp6" };
	unsigned long *inodes = NULL;
	long n = proc_socket_inodes(pid, &inodes);
	int64_t sum = 0;
	char line[512];

	if (n < 0)
		return -1;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		FILE *f = fopen(tables[t], "r");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long ino, drops;
			/* sl local rem st tx:rx tr:when retr uid timeout inode ref
			 * pointer drops */
			if (sscanf(line, " %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %lu",
			    &ino, &drops) != 2)
				continue;
			if (n > 0 && bsearch(&ino, inodes, (size_t)n, sizeof(*inodes),
			    ulong_cmp) != NULL)
				sum += (int64_t)drops;
		}
		fclose(f);
	}
	free(inodes);
	return sum;
}

int
pin_thread(pthread_t t, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(t, sizeof(set), &set);
}

/* Descriptors. */

size_t
fd_budget(size_t reserve, unsigned long *hard)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	*hard = (unsigned long)rl.rlim_cur;
	return rl.rlim_cur > reserve ? (size_t)(rl.rlim_cur - reserve) : 0;
}

size_t
sockets_for(const struct bench_opts *o, size_t n, size_t reserve)
{
	unsigned long hard;
	size_t budget = fd_budget(reserve, &hard);
	size_t want = o->sockets != 0 ? o->sockets : n;

	if (want > n)
		want = n;
	if (want > budget) {
		fprintf(stderr, "ocm-bench: note: %zu members share %zu UDP sockets "
		    "(RLIMIT_NOFILE allows %lu descriptors; raise its hard limit for one "
		    "socket per member)\n", n, budget, hard);
		want = budget;
	}
	return want > 0 ? want : 1;
}

void
run_id(char *buf, size_t len, char tag)
{
	snprintf(buf, len, "b%ld%c", (long)getpid(), tag);
}

void
server_opts_init(struct server_opts *so, const struct bench_opts *o, uint16_t port)
{
	memset(so, 0, sizeof(*so));
	so->host = o->host;
	so->port = port;
	so->known_servers = o->known_servers;
	so->quiet_tofu = true;
	so->timeout_ms = 10000;
}

const char *
join_host(const struct bench_opts *o, size_t k)
{
	return o->n_join_via > 0 ? o->join_via[k % o->n_join_via] : o->host;
}

void
join_hosts_str(const struct bench_opts *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < o->n_join_via && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i > 0 ? "," : "",
		    o->join_via[i]);
	if (o->n_join_via == 0)
		snprintf(buf, len, "%s", o->host);
}

int
bench_call(const struct bench_opts *o, const struct server_opts *so,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX],
    unsigned *retries)
{
	uint64_t end = now_ns() + JOIN_RETRY_NS;
	useconds_t wait = 1000;

	for (;;) {
		if (tcrp_call(so, req, res, err) < 0)
			return -1;
		if (res->code != TCRP_CODE_NO_SUCH_ROOM || o->n_join_via == 0 ||
		    req->operation != TCRP_OP_JOIN_ROOM || now_ns() >= end)
			return 0;
		tcrp_result_clear(res);
		(*retries)++;
		usleep(wait);
		if (wait < JOIN_RETRY_MAX_US)
			wait *= 2;
	}
}

void
bench_request(struct tcrp_request *req, uint8_t op, const char *room, const char *user)
{
	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->room_len = (uint8_t)snprintf(req->room, sizeof(req->room), "%s", room);
	req->user_len = (uint8_t)snprintf(req->user, sizeof(req->user), "%s", user);
}
