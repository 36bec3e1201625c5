/*
 * main.c: ocmctl, the administrator's client of ocmd's control socket
 * (lib/ctl.h, ocmctl(8)).  It turns argv into one
 * request through the command table of lib/ctl.c, sends it, reads the one
 * reply line and hands the result to output.c.  A paged list (lib/ctl.h)
 * is fetched page after page over the same connection and printed as one,
 * unless --limit or --after ask for a single page.  The same table gives
 * --help (read and write commands apart, as ocmd tells them apart), each
 * command's usage, and --commands, which shell completion reads, so
 * ocmctl cannot drift from what ocmd dispatches.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/output.h"
#include "lib/ctl.h"
#include "lib/log.h"
#include "lib/text.h"

#define DEFAULT_SOCKET		RUNSTATEDIR "/ocmd/control.sock"
#define SOCKET_ENV		"OCMCTL_SOCKET"
#define REPLY_MAX		((size_t)CTL_REPLY_MAX)
#define REPLY_TIMEOUT_S		10	/* for each reply */
#define MESSAGE_MAX		1024	/* the daemon's error message, bytes */

enum {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,		/* ocmd said no (or the output failed) */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,		/* no connection, or no usable reply */
	GO_ON = -1,			/* not an exit status: carry on */
};

enum { OPT_COMMANDS = 256 };

struct options {
	const char *socket;
	bool json;
	bool quiet;
	const struct ctl_command *cmd;
	const struct view *view;
	const struct ctl_list *list;	/* the command's paged list, or NULL */
	const char *args[CTL_MAX_ARGS];	/* the positional arguments, in table order */
	int nargs;
	const char *limit, *after;	/* --limit, --after: one page only */
};

/* What connect() failing usually means here, and what to do about it. */
static const struct {
	int err;
	const char *hint;
} connect_hints[] = {
	{ ENOENT, "no such socket: is ocmd running? (or use -s)" },
	{ EACCES, "permission denied: run as root or as a member of group ocmd" },
	{ ECONNREFUSED, "nothing listens there: ocmd is not running" },
	{ EAGAIN, "ocmd has too many connections waiting: try again" },
};

/* Options that may follow the command; -q only where the view has a
 * table, --limit and --after only where the result is paged. */
enum cmd_opt { CO_HELP, CO_JSON, CO_QUIET, CO_LIMIT, CO_AFTER };
static const struct {
	const char *short_name, *long_name;
	enum cmd_opt id;
	bool value;			/* takes the next word, or "=VALUE" */
} cmd_options[] = {
	{ "-h", "--help", CO_HELP, false },
	{ "-j", "--json", CO_JSON, false },
	{ "-q", "--quiet", CO_QUIET, false },
	{ NULL, "--limit", CO_LIMIT, true },
	{ NULL, "--after", CO_AFTER, true },
};

/* ---- The command table as help text ------------------------------------- */

static int
command_nargs(const struct ctl_command *c, bool required_only)
{
	int n = 0;

	while (n < CTL_MAX_ARGS && c->args[n].name != NULL &&
	    (!required_only || c->args[n].required))
		n++;
	return n;
}

/* An argument's name as usage shows it: "ROOM". */
static const char *
arg_upper(const struct ctl_arg *a, char *buf, size_t len)
{
	size_t i;

	for (i = 0; a->name[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)a->name[i]);
	buf[i] = '\0';
	return buf;
}

/* "kick ROOM USER [REASON]", "list-rooms [-q] [--limit N] [--after ROOM]". */
static void
command_synopsis(const struct ctl_command *c, char *buf, size_t len)
{
	const struct ctl_list *l = ctl_list_find(c->id);
	size_t n = (size_t)snprintf(buf, len, "%s%s", c->name,
	    view_quiet_help(view_find(c)) != NULL ? " [-q]" : "");
	char arg[64];

	if (l != NULL && n < len)
		n += (size_t)snprintf(buf + n, len - n, " [--limit N] [--after %s]",
		    l->after_arg);

	for (int i = 0; i < command_nargs(c, false) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, c->args[i].required ? " %s" : " [%s]",
		    arg_upper(&c->args[i], arg, sizeof(arg)));
}

