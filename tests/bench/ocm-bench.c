/*
 * ocm-bench.c: the command line of ocm-bench (see ocm-bench(1)): parses
 * the options, fills in each mode's defaults, checks that the target is
 * on loopback, sets up a throwaway known_servers file unless one is
 * given, and runs relay, join or idle mode (bench_relay.c, or with --lean
 * bench_lean.c; bench_join.c, bench_idle.c).
 */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

enum {
	OPT_ROOMS = 256, OPT_MEMBERS, OPT_SENDERS, OPT_SIZE, OPT_DURATION, OPT_WARMUP,
	OPT_WINDOW, OPT_RATE, OPT_BASELINE, OPT_JSON, OPT_KNOWN_SERVERS, OPT_CONCURRENCY,
	OPT_COUNT, OPT_PID, OPT_SERVER_CPU, OPT_SOCKETS, OPT_LOSS_TIMEOUT, OPT_LEAN,
	OPT_SLEEP, OPT_JOIN_VIA,
};

#define TEXT_MIN	48	/* the sender, sequence and timestamp it carries */

static char tmp_known[64];

static void
usage(void)
{
	printf("usage: ocm-bench relay|join|idle [-s HOST] [-p PORT] [--rooms N] [--members N]\n"
	    "                 [--senders N] [--size BYTES] [--duration S] [--warmup S]\n"
	    "                 [--window N] [--rate N] [--loss-timeout S] [--baseline] [--lean]\n"
	    "                 [--sleep] [--join-via HOST[,HOST...]]\n"
	    "                 [--json] [--known-servers FILE] [--concurrency N] [--count N]\n"
	    "                 [--pid PID] [--server-cpu N] [--sockets N]\n"
	    "Benchmark an ocmd on loopback over the real protocol.\n\n"
	    "Modes:\n"
	    "  relay   rooms of members chatting: delivered copies/s, msgs/s, loss, latency\n"
	    "  join    CREATE/JOIN handshakes per second, and raw TLS 1.3 handshakes\n"
	    "  idle    members kept online: the server's RSS per member (needs --pid)\n\n"
	    "Options:\n"
	    "  -s, --server HOST       ocmd's address, a loopback one (default 127.0.0.1)\n"
	    "  -p, --port PORT         ocmd's TCP port (default %d)\n"
	    "      --rooms N           rooms (relay: default 1; idle: default members/100)\n"
	    "      --members N         relay, join: members a room (default 10);\n"
	    "                          idle: members in all (default 1000)\n"
	    "      --senders N         relay: members of each room that send (default all)\n"
	    "      --size BYTES        relay: chat text size, %d or more (default 100)\n"
	    "      --duration S        measured seconds (default 5); join: time limit\n"
	    "      --warmup S          relay: unmeasured seconds before (default 1)\n"
	    "      --window N          relay: messages in flight, closed loop (default 1024)\n"
	    "      --rate N            relay: fixed rate, messages a second over all senders\n"
	    "      --loss-timeout S    relay: a message incomplete after S is lost (default 1)\n"
	    "      --baseline          relay: also run a plain UDP relay, print the ratio\n"
	    "      --lean              relay: a cheaper load loop (datagrams sealed ahead,\n"
	    "                          copies counted in total, latency of sampled messages)\n"
	    "      --sleep             relay: wait for input in epoll instead of spinning,\n"
	    "                          to share the CPUs with other load\n"
	    "      --json              print one JSON object instead of a table\n"
	    "      --known-servers F   pin ocmd's key in F (default: a temporary file)\n"
	    "      --concurrency N     join: clients in parallel (default 1);\n"
	    "                          relay, idle: joins in parallel in setup (default 32)\n"
	    "      --count N           join: handshakes (default 1000)\n"
	    "      --pid PID           ocmd's process: CPU use, and RSS in idle mode\n"
	    "      --server-cpu N      pin the in-process baseline and raw TLS servers\n"
	    "      --sockets N         UDP sockets for the members (default one each)\n"
	    "      --join-via HOST,... relay, join: send every JOIN to these loopback hosts\n"
	    "                          in turn, same port, CREATEs still to -s: a JOIN\n"
	    "                          through another node of a cluster (at most %d)\n"
	    "  -h, --help              show this help and exit\n"
	    "  -V, --version           show the version and exit\n\n"
	    "Exit status: 0 done, 1 failed (for example joins refused), 2 usage error.\n",
	    OCM_DEFAULT_PORT, TEXT_MIN, JOIN_VIA_MAX);
}

static void usage_error(const char *fmt, ...) OCM_PRINTF(1, 2);

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ocm-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ocm-bench --help' for more information.\n", stderr);
}

