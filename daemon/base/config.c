/*
 * config.c: reads ocmd.conf.  inih splits the file into section, key and
 * value; a table maps each key to its parser, its field and its bounds, so
 * adding a key is one line here plus its documentation in ocmd.conf(5).
 *
 * inih does not report line numbers to the handler, so the file is fed
 * through a reader that counts them (multi-line values are disabled, so
 * one handler call is one line).  The reader also refuses lines longer
 * than inih's buffer rather than let inih split them silently, and spots
 * the [cluster] header, whose presence alone turns the cluster on.
 */
#include "daemon/base/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum key_type {
	KEY_UINT, KEY_BOOL, KEY_PATH, KEY_PATH_OPT, KEY_LISTEN, KEY_LOG_LEVEL, KEY_WORKERS,
	KEY_ADDR, KEY_USER, KEY_NATS, KEY_NODE, KEY_ADVERTISE
};

struct config_key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;		/* KEY_PATH*, KEY_NODE, KEY_ADVERTISE: buffer size */
	uint32_t min, max;	/* KEY_UINT */
};

#define NUMBER_KEY(sec, key, def, lo, hi) \
	{ #sec, #key, KEY_UINT, offsetof(struct config, key), 0, lo, hi },
#define PATH_KEY(sec, key) \
	{ sec, #key, KEY_PATH, offsetof(struct config, key), \
	  sizeof(((struct config *)0)->key), 0, 0 }
/* A path that may be left empty ("none" or "generate"). */
#define PATH_OPT_KEY(sec, name, field) \
	{ sec, name, KEY_PATH_OPT, offsetof(struct config, field), \
	  sizeof(((struct config *)0)->field), 0, 0 }

static const struct config_key config_keys[] = {
	{ "server", "listen", KEY_LISTEN, 0, 0, 0, 0 },
	PATH_KEY("server", state_dir),
	PATH_KEY("server", control_socket),
	{ "server", "log_level", KEY_LOG_LEVEL, 0, 0, 0, 0 },
	{ "server", "workers", KEY_WORKERS, offsetof(struct config, workers), 0, 1,
	  CONFIG_MAX_WORKERS },
	CONFIG_SERVER_NUMBERS(NUMBER_KEY)
	{ "server", "user", KEY_USER, offsetof(struct config, user), CONFIG_USER_MAX, 0, 0 },
	PATH_OPT_KEY("tls", "certificate", certificate),
	PATH_OPT_KEY("tls", "private_key", private_key),
	CONFIG_LIMITS(NUMBER_KEY)
	{ "limits", "bind_token_to_ip", KEY_BOOL, offsetof(struct config, bind_token_to_ip),
	  0, 0, 0 },
	{ "metrics", "listen", KEY_ADDR, offsetof(struct config, metrics_listen), 0, 0, 0 },
	/* [cluster] comes last: config_dump leaves it out when it is off. */
	{ "cluster", "nats", KEY_NATS, 0, 0, 0, 0 },
	PATH_OPT_KEY("cluster", "nats_credentials", cluster.credentials),
	PATH_OPT_KEY("cluster", "nats_ca", cluster.ca),
	{ "cluster", "node", KEY_NODE, offsetof(struct config, cluster.node), CLUSTER_NODE_MAX,
	  0, 0 },
	{ "cluster", "advertise", KEY_ADVERTISE, offsetof(struct config, cluster.advertise),
	  sizeof(((struct config *)0)->cluster.advertise), 0, 0 },
};

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	config_parse_addr("0.0.0.0:7600", &c->listen[0]);
	config_parse_addr("[::]:7600", &c->listen[1]);
	c->n_listen = 2;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/lib/ocmd", LOCALSTATEDIR);
	snprintf(c->control_socket, sizeof(c->control_socket), "%s/ocmd/control.sock",
	    RUNSTATEDIR);
	c->log_level = LOG_LEVEL_INFO;
#define NUMBER_DEFAULT(sec, key, def, lo, hi)	c->key = def;
	CONFIG_SERVER_NUMBERS(NUMBER_DEFAULT)
	CONFIG_LIMITS(NUMBER_DEFAULT)
#undef NUMBER_DEFAULT
	c->bind_token_to_ip = true;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || *s == '+' || v < 1 ||
	    v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
config_parse_addr(const char *s, struct listen_addr *out)
{
	struct listen_addr a;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint16_t port;

	memset(&a, 0, sizeof(a));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    parse_port(colon + 1, &port) < 0)
			return -1;
		sin6->sin6_port = htons(port);
		a.len = sizeof(*sin6);
		snprintf(a.text, sizeof(a.text), "[%s]:%u", host, port);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
		    parse_port(colon + 1, &port) < 0)
			return -1;
		sin->sin_port = htons(port);
		a.len = sizeof(*sin);
		snprintf(a.text, sizeof(a.text), "%s:%u", host, port);
	}
	*out = a;
	return 0;
}