/* The commands of one access, as --help lists them. */
static void
usage_commands(enum ctl_access access, const char *what)
{
	char syn[256];

	printf("\n%s commands, for %s:\n", what, ctl_access_who(access));
	for (size_t i = 0; i < CTL_CMD_MAX_; i++) {
		if (ctl_commands[i].access != access)
			continue;
		command_synopsis(&ctl_commands[i], syn, sizeof(syn));
		printf("  %s\n        %s\n", syn, ctl_commands[i].summary);
	}
}

static void
usage(void)
{
	printf("usage: ocmctl [-s SOCKET] [-j|--json] COMMAND [ARGS]\n"
	    "       ocmctl COMMAND --help\n"
	    "Control a running ocmd through its control socket.\n\n"
	    "  -s, --socket SOCKET  the control socket (default: $" SOCKET_ENV ",\n"
	    "                       else " DEFAULT_SOCKET ")\n"
	    "  -j, --json           print the daemon's result as JSON\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n"
	    "      --commands       list the command names, one per line\n");
	usage_commands(CTL_READ, "Read");
	usage_commands(CTL_WRITE, "Write");
	printf("\nExit status: 0 done, 1 refused by ocmd, 2 usage error, 3 ocmd unreachable.\n");
}

/* The paging options; without them every page is fetched. */
static void
page_help(const struct ctl_list *l)
{
	char opt[32];

	printf("  %-14s at most N %s (1 to %u), in byte order of their names\n",
	    "--limit N", l->key, l->limit_max);
	snprintf(opt, sizeof(opt), "--after %s", l->after_arg);
	printf("  %-14s only the %s whose names sort after %s\n", opt, l->key, l->after_arg);
	printf("  %-14s Either prints one page and how to get the next; without them,\n"
	    "  %-14s every page is fetched and printed as one list.\n", "", "");
}

static void
command_help(const struct ctl_command *c)
{
	const struct ctl_list *l = ctl_list_find(c->id);
	const char *quiet = view_quiet_help(view_find(c));
	char syn[256], arg[64];

	command_synopsis(c, syn, sizeof(syn));
	printf("usage: ocmctl [-s SOCKET] [-j] %s\n%s\n\n", syn, c->summary);
	for (int i = 0; i < command_nargs(c, false); i++)
		printf("  %-14s %s%s\n", arg_upper(&c->args[i], arg, sizeof(arg)),
		    c->args[i].help, c->args[i].required ? "" : " (optional)");
	if (quiet != NULL)
		printf("  %-14s %s\n", "-q, --quiet", quiet);
	if (l != NULL)
		page_help(l);
	printf("  %-14s %s\n", "-j, --json", "print the daemon's result as JSON");
	printf("  %-14s %s\n", "-h, --help", "show this help and exit");
	if (c->access == CTL_WRITE)
		printf("\nThis command changes the daemon: it needs %s.\n"
		    "ocmd logs it with your uid and pid.\n", ctl_access_who(c->access));
	else
		printf("\nThis command only reads: it needs %s.\n", ctl_access_who(c->access));
}

static void
list_commands(FILE *f, const char *sep, const char *end)
{
	for (size_t i = 0; i < CTL_CMD_MAX_; i++)
		fprintf(f, "%s%s", i > 0 ? sep : "", ctl_commands[i].name);
	fputs(end, f);
}

static void usage_error(const struct ctl_command *c, const char *fmt, ...) OCM_PRINTF(2, 3);

/* The problem, then the command's usage line or a pointer to --help. */
static void
usage_error(const struct ctl_command *c, const char *fmt, ...)
{
	char syn[256];
	va_list ap;

	fputs("ocmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c != NULL) {
		command_synopsis(c, syn, sizeof(syn));
		fprintf(stderr, "\nusage: ocmctl [-s SOCKET] [-j] %s\n", syn);
	} else {
		fputs("\nTry 'ocmctl --help' for more information.\n", stderr);
	}
}

/* ---- argv --------------------------------------------------------------- */