static int
parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < min || v > max) {
		usage_error("invalid %s '%s': give a whole number from %lu to %lu", name, s, min,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_real(const char *name, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max) {
		usage_error("invalid %s '%s': give a number from %g to %g", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
set_uint(const char *name, const char *s, unsigned long min, unsigned long max,
    unsigned *out)
{
	unsigned long v;

	if (parse_uint(name, s, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
set_number_option(struct bench_opts *o, int opt, const char *arg)
{
	unsigned long v;

	switch (opt) {
	case 'p':
		if (parse_uint("port", arg, 1, 65535, &v) < 0)
			return -1;
		o->port = (uint16_t)v;
		return 0;
	case OPT_ROOMS: return set_uint("--rooms", arg, 1, 1000000, &o->rooms);
	case OPT_MEMBERS: return set_uint("--members", arg, 1, 10000000, &o->members);
	case OPT_SENDERS: return set_uint("--senders", arg, 1, 100000, &o->senders);
	case OPT_WINDOW: return set_uint("--window", arg, 1, 10000000, &o->window);
	case OPT_CONCURRENCY: return set_uint("--concurrency", arg, 1, 1024, &o->concurrency);
	case OPT_COUNT: return set_uint("--count", arg, 1, 100000000, &o->count);
	case OPT_SOCKETS: return set_uint("--sockets", arg, 1, 10000000, &o->sockets);
	case OPT_SIZE:
		if (parse_uint("--size", arg, TEXT_MIN, OCM_MAX_DATAGRAM, &v) < 0)
			return -1;
		o->size = v;
		return 0;
	case OPT_PID:
		if (parse_uint("--pid", arg, 1, INT_MAX, &v) < 0)
			return -1;
		o->pid = (pid_t)v;
		return 0;
	case OPT_SERVER_CPU:
		if (parse_uint("--server-cpu", arg, 0, CPU_SETSIZE - 1, &v) < 0)
			return -1;
		o->server_cpu = (int)v;
		return 0;
	default:
		return 1;
	}
}

/* --join-via HOST[,HOST...]: split into o->join_via; a repeated option
 * replaces the list. */
static int
set_join_via(struct bench_opts *o, const char *arg)
{
	char *s = o->join_via_list, *comma;

	if (strlen(arg) >= sizeof(o->join_via_list)) {
		usage_error("--join-via: the list is longer than %zu characters",
		    sizeof(o->join_via_list) - 1);
		return -1;
	}
	memcpy(s, arg, strlen(arg) + 1);
	o->n_join_via = 0;
	for (;;) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*s == '\0') {
			usage_error("--join-via '%s': an empty host; give HOST[,HOST...]", arg);
			return -1;
		}
		if (o->n_join_via == JOIN_VIA_MAX) {
			usage_error("--join-via '%s': more than %d hosts", arg, JOIN_VIA_MAX);
			return -1;
		}
		o->join_via[o->n_join_via++] = s;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* One option; returns 0, or -1 after a usage error. */
static int
set_option(struct bench_opts *o, int opt, const char *arg)
{
	int rc = set_number_option(o, opt, arg);

	if (rc <= 0)
		return rc;
	switch (opt) {
	case 's': o->host = arg; return 0;
	case OPT_DURATION: return parse_real("--duration", arg, 0.01, 3600, &o->duration_s);
	case OPT_WARMUP: return parse_real("--warmup", arg, 0, 600, &o->warmup_s);
	case OPT_RATE: return parse_real("--rate", arg, 1, 1e9, &o->rate);
	case OPT_LOSS_TIMEOUT:
		return parse_real("--loss-timeout", arg, 0.001, 60, &o->loss_timeout_s);
	case OPT_BASELINE: o->baseline = true; return 0;
	case OPT_LEAN: o->lean = true; return 0;
	case OPT_SLEEP: o->sleep = true; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_KNOWN_SERVERS: o->known_servers = arg; return 0;
	case OPT_JOIN_VIA: return set_join_via(o, arg);
	default: return -1;	/* getopt_long has said what is wrong */
	}
}

static const struct option longopts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "port", required_argument, NULL, 'p' },
	{ "rooms", required_argument, NULL, OPT_ROOMS },
	{ "members", required_argument, NULL, OPT_MEMBERS },
	{ "senders", required_argument, NULL, OPT_SENDERS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "loss-timeout", required_argument, NULL, OPT_LOSS_TIMEOUT },
	{ "baseline", no_argument, NULL, OPT_BASELINE },
	{ "lean", no_argument, NULL, OPT_LEAN },
	{ "sleep", no_argument, NULL, OPT_SLEEP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "known-servers", required_argument, NULL, OPT_KNOWN_SERVERS },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "server-cpu", required_argument, NULL, OPT_SERVER_CPU },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "join-via", required_argument, NULL, OPT_JOIN_VIA },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = OCM_DEFAULT_PORT;
	o->size = 100;
	o->duration_s = 5;
	o->warmup_s = 1;
	o->loss_timeout_s = 1;
	o->server_cpu = -1;
}

static int
parse_mode(const char *s, enum bench_mode *mode)
{
	static const char *const names[] = {
		[MODE_RELAY] = "relay", [MODE_JOIN] = "join", [MODE_IDLE] = "idle",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*mode = (enum bench_mode)i;
			return 0;
		}
	}
	usage_error("unknown mode '%s': give relay, join or idle", s);
	return -1;
}

/* Returns -1 to go on, or the exit status (--help, --version, errors). */
static int
parse_args(int argc, char **argv, struct bench_opts *o)
{
	int opt;

	defaults(o);
	while ((opt = getopt_long(argc, argv, "s:p:hV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage();
			return BENCH_EXIT_OK;
		}
		if (opt == 'V') {
			printf("ocm-bench (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return BENCH_EXIT_OK;
		}
		if (set_option(o, opt, optarg) < 0) {
			if (opt == '?' || opt == ':')
				fputs("Try 'ocm-bench --help' for more information.\n", stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_error("give a mode: relay, join or idle");
		return BENCH_EXIT_USAGE;
	}
	if (parse_mode(argv[optind], &o->mode) < 0)
		return BENCH_EXIT_USAGE;
	if (optind + 1 < argc) {
		usage_error("unexpected argument '%s'", argv[optind + 1]);
		return BENCH_EXIT_USAGE;
	}
	return -1;
}

static int
check_idle(struct bench_opts *o)
{
	if (o->members == 0)
		o->members = 1000;
	if (o->rooms == 0)
		o->rooms = (o->members + 99) / 100;
	if (o->concurrency == 0)
		o->concurrency = 32;
	if (o->pid == 0) {
		usage_error("idle mode reads the server's RSS: give --pid");
		return -1;
	}
	if (o->rooms > o->members) {
		usage_error("--rooms %u is more than --members %u", o->rooms, o->members);
		return -1;
	}
	return 0;
}

/* Each mode's defaults and limits; returns 0 or -1 after a usage error. */
static int
check_mode(struct bench_opts *o)
{
	if ((o->lean || o->sleep) && o->mode != MODE_RELAY) {
		usage_error("%s is for relay mode", o->lean ? "--lean" : "--sleep");
		return -1;
	}
	if (o->lean && o->baseline) {
		/* The baseline's client side is the normal loop's: a ratio
		 * between the two loops would compare the load generators. */
		usage_error("--lean and --baseline do not go together: run --baseline without "
		    "--lean");
		return -1;
	}
	if (o->mode == MODE_IDLE && o->n_join_via > 0) {
		usage_error("--join-via is for relay and join modes");
		return -1;
	}
	if (o->mode == MODE_IDLE)
		return check_idle(o);
	if (o->members == 0)
		o->members = 10;
	if (o->members < 2) {
		usage_error("--members: a room needs 2 members or more here");
		return -1;
	}
	if (o->mode == MODE_JOIN) {
		if (o->concurrency == 0)
			o->concurrency = 1;
		if (o->count == 0)
			o->count = 1000;
		return 0;
	}
	if (o->rooms == 0)
		o->rooms = 1;
	if (o->senders == 0)
		o->senders = o->members;
	if (o->senders > o->members) {
		usage_error("--senders %u is more than --members %u", o->senders, o->members);
		return -1;
	}
	return 0;
}

static bool
is_loopback(const struct addrinfo *ai)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sin)) {
		memcpy(&sin, ai->ai_addr, sizeof(sin));
		return (ntohl(sin.sin_addr.s_addr) >> 24) == 127;
	}
	if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sin6)) {
		memcpy(&sin6, ai->ai_addr, sizeof(sin6));
		return IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr);
	}
	return false;
}