struct parse_state {
	struct config c;
	const char *path;
	unsigned line;
	bool listen_seen;	/* the first listen replaces the defaults */
	unsigned cluster_line;	/* where [cluster] first starts, 0 = nowhere */
	char *err;		/* CONFIG_ERROR_MAX bytes; first error wins */
	bool failed;
	FILE *f;
};

static int parse_fail(struct parse_state *ps, const char *section, const char *name,
    const char *fmt, ...) OCM_PRINTF(4, 5);

/* Records the first error (file, line, section, key, then why); returns 0
 * so that inih counts the line as failed. */
static int
parse_fail(struct parse_state *ps, const char *section, const char *name, const char *fmt,
    ...)
{
	va_list ap;

	if (ps->failed)
		return 0;
	ps->failed = true;
	int n = snprintf(ps->err, CONFIG_ERROR_MAX, "%s:%u: [%s] %s: ", ps->path, ps->line,
	    section, name);
	if (n > 0 && n < CONFIG_ERROR_MAX) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, CONFIG_ERROR_MAX - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* A whole number in k's bounds, nothing around it. */
static bool
parse_uint(const struct config_key *k, const char *v, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || *v == '-' || *v == '+' || n < k->min ||
	    n > k->max)
		return false;
	*out = (uint32_t)n;
	return true;
}

static int
set_uint(struct parse_state *ps, const struct config_key *k, const char *v)
{
	if (!parse_uint(k, v, (uint32_t *)(void *)((char *)&ps->c + k->offset)))
		return parse_fail(ps, k->section, k->name, "'%s' is not a whole number in %u..%u",
		    v, k->min, k->max);
	return 1;
}

static int
set_bool(struct parse_state *ps, const struct config_key *k, const char *v)
{
	bool *field = (bool *)((char *)&ps->c + k->offset);

	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
		*field = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0)
		*field = false;
	else
		return parse_fail(ps, k->section, k->name, "'%s' is not yes or no", v);
	return 1;
}

static int
set_path(struct parse_state *ps, const struct config_key *k, const char *v)
{
	char *field = (char *)&ps->c + k->offset;

	if (strlen(v) >= k->size)
		return parse_fail(ps, k->section, k->name, "'%.40s...' is too long", v);
	if (v[0] == '\0' && k->type != KEY_PATH_OPT)
		return parse_fail(ps, k->section, k->name, "a path is required");
	if (v[0] != '\0' && v[0] != '/')
		return parse_fail(ps, k->section, k->name, "'%s' is not an absolute path", v);
	strcpy(field, v);
	return 1;
}

static int
set_listen(struct parse_state *ps, const struct config_key *k, const char *v)
{
	if (!ps->listen_seen) {
		ps->c.n_listen = 0;
		ps->listen_seen = true;
	}
	if (ps->c.n_listen == CONFIG_MAX_LISTEN)
		return parse_fail(ps, k->section, k->name, "more than %d listen addresses", CONFIG_MAX_LISTEN);
	if (config_parse_addr(v, &ps->c.listen[ps->c.n_listen]) < 0)
		return parse_fail(ps, k->section, k->name,
		    "'%s' is not ADDRESS:PORT (e.g. 0.0.0.0:7600 or [::]:7600)", v);
	ps->c.n_listen++;
	return 1;
}