/* Returns GO_ON, or the exit status of --help, --version, --commands or a
 * usage error. */
static int
parse_global(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "commands", no_argument, NULL, OPT_COMMANDS },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	/* "+": stop at the command; what follows it is parse_command's.
	 * ":": we say what is wrong, as "ocmctl", whatever argv[0] is. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:jhV", longopts, NULL)) != -1) {
		if (opt == 's') {
			o->socket = optarg;
		} else if (opt == 'j') {
			o->json = true;
		} else if (opt == 'h') {
			usage();
			return EXIT_DONE;
		} else if (opt == 'V') {
			printf("ocmctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return EXIT_DONE;
		} else if (opt == OPT_COMMANDS) {
			list_commands(stdout, "\n", "\n");
			return EXIT_DONE;
		} else {
			if (opt == ':')
				usage_error(NULL, "option '%s' needs an argument", argv[optind - 1]);
			else if (optopt != 0)
				usage_error(NULL, "unknown option '-%c'", optopt);
			else
				usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	return GO_ON;
}

/* --limit N or --after NAME, checked as ocmd would; GO_ON or EXIT_USAGE. */
static int
page_option(struct options *o, enum cmd_opt id, const char *value)
{
	char why[256];
	unsigned limit;
	int r;

	if (id == CO_LIMIT) {
		o->limit = value;
		r = ctl_limit_parse(o->list, value, &limit, why, sizeof(why));
	} else {
		o->after = value;
		r = ctl_after_check(value, why, sizeof(why));
	}
	if (r < 0) {
		usage_error(o->cmd, "%s: %s", o->cmd->name, why);
		return EXIT_USAGE;
	}
	return GO_ON;
}

/* The entry of an option word; *value is what follows "=" in
 * "--limit=5", else NULL. */
static int
option_find(const char *a, const char **value)
{
	*value = NULL;
	for (size_t i = 0; i < sizeof(cmd_options) / sizeof(cmd_options[0]); i++) {
		const char *name = cmd_options[i].long_name;
		size_t n = strlen(name);
		if ((cmd_options[i].short_name != NULL &&
		    strcmp(a, cmd_options[i].short_name) == 0) || strcmp(a, name) == 0)
			return (int)i;
		if (cmd_options[i].value && strncmp(a, name, n) == 0 && a[n] == '=') {
			*value = a + n + 1;
			return (int)i;
		}
	}
	return -1;
}

/* One option after the command, and its value (argv[*i + 1] unless
 * given with "="); returns GO_ON or an exit status. */
static int
command_option(struct options *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *value;
	int k = option_find(a, &value);

	if (k < 0 || (cmd_options[k].id == CO_QUIET && view_quiet_help(o->view) == NULL) ||
	    (cmd_options[k].value && o->list == NULL)) {
		usage_error(o->cmd, "%s: unknown option '%s' (put -- before an argument that "
		    "starts with '-')", o->cmd->name, a);
		return EXIT_USAGE;
	}
	switch (cmd_options[k].id) {
	case CO_HELP:
		command_help(o->cmd);
		return EXIT_DONE;
	case CO_JSON:
		o->json = true;
		return GO_ON;
	case CO_QUIET:
		o->quiet = true;
		return GO_ON;
	case CO_LIMIT:
	case CO_AFTER:
		break;
	}
	if (value != NULL)
		return page_option(o, cmd_options[k].id, value);
	if (*i + 1 == argc) {
		usage_error(o->cmd, "%s: option '%s' needs an argument", o->cmd->name, a);
		return EXIT_USAGE;
	}
	return page_option(o, cmd_options[k].id, argv[++*i]);
}