/* A benchmark floods its target: only ever this machine's. */
static int
check_loopback(const char *host)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	bool ok = true;

	int r = getaddrinfo(host, NULL, &hints, &res);
	if (r != 0) {
		usage_error("cannot resolve %s: %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		ok = ok && is_loopback(ai);
	freeaddrinfo(res);
	if (!ok) {
		usage_error("%s is not a loopback address: ocm-bench only loads this machine "
		    "(127.0.0.1 or ::1)", host);
		return -1;
	}
	return 0;
}

static void
remove_tmp_known(void)
{
	if (tmp_known[0] != '\0')
		unlink(tmp_known);
}

/* Trust on first use, in a file that lives as long as the run. */
static int
tmp_known_servers(struct bench_opts *o)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(tmp_known, sizeof(tmp_known), "%s/ocm-bench-known.XXXXXX",
	    dir != NULL && dir[0] == '/' && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(tmp_known);
	if (fd < 0) {
		fprintf(stderr, "ocm-bench: cannot create %s: %s\n", tmp_known, strerror(errno));
		tmp_known[0] = '\0';
		return -1;
	}
	close(fd);
	atexit(remove_tmp_known);
	o->known_servers = tmp_known;
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (check_mode(&o) < 0 || check_loopback(o.host) < 0)
		return BENCH_EXIT_USAGE;
	for (unsigned i = 0; i < o.n_join_via; i++)
		if (check_loopback(o.join_via[i]) < 0)
			return BENCH_EXIT_USAGE;
	log_init("ocm-bench", LOG_LEVEL_INFO);
	/* A peer may close first; its EPIPE is an error return, not a
	 * signal. */
	signal(SIGPIPE, SIG_IGN);
	if (o.known_servers == NULL && tmp_known_servers(&o) < 0)
		return BENCH_EXIT_FAIL;
	switch (o.mode) {
	case MODE_RELAY: return relay_main(&o);
	case MODE_JOIN: return join_main(&o);
	case MODE_IDLE: return idle_main(&o);
	}
	return BENCH_EXIT_FAIL;
}