static int
set_log_level(struct parse_state *ps, const struct config_key *k, const char *v)
{
	int level = log_level_parse(v);
	if (level < 0)
		return parse_fail(ps, k->section, k->name,
		    "'%s' is not one of err, warning, info, debug", v);
	ps->c.log_level = (enum log_level)level;
	return 1;
}

/* "auto" (0: the CPUs ocmd may run on, decided at start) or a count. */
static int
set_workers(struct parse_state *ps, const struct config_key *k, const char *v)
{
	if (strcmp(v, "auto") == 0)
		ps->c.workers = 0;
	else if (!parse_uint(k, v, &ps->c.workers))
		return parse_fail(ps, k->section, k->name,
		    "'%s' is not auto or a whole number in %u..%u", v, k->min, k->max);
	return 1;
}

/* One ADDRESS:PORT, or empty for none. */
static int
set_addr(struct parse_state *ps, const struct config_key *k, const char *v)
{
	struct listen_addr *a = (struct listen_addr *)(void *)((char *)&ps->c + k->offset);

	if (v[0] == '\0') {
		memset(a, 0, sizeof(*a));
		return 1;
	}
	if (config_parse_addr(v, a) < 0)
		return parse_fail(ps, k->section, k->name,
		    "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9760 or [::1]:9760), or empty", v);
	return 1;
}

/*
 * [server] user: a name as useradd(8) takes it (letters, digits, '.', '_',
 * '-', not starting with '-'), or empty.  Whether it exists is checked
 * when ocmd starts, not here, so that -t works on another host.
 */