static int
parse_command(int argc, char **argv, struct options *o)
{
	bool options_done = false;
	int rc;

	for (int i = optind + 1; i < argc; i++) {
		const char *a = argv[i];
		if (!options_done && strcmp(a, "--") == 0) {
			options_done = true;
		} else if (!options_done && a[0] == '-' && a[1] != '\0') {
			if ((rc = command_option(o, argc, argv, &i)) != GO_ON)
				return rc;
		} else if (o->nargs == command_nargs(o->cmd, false)) {
			usage_error(o->cmd, "%s: unexpected argument '%s'", o->cmd->name, a);
			return EXIT_USAGE;
		} else {
			o->args[o->nargs++] = a;
		}
	}
	if (o->nargs < command_nargs(o->cmd, true)) {
		char arg[64];
		usage_error(o->cmd, "%s: missing %s (%s)", o->cmd->name,
		    arg_upper(&o->cmd->args[o->nargs], arg, sizeof(arg)),
		    o->cmd->args[o->nargs].help);
		return EXIT_USAGE;
	}
	if (o->json && o->quiet) {
		usage_error(o->cmd, "%s: -q and --json exclude each other", o->cmd->name);
		return EXIT_USAGE;
	}
	return GO_ON;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	const char *env = getenv(SOCKET_ENV);
	int rc;

	memset(o, 0, sizeof(*o));
	o->socket = env != NULL && env[0] != '\0' ? env : DEFAULT_SOCKET;
	if ((rc = parse_global(argc, argv, o)) != GO_ON)
		return rc;
	if (optind == argc || (o->cmd = ctl_command_find(argv[optind])) == NULL) {
		if (optind == argc)
			fputs("ocmctl: no command given; the commands are:\n  ", stderr);
		else
			fprintf(stderr, "ocmctl: unknown command '%s'; the commands are:\n  ",
			    argv[optind]);
		list_commands(stderr, ", ", "\nTry 'ocmctl --help' for more information.\n");
		return EXIT_USAGE;
	}
	o->view = view_find(o->cmd);
	o->list = ctl_list_find(o->cmd->id);
	return parse_command(argc, argv, o);
}

/* The paging arguments: the page asked for, or the one after `after`. */
static int
request_page(const struct options *o, json_t *args, const char *after)
{
	json_t *s;

	if (o->limit != NULL)
		json_object_set_new(args, "limit", json_string(o->limit));
	if (after == NULL)
		return 0;
	if ((s = json_string(after)) == NULL) {
		usage_error(o->cmd, "%s: --after is not valid UTF-8", o->cmd->name);
		return -1;
	}
	json_object_set_new(args, "after", s);
	return 0;
}

/* The request line for the page after `after` (NULL: the first), or
 * NULL after a usage error. */
static char *
request_build(const struct options *o, const char *after)
{
	json_t *args = json_object(), *s;
	char *line, arg[64];

	for (int i = 0; i < o->nargs; i++) {
		if ((s = json_string(o->args[i])) == NULL) {
			usage_error(o->cmd, "%s: %s is not valid UTF-8", o->cmd->name,
			    arg_upper(&o->cmd->args[i], arg, sizeof(arg)));
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, o->cmd->args[i].name, s);
	}
	if (request_page(o, args, after) < 0) {
		json_decref(args);
		return NULL;
	}
	line = ctl_request_build(o->cmd->name, args);
	json_decref(args);
	if (line == NULL) {
		fputs("ocmctl: out of memory\n", stderr);
		exit(EXIT_REFUSED);
	}
	if (strlen(line) > CTL_LINE_MAX) {
		usage_error(o->cmd, "%s: the arguments are too long (a request is at most "
		    "%d bytes)", o->cmd->name, CTL_LINE_MAX);
		free(line);
		return NULL;
	}
	return line;
}

/* ---- The exchange ------------------------------------------------------- */

struct conn {
	int fd;
	const char *path;
	struct timespec deadline;	/* CLOCK_MONOTONIC, of the reply awaited */
};

static void
conn_arm(struct conn *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += REPLY_TIMEOUT_S;
}

/* Returns GO_ON with c->fd connected, or EXIT_UNREACHABLE (or EXIT_USAGE
 * for a path that cannot be a socket's) after saying why. */