static int
set_user(struct parse_state *ps, const struct config_key *k, const char *v)
{
	size_t len = strlen(v);

	if (len >= k->size || v[0] == '-' || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return parse_fail(ps, k->section, k->name,
		    "'%.40s' is not a user name (letters, digits, '.', '_', '-'; up to %zu)", v,
		    k->size - 1);
	memcpy((char *)&ps->c + k->offset, v, len + 1);
	return 1;
}

/*
 * [cluster].  The node name goes into NATS subjects and KV keys, so it is
 * kept to bytes that need no escaping there.  Host names are checked for
 * shape only (labels of letters, digits, '-', '_'); whether they resolve
 * is the runtime's business, so that -t works on another host.
 */
static const char node_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "0123456789_-";

static bool
node_char(char ch)
{
	return ch != '\0' && strchr(node_chars, ch) != NULL;
}

/* Dot-separated labels of [A-Za-z0-9_-], 1..63 bytes each; all-digit
 * names must be a valid IPv4 address. */
static bool
host_name_valid(const char *h)
{
	struct in_addr a4;
	size_t len = strlen(h);

	if (len == 0 || len > 255)
		return false;
	if (strspn(h, "0123456789.") == len)
		return inet_pton(AF_INET, h, &a4) == 1;
	for (const char *p = h;; p++) {
		size_t label = strspn(p, node_chars);
		if (label == 0 || label > 63)
			return false;
		p += label;
		if (*p == '\0')
			return true;
		if (*p != '.')
			return false;
	}
}

static bool
host_is_loopback(const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(h, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static bool
host_is_wildcard(const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, h, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&a6);
}

/* A nats URL taken apart. */
struct nats_url {
	bool tls;
	char host[256];		/* without the brackets of an IPv6 address */
	uint16_t port;
};

/* nats://HOST[:PORT] or tls://HOST[:PORT]; HOST is a name, an IPv4
 * address or [IPv6].  Nothing else: no user, password or path, which
 * belong in nats_credentials. */
static int
nats_url_parse(const char *s, struct nats_url *u)
{
	struct in6_addr a6;
	const char *host, *rest;
	size_t len;

	u->tls = strncmp(s, "tls://", 6) == 0;
	if (!u->tls && strncmp(s, "nats://", 7) != 0)
		return -1;
	host = strstr(s, "://") + 3;
	bool bracketed = *host == '[';
	if (bracketed) {
		len = strcspn(++host, "]");
		rest = host + len + 1;
		if (host[len] != ']' || len >= INET6_ADDRSTRLEN)
			return -1;
	} else {
		len = strcspn(host, ":");
		rest = host + len;
		if (len >= sizeof(u->host))
			return -1;
	}
	memcpy(u->host, host, len);
	u->host[len] = '\0';
	if (bracketed ? inet_pton(AF_INET6, u->host, &a6) != 1 : !host_name_valid(u->host))
		return -1;
	u->port = 4222;
	if (*rest == ':')
		return parse_port(rest + 1, &u->port);
	return *rest == '\0' ? 0 : -1;
}

/* Repeatable: each line adds a server. */
static int
set_nats(struct parse_state *ps, const struct config_key *k, const char *v)
{
	struct cluster_config *cl = &ps->c.cluster;
	struct nats_url u;

	if (cl->n_nats == CONFIG_MAX_NATS)
		return parse_fail(ps, k->section, k->name, "more than %d nats URLs",
		    CONFIG_MAX_NATS);
	if (strlen(v) >= sizeof(cl->nats[0]) || nats_url_parse(v, &u) < 0)
		return parse_fail(ps, k->section, k->name,
		    "'%.80s' is not a NATS URL (nats://HOST:PORT or tls://HOST:PORT)", v);
	strcpy(cl->nats[cl->n_nats++], v);
	return 1;
}

static int
set_node(struct parse_state *ps, const struct config_key *k, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len >= k->size || strspn(v, node_chars) != len)
		return parse_fail(ps, k->section, k->name,
		    "'%.80s' is not a node name (1..%zu letters, digits, '_', '-')", v,
		    k->size - 1);
	memcpy((char *)&ps->c + k->offset, v, len + 1);
	return 1;
}

/* Handed to clients of other nodes, so it must be reachable: a wildcard
 * would send them to their own machine. */
static int
set_advertise(struct parse_state *ps, const struct config_key *k, const char *v)
{
	struct in6_addr a6;
	size_t len = strlen(v);

	if (len >= k->size || (inet_pton(AF_INET6, v, &a6) != 1 && !host_name_valid(v)))
		return parse_fail(ps, k->section, k->name,
		    "'%.80s' is not a host name or IP address (IPv6 without brackets)", v);
	if (host_is_wildcard(v))
		return parse_fail(ps, k->section, k->name,
		    "'%s' is a wildcard; set it to the address clients reach this node at", v);
	memcpy((char *)&ps->c + k->offset, v, len + 1);
	return 1;
}

static int (*const key_setters[])(struct parse_state *, const struct config_key *,
    const char *) = {
	[KEY_UINT] = set_uint,
	[KEY_BOOL] = set_bool,
	[KEY_PATH] = set_path,
	[KEY_PATH_OPT] = set_path,
	[KEY_LISTEN] = set_listen,
	[KEY_LOG_LEVEL] = set_log_level,
	[KEY_WORKERS] = set_workers,
	[KEY_ADDR] = set_addr,
	[KEY_USER] = set_user,
	[KEY_NATS] = set_nats,
	[KEY_NODE] = set_node,
	[KEY_ADVERTISE] = set_advertise,
};

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;

	if (ps->failed)
		return 0;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0)
			return key_setters[k->type](ps, k, value);
	}
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return parse_fail(ps, section, name,
			    "unknown key in this section (it belongs in [%s])",
			    config_keys[i].section);
	return parse_fail(ps, section, name, "unknown key (see ocmd.conf(5))");
}

/*
 * inih calls the handler for keys only, so an empty [cluster] would go
 * unnoticed there; the reader looks at each line as inih will (a UTF-8
 * byte order mark and leading blanks skipped).  A build without NATS
 * refuses the section here, before any of its keys can fail on their own.
 */