static int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
	const char *why;

	c->path = path;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		usage_error(NULL, "socket path %s is too long (at most %zu bytes)", path,
		    sizeof(sun.sun_path) - 1);
		return EXIT_USAGE;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "ocmctl: socket: %s\n", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	/* Bounds connect() too: it waits while ocmd's backlog is full. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) == 0)
		return GO_ON;
	why = strerror(errno);
	for (size_t i = 0; i < sizeof(connect_hints) / sizeof(connect_hints[0]); i++)
		if (connect_hints[i].err == errno)
			why = connect_hints[i].hint;
	fprintf(stderr, "ocmctl: cannot connect to %s: %s\n", path, why);
	close(c->fd);
	c->fd = -1;
	return EXIT_UNREACHABLE;
}

/* Waits for events until the deadline: 1 ready, 0 timed out, -1 error. */
static int
conn_wait(const struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	struct timespec now;
	long ms;
	int n;

	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (c->deadline.tv_sec - now.tv_sec) * 1000 +
		    (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return 0;
		n = poll(&pfd, 1, (int)ms);
	} while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Sends the request.  A peer that refuses at once (permission_denied) may
 * reply and close before reading it all, so a reset here is not an error:
 * the reply may already wait in our receive buffer.
 */
static void
conn_send(const struct conn *c, const char *line)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (conn_wait(c, POLLOUT) <= 0)
				break;
		} else {
			if (errno != EPIPE && errno != ECONNRESET)
				fprintf(stderr, "ocmctl: sending to %s: %s\n", c->path,
				    strerror(errno));
			break;
		}
	}
}

/* Room for more of the reply; NULL, or why there is none. */
static const char *
reply_grow(char **buf, size_t *cap)
{
	static char too_large[64];
	size_t ncap = *cap == 0 ? 4096 : *cap * 4;
	char *p;

	if (*cap == REPLY_MAX) {
		snprintf(too_large, sizeof(too_large), "the reply is larger than %zu bytes",
		    REPLY_MAX);
		return too_large;
	}
	if (ncap > REPLY_MAX)
		ncap = REPLY_MAX;
	if ((p = realloc(*buf, ncap)) == NULL)
		return "out of memory";
	*buf = p;
	*cap = ncap;
	return NULL;
}

/* Reads up to the first newline; returns GO_ON with *line (malloc'ed,
 * NUL-terminated in place of the newline) and *len, or EXIT_UNREACHABLE. */