static void
config_see_section(struct parse_state *ps, const char *line)
{
	if (ps->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, "[cluster]", 9) != 0 || ps->c.cluster.enabled)
		return;
	ps->c.cluster.enabled = true;
	ps->cluster_line = ps->line;
#ifndef HAVE_NATS
	if (!ps->failed)
		snprintf(ps->err, CONFIG_ERROR_MAX,
		    "%s:%u: [cluster]: this ocmd was built without NATS support; rebuild with "
		    "./configure --with-nats=yes (package libnats-dev) or remove the [cluster] "
		    "section", ps->path, ps->line);
	ps->failed = true;
#endif
}

/* fgets for inih that counts lines and flags those too long for its buffer. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;

	if (fgets(str, num, ps->f) == NULL)
		return NULL;
	ps->line++;
	size_t len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(ps->f)) {
		if (!ps->failed)
			snprintf(ps->err, CONFIG_ERROR_MAX,
			    "%s:%u: line longer than %d characters", ps->path, ps->line, num - 3);
		ps->failed = true;
		str[0] = '\0';	/* inih sees an empty line */
		int ch;
		while ((ch = fgetc(ps->f)) != EOF && ch != '\n')
			;
	}
	config_see_section(ps, str);
	return str;
}

/* Rules that tie keys together, checked once the whole file is read. */
static int
config_check(struct parse_state *ps)
{
	const struct config *c = &ps->c;

	if (c->keepalive_s >= c->timeout_s)
		snprintf(ps->err, CONFIG_ERROR_MAX,
		    "%s: [limits] keepalive_s (%u) must be less than timeout_s (%u)", ps->path,
		    c->keepalive_s, c->timeout_s);
	else if ((c->certificate[0] == '\0') != (c->private_key[0] == '\0'))
		snprintf(ps->err, CONFIG_ERROR_MAX,
		    "%s: [tls] certificate and private_key must be set together "
		    "(or both left empty to use a generated certificate)", ps->path);
	else if (c->max_members_per_room > c->max_members)
		snprintf(ps->err, CONFIG_ERROR_MAX,
		    "%s: [limits] max_members_per_room (%u) exceeds max_members (%u)", ps->path,
		    c->max_members_per_room, c->max_members);
	else
		return 0;
	return -1;
}

/* The first listen address that is not a wildcard, without port or
 * brackets: what clients of other nodes are told to send to. */
static int
advertise_from_listen(struct config *c)
{
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct sockaddr_storage *ss = &c->listen[i].ss;
		const void *addr = ss->ss_family == AF_INET6 ?
		    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
		    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(ss->ss_family, addr, text, sizeof(text)) == NULL ||
		    host_is_wildcard(text))
			continue;
		snprintf(c->cluster.advertise, sizeof(c->cluster.advertise), "%s", text);
		return 0;
	}
	return -1;
}

/* Records an error about a [cluster] key that is missing, at the line of
 * the section; returns -1. */
static int
cluster_fail(struct parse_state *ps, const char *name, const char *why)
{
	ps->line = ps->cluster_line;
	parse_fail(ps, "cluster", name, "%s", why);
	return -1;
}

/* [cluster] as a whole: a server to talk to, and the defaults of node and
 * advertise, which depend on the host and on listen. */
static int
cluster_finish(struct parse_state *ps)
{
	struct cluster_config *cl = &ps->c.cluster;
	char host[256] = "";

	if (!cl->enabled)
		return 0;
	if (cl->n_nats == 0)
		return cluster_fail(ps, "nats", "no NATS server; add a line such as "
		    "nats = nats://127.0.0.1:4222 (or tls://HOST:PORT)");
	if (cl->node[0] == '\0') {
		if (gethostname(host, sizeof(host) - 1) < 0)
			host[0] = '\0';
		config_node_from_hostname(host, cl->node);
		if (cl->node[0] == '\0')
			return cluster_fail(ps, "node", "the host name is empty; set node = NAME");
	}
	if (cl->advertise[0] == '\0' && advertise_from_listen(&ps->c) < 0)
		return cluster_fail(ps, "advertise", "needed because every listen address is "
		    "a wildcard; set it to the address clients reach this node at");
	return 0;
}