static int
conn_read_line(const struct conn *c, char **line, size_t *len)
{
	size_t cap = 0, used = 0;
	char *buf = NULL, *nl = NULL;
	const char *why = NULL;
	char timed_out[64];
	ssize_t n;

	snprintf(timed_out, sizeof(timed_out), "no reply within %d s", REPLY_TIMEOUT_S);
	while (nl == NULL && why == NULL) {
		if (used == cap && (why = reply_grow(&buf, &cap)) != NULL)
			break;
		n = recv(c->fd, buf + used, cap - used, 0);
		if (n > 0) {
			nl = memchr(buf + used, '\n', (size_t)n);
			used += (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			why = n == 0 || errno == ECONNRESET ?
			    "ocmd closed the connection without a reply" : strerror(errno);
		} else if ((n = conn_wait(c, POLLIN)) <= 0) {
			why = n == 0 ? timed_out : strerror(errno);
		}
	}
	if (nl == NULL) {
		fprintf(stderr, "ocmctl: %s: %s\n", c->path, why);
		free(buf);
		return EXIT_UNREACHABLE;
	}
	*nl = '\0';
	*line = buf;
	*len = (size_t)(nl - buf);
	return GO_ON;
}

/* ---- The reply ---------------------------------------------------------- */

static const struct output *
output_of(const struct options *o)
{
	return o->json ? &output_json : o->quiet ? &output_quiet : &output_text;
}

/* The result in a reply line: GO_ON with *result, or the exit status
 * after saying what went wrong. */
static int
reply_result(const struct options *o, const char *line, size_t len, json_t **result)
{
	char message[MESSAGE_MAX];
	enum ctl_error err;
	bool ok;

	if (ctl_reply_parse(line, len, &ok, result, &err, message, sizeof(message)) < 0) {
		fprintf(stderr, "ocmctl: ocmd sent something that is not a reply\n");
		return EXIT_UNREACHABLE;
	}
	if (!ok) {
		output_of(o)->error(ctl_error_str(err), message);
		return EXIT_REFUSED;
	}
	return GO_ON;
}

/* One request and its reply on c: GO_ON with *result, or an exit status. */
static int
exchange(const struct options *o, struct conn *c, const char *request, json_t **result)
{
	char *reply = NULL;
	size_t len = 0;
	int rc;

	conn_arm(c);
	conn_send(c, request);
	rc = conn_read_line(c, &reply, &len);
	if (rc == GO_ON)
		rc = reply_result(o, reply, len, result);
	free(reply);
	return rc;
}

/*
 * The "next" of a page after `after` into *next, NULL when it is the
 * last; GO_ON, or EXIT_UNREACHABLE for a page that says more follow but
 * not where from (a next not after `after` would never end).
 */
static int
page_next(json_t *page, const char *after, const char **next)
{
	*next = json_string_value(json_object_get(page, "next"));
	if (!json_is_true(json_object_get(page, "more"))) {
		*next = NULL;
		return GO_ON;
	}
	if (*next == NULL || (after != NULL && name_cmp((const uint8_t *)*next,
	    strlen(*next), (const uint8_t *)after, strlen(after)) <= 0)) {
		fprintf(stderr, "ocmctl: ocmd said that more follow, but not after which "
		    "name\n");
		return EXIT_UNREACHABLE;
	}
	return GO_ON;
}

/*
 * Every page of o->list, one request after the other on c, the rows of
 * each appended to the first's; the result then says no more follow.
 * A page that comes back refused (a room closed on the way, say) ends it.
 */
static int
fetch_all(const struct options *o, struct conn *c, const char *request, json_t **result)
{
	json_t *page = NULL;
	char *after = NULL, *line;
	const char *next = NULL;
	int rc = exchange(o, c, request, result);

	while (rc == GO_ON && (rc = page_next(page != NULL ? page : *result, after,
	    &next)) == GO_ON && next != NULL) {
		free(after);
		after = strdup(next);
		json_decref(page);
		page = NULL;
		if (after == NULL || (line = request_build(o, after)) == NULL) {
			fputs("ocmctl: out of memory\n", stderr);
			exit(EXIT_REFUSED);
		}
		rc = exchange(o, c, line, &page);
		free(line);
		if (rc == GO_ON)
			json_array_extend(json_object_get(*result, o->list->key),
			    json_object_get(page, o->list->key));
	}
	json_decref(page);
	free(after);
	if (rc == GO_ON) {
		json_object_set_new(*result, "more", json_false());
		json_object_del(*result, "next");
	}
	return rc;
}

static int
result_print(const struct options *o, json_t *result)
{
	const struct output *out = output_of(o);

	if (out->result(o->view, result) < 0 ||
	    (o->list != NULL && (o->limit != NULL || o->after != NULL) &&
	    out->page(o->list, result) < 0)) {
		fprintf(stderr, "ocmctl: cannot write the output: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return EXIT_DONE;
}

static int
run(const struct options *o)
{
	struct conn c = { .fd = -1 };
	json_t *result = NULL;
	char *request;
	int rc;

	if ((request = request_build(o, o->after)) == NULL)
		return EXIT_USAGE;
	rc = conn_open(&c, o->socket);
	if (rc == GO_ON && o->list != NULL && o->limit == NULL && o->after == NULL)
		rc = fetch_all(o, &c, request, &result);
	else if (rc == GO_ON)
		rc = exchange(o, &c, request, &result);
	if (rc == GO_ON)
		rc = result_print(o, result);
	if (c.fd >= 0)
		close(c.fd);
	json_decref(result);
	free(request);
	return rc;
}

/* --help into a full disk is a failure too. */
static int
finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == EXIT_DONE)
			fprintf(stderr, "ocmctl: cannot write the output: %s\n", strerror(errno));
		return rc == EXIT_DONE ? EXIT_REFUSED : rc;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	int rc;

	if ((rc = parse_args(argc, argv, &o)) != GO_ON)
		return finish(rc);
	output_init();
	return finish(run(&o));
}