int
config_load(const char *path, struct config *c, char err[CONFIG_ERROR_MAX])
{
	struct parse_state *ps = calloc(1, sizeof(*ps));
	int rc = -1;

	if (ps == NULL) {
		snprintf(err, CONFIG_ERROR_MAX, "%s: out of memory", path);
		return -1;
	}
	config_defaults(&ps->c);
	ps->path = path;
	ps->err = err;
	ps->f = fopen(path, "re");
	if (ps->f == NULL) {
		snprintf(err, CONFIG_ERROR_MAX, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	ini_allow_multiline = false;
	int line = ini_parse_stream(config_reader, ps, config_handler, ps);
	if (ps->failed)
		goto out;
	if (line != 0) {
		snprintf(err, CONFIG_ERROR_MAX,
		    "%s:%d: syntax error (expected 'key = value' or '[section]')", path, line);
		goto out;
	}
	if (ferror(ps->f)) {
		snprintf(err, CONFIG_ERROR_MAX, "%s: read error", path);
		goto out;
	}
	if (config_check(ps) < 0 || cluster_finish(ps) < 0)
		goto out;
	*c = ps->c;
	rc = 0;
out:
	if (ps->f != NULL)
		fclose(ps->f);
	free(ps);
	return rc;
}

void
config_dump(const struct config *c, FILE *f)
{
	const char *section = "";

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const char *field = (const char *)c + k->offset;
		if (strcmp(k->section, "cluster") == 0 && !c->cluster.enabled)
			break;
		if (strcmp(section, k->section) != 0) {
			fprintf(f, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		switch (k->type) {
		case KEY_LISTEN:
			for (size_t j = 0; j < c->n_listen; j++)
				fprintf(f, "listen = %s\n", c->listen[j].text);
			break;
		case KEY_LOG_LEVEL:
			fprintf(f, "log_level = %s\n", log_level_name(c->log_level));
			break;
		case KEY_WORKERS:
			if (c->workers == 0)
				fprintf(f, "workers = auto\n");
			else
				fprintf(f, "workers = %u\n", c->workers);
			break;
		case KEY_UINT:
			fprintf(f, "%s = %u\n", k->name, *(const uint32_t *)(const void *)field);
			break;
		case KEY_BOOL:
			fprintf(f, "%s = %s\n", k->name, *(const bool *)field ? "yes" : "no");
			break;
		case KEY_NATS:
			for (size_t j = 0; j < c->cluster.n_nats; j++)
				fprintf(f, "nats = %s\n", c->cluster.nats[j]);
			break;
		case KEY_PATH:
		case KEY_PATH_OPT:
		case KEY_USER:
		case KEY_NODE:
		case KEY_ADVERTISE:
			fprintf(f, "%s = %s\n", k->name, field);
			break;
		case KEY_ADDR:
			fprintf(f, "%s = %s\n", k->name,
			    ((const struct listen_addr *)(const void *)field)->text);
			break;
		}
	}
}

void
config_node_from_hostname(const char *host, char out[CLUSTER_NODE_MAX])
{
	size_t i;

	for (i = 0; host[i] != '\0' && i < CLUSTER_NODE_MAX - 1; i++)
		out[i] = node_char(host[i]) ? host[i] : '-';
	out[i] = '\0';
}

bool
config_cluster_insecure(const struct config *c, const char **url)
{
	const struct cluster_config *cl = &c->cluster;
	struct nats_url u;

	if (cl->ca[0] != '\0')
		return false;
	for (size_t i = 0; i < cl->n_nats; i++) {
		if (nats_url_parse(cl->nats[i], &u) == 0 && !u.tls && !host_is_loopback(u.host)) {
			if (url != NULL)
				*url = cl->nats[i];
			return true;
		}
	}
	return false;
}
