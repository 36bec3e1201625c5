/*
 * main.c: ocm-client, the OCM chat client.  This file turns the command
 * line, and the answers to what it had to ask, into one TCRP request;
 * session.c sends it.  LIST_ROOMS is printed here; a successful CREATE or
 * JOIN is handed to chat.c, which runs the room session.  Whatever the
 * server sent is printed through lib/text.c's policy, as in chat.c: on a
 * terminal every control and format character is '?', and JSON spells
 * them as escapes, so that no peer can drive or reorder what a terminal
 * shows.  Passwords come from the terminal (no echo), OCM_PASSWORD or
 * --password-file, never from argv, and are wiped as soon as they are
 * sent.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <locale.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client/chat.h"
#include "client/session.h"
#include "lib/log.h"
#include "lib/text.h"

#define DEFAULT_HOST		"localhost"
#define TCRP_TIMEOUT_MS		10000
#define PASSWORD_TRIES		3
#define LINE_FULL		(-2)	/* tty_read_line: longer than the buffer */

struct options {
	struct server_opts srv;
	const char *user;
	const char *room;
	uint8_t op;			/* TCRP_OP_*; 0: ask */
	const char *password_file;
	const char *after;		/* -l --after ROOM */
	bool json;
	bool interactive;		/* stdin is a terminal: we may ask */
};

enum password_source {
	PASSWORD_NONE,			/* nothing given and nobody to ask: "" */
	PASSWORD_FILE,
	PASSWORD_ENV,
	PASSWORD_TERMINAL,
};

enum {
	OPT_PASSWORD_FILE = 256,
	OPT_CA_FILE,
	OPT_KNOWN_SERVERS,
	OPT_JSON,
	OPT_AFTER,
};

static volatile sig_atomic_t interrupted;

static void usage_error(const char *fmt, ...) OCM_PRINTF(1, 2);

static void
usage(void)
{
	printf("usage: ocm-client [-s HOST] [-p PORT] [-u NAME] [-c ROOM | -j ROOM | -l]\n"
	    "                  [--after ROOM] [--password-file FILE] [--ca-file FILE]\n"
	    "                  [--known-servers FILE] [--json]\n"
	    "Chat in a room of an OCM server.\n\n"
	    "  -s, --server HOST         the server (default: " DEFAULT_HOST ")\n"
	    "  -p, --port PORT           its TCP port (default: %d)\n"
	    "  -u, --user NAME           your name in the room\n"
	    "  -c, --create ROOM         create ROOM and be its host\n"
	    "  -j, --join ROOM           join ROOM\n"
	    "  -l, --list                list the rooms (the first %d) and exit\n"
	    "      --after ROOM          with -l: list the rooms whose names sort after ROOM\n"
	    "      --password-file FILE  the room password is the first line of FILE\n"
	    "      --ca-file FILE        verify the server with these CA certificates\n"
	    "                            instead of trusting its key on first use\n"
	    "      --known-servers FILE  where server keys are pinned (default:\n"
	    "                            $XDG_CONFIG_HOME/ocm/known_servers)\n"
	    "      --json                print events as JSON lines, for scripts\n"
	    "  -h, --help                show this help and exit\n"
	    "  -V, --version             show the version and exit\n\n"
	    "What is not given is asked for on the terminal.  The password is never\n"
	    "taken from the command line: it is asked for without echo, or read from\n"
	    "OCM_PASSWORD or --password-file.  In a room, /help lists the commands.\n",
	    OCM_DEFAULT_PORT, LIST_ROOMS_MAX);
}

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ocm-client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ocm-client --help' for more information.\n", stderr);
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < 1 || v > 65535) {
		usage_error("invalid port '%s': give a number from 1 to 65535", s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

static int
set_op(struct options *o, uint8_t op, const char *room)
{
	if (o->op != 0 && o->op != op) {
		usage_error("-c, -j and -l exclude each other: give one of them");
		return -1;
	}
	o->op = op;
	o->room = room;
	return 0;
}

/* One option; returns 0, or -1 after a usage error. */
static int
set_option(struct options *o, int opt, char *arg)
{
	switch (opt) {
	case 's': o->srv.host = arg; return 0;
	case 'p': return parse_port(arg, &o->srv.port);
	case 'u': o->user = arg; return 0;
	case 'c': return set_op(o, TCRP_OP_CREATE_ROOM, arg);
	case 'j': return set_op(o, TCRP_OP_JOIN_ROOM, arg);
	case 'l': return set_op(o, TCRP_OP_LIST_ROOMS, NULL);
	case OPT_PASSWORD_FILE: o->password_file = arg; return 0;
	case OPT_CA_FILE: o->srv.ca_file = arg; return 0;
	case OPT_KNOWN_SERVERS: o->srv.known_servers = arg; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_AFTER: o->after = arg; return 0;
	default: return -1;	/* getopt_long has said what is wrong */
	}
}

/* Returns -1 to go on, or the exit status (--help, --version, errors). */
static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "create", required_argument, NULL, 'c' },
		{ "join", required_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "known-servers", required_argument, NULL, OPT_KNOWN_SERVERS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->srv.host = DEFAULT_HOST;
	o->srv.port = OCM_DEFAULT_PORT;
	o->srv.timeout_ms = TCRP_TIMEOUT_MS;
	while ((opt = getopt_long(argc, argv, "s:p:u:c:j:lhV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage();
			return CLIENT_EXIT_LEFT;
		}
		if (opt == 'V') {
			printf("ocm-client (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return CLIENT_EXIT_LEFT;
		}
		if (set_option(o, opt, optarg) < 0) {
			if (opt == '?' || opt == ':')
				fputs("Try 'ocm-client --help' for more information.\n", stderr);
			return CLIENT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
		return CLIENT_EXIT_USAGE;
	}
	if (o->after != NULL && o->op != TCRP_OP_LIST_ROOMS) {
		usage_error("--after goes with -l: it says where the list starts");
		return CLIENT_EXIT_USAGE;
	}
	o->interactive = isatty(STDIN_FILENO);
	return -1;
}

/* ---- Asking on the terminal --------------------------------------------- */

static void
on_signal(int signo)
{
	(void)signo;
	interrupted = 1;
}

/* Until chat.c takes signals over: interrupt prompts and I/O, not us, so
 * that the terminal gets its echo back. */
static void
signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * One line from the terminal into buf, without its newline.  Returns its
 * length, -1 at end of input or on a signal, or LINE_FULL when it did not
 * fit in cap - 1 bytes.  read() byte by byte: no stdio buffer may swallow
 * what is typed after it.
 */
static long
tty_read_line(char *buf, size_t cap)
{
	size_t len = 0;
	bool full = false;
	char ch;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, &ch, 1);
		if (n < 0 && errno == EINTR && !interrupted)
			continue;
		if (n < 0 || (n == 0 && len == 0) || interrupted)
			return -1;
		if (n == 0 || ch == '\n')
			break;
		if (len + 1 < cap)
			buf[len++] = ch;
		else
			full = true;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return full ? LINE_FULL : (long)len;
}

static long
ask(const char *question, char *buf, size_t cap)
{
	fputs(question, stderr);
	fflush(stderr);
	long n = tty_read_line(buf, cap);
	if (n == -1)
		fputc('\n', stderr);
	return n;
}

/* The terminal's echo is off while the password is typed. */
static long
ask_password(const char *question, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool restore = tcgetattr(STDIN_FILENO, &old) == 0;

	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	long n = ask(question, buf, cap);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return n;
}

/* Whether s is a valid room or user name; why says what is wrong. */
static bool
name_check(const char *what, const char *s, long len, char *why, size_t cap)
{
	if (len == 0)
		snprintf(why, cap, "the %s is empty", what);
	else if (len == LINE_FULL || len > OCM_NAME_MAX)
		snprintf(why, cap, "the %s is longer than %d bytes", what, OCM_NAME_MAX);
	else if (!name_valid((const uint8_t *)s, (size_t)len))
		snprintf(why, cap, "the %s must be UTF-8 without control characters "
		    "(U+0000..U+001F, U+007F..U+009F)", what);
	else
		return true;
	return false;
}

/*
 * A name from the command line (checked: a bad one is a usage error) or,
 * on a terminal, asked for until it is valid.  Returns 0 or an exit status.
 */
static int
want_name(const struct options *o, const char *given, const char *what, const char *flag,
    const char *question, char out[OCM_NAME_MAX + 1])
{
	char why[128], buf[OCM_NAME_MAX + 2];	/* one more: "too long" */

	if (given != NULL) {
		if (!name_check(what, given, (long)strlen(given), why, sizeof(why))) {
			usage_error("%s (%s)", why, flag);
			return CLIENT_EXIT_USAGE;
		}
		snprintf(out, OCM_NAME_MAX + 1, "%s", given);
		return 0;
	}
	if (!o->interactive) {
		fprintf(stderr, "ocm-client: no %s given: use %s (stdin is not a terminal, "
		    "so it cannot be asked for)\n", what, flag);
		return CLIENT_EXIT_USAGE;
	}
	for (;;) {
		long n = ask(question, buf, sizeof(buf));
		if (n == -1)
			return CLIENT_EXIT_ERROR;
		if (name_check(what, buf, n, why, sizeof(why))) {
			memcpy(out, buf, (size_t)n + 1);
			return 0;
		}
		fprintf(stderr, "ocm-client: %s\n", why);
	}
}

static int
want_op(struct options *o)
{
	char answer[16];

	if (o->op != 0)
		return 0;
	if (!o->interactive) {
		fprintf(stderr, "ocm-client: nothing to do: use -c ROOM to create a room, "
		    "-j ROOM to join one, or -l to list them (stdin is not a terminal, so it "
		    "cannot be asked for)\n");
		return CLIENT_EXIT_USAGE;
	}
	for (;;) {
		long n = ask("Create a room (1) or join one (2)? ", answer, sizeof(answer));
		if (n == -1)
			return CLIENT_EXIT_ERROR;
		if (strcmp(answer, "1") == 0 || strcmp(answer, "c") == 0 ||
		    strcmp(answer, "create") == 0)
			o->op = TCRP_OP_CREATE_ROOM;
		else if (strcmp(answer, "2") == 0 || strcmp(answer, "j") == 0 ||
		    strcmp(answer, "join") == 0)
			o->op = TCRP_OP_JOIN_ROOM;
		else
			fprintf(stderr, "ocm-client: answer 1 to create a room, 2 to join one\n");
		if (o->op != 0)
			return 0;
	}
}

/* ---- The password ------------------------------------------------------- */

static int
password_set(struct tcrp_request *req, const char *s, size_t len, const char *from)
{
	if (len > OCM_PASSWORD_MAX) {
		fprintf(stderr, "ocm-client: the password %s is longer than %d bytes\n", from,
		    OCM_PASSWORD_MAX);
		return -1;
	}
	memcpy(req->password, s, len);
	req->password[len] = '\0';
	req->password_len = len;
	return 0;
}

static int
password_from_file(const char *file, struct tcrp_request *req)
{
	FILE *f = fopen(file, "re");
	char *line = NULL, from[64 + PATH_MAX];
	size_t cap = 0;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "ocm-client: cannot read the password file %s: %s\n", file,
		    strerror(errno));
		return -1;
	}
	ssize_t n = getline(&line, &cap, f);
	if (n < 0 && ferror(f))
		fprintf(stderr, "ocm-client: cannot read the password file %s: %s\n", file,
		    strerror(errno));
	else {
		size_t len = n < 0 ? 0 : (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		snprintf(from, sizeof(from), "in %s", file);
		rc = password_set(req, len > 0 ? line : "", len, from);
	}
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	fclose(f);
	return rc;
}

/* A new room's password is typed twice: a typo would lock everyone out. */
static int
password_ask(const struct tcrp_request *req, struct tcrp_request *out)
{
	char pw[OCM_PASSWORD_MAX + 2], again[OCM_PASSWORD_MAX + 2], q[OCM_NAME_MAX + 64];
	bool create = req->operation == TCRP_OP_CREATE_ROOM;
	int rc = -1;

	snprintf(q, sizeof(q), create ? "Password for the new room '%s' (empty: none): " :
	    "Password for room '%s': ", req->room);
	for (int i = 0; i < PASSWORD_TRIES && rc < 0; i++) {
		long n = ask_password(q, pw, sizeof(pw));
		if (n == -1)
			break;
		if (n == LINE_FULL) {
			fprintf(stderr, "ocm-client: the password is longer than %d bytes\n",
			    OCM_PASSWORD_MAX);
			continue;
		}
		if (create && n > 0 && (ask_password("Password again: ", again, sizeof(again)) != n ||
		    memcmp(pw, again, (size_t)n) != 0)) {
			if (interrupted)
				break;
			fprintf(stderr, "ocm-client: the passwords differ; again, please\n");
			continue;
		}
		rc = password_set(out, pw, (size_t)n, "typed");
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

static int
password_get(const struct options *o, struct tcrp_request *req, enum password_source *src)
{
	const char *env = getenv("OCM_PASSWORD");

	if (o->password_file != NULL) {
		*src = PASSWORD_FILE;
		return password_from_file(o->password_file, req);
	}
	if (env != NULL) {
		*src = PASSWORD_ENV;
		return password_set(req, env, strlen(env), "in OCM_PASSWORD");
	}
	if (o->interactive) {
		*src = PASSWORD_TERMINAL;
		return password_ask(req, req);
	}
	*src = PASSWORD_NONE;
	return password_set(req, "", 0, "");
}

/* ---- Talking to the server ---------------------------------------------- */

/* One TCRP exchange (one per page of LIST_ROOMS, up to the bounds); the
 * password is wiped whatever happens.  Returns 0 when the server answered
 * (res->code says how) or an exit status. */
static int
request_send(const struct options *o, struct tcrp_request *req, struct tcrp_result *res)
{
	char err[CLIENT_ERR_MAX];
	int r = req->operation == TCRP_OP_LIST_ROOMS ? tcrp_list_rooms(&o->srv, o->after, res, err) :
	    tcrp_call(&o->srv, req, res, err);

	OPENSSL_cleanse(req->password, sizeof(req->password));
	req->password_len = 0;
	if (r == 0 && !interrupted)
		return 0;
	if (r == 0)
		tcrp_result_clear(res);
	client_say(interrupted ? "interrupted" : err);
	return CLIENT_EXIT_ERROR;
}

/* The server's message already says what to do ("create it with -c"). */
static int
refused(struct tcrp_result *res, enum password_source src)
{
	client_say(res->message[0] != '\0' ? res->message : tcrp_code_str(res->code));
	if (res->code == TCRP_CODE_BAD_PASSWORD && src == PASSWORD_NONE)
		fprintf(stderr, "ocm-client: no password was given: put it in a file for "
		    "--password-file, or in OCM_PASSWORD\n");
	if (res->code == TCRP_CODE_UNAVAILABLE)
		fprintf(stderr, "ocm-client: the server cannot decide now; try again later\n");
	tcrp_result_clear(res);
	return CLIENT_EXIT_ERROR;
}

static int
room_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tcrp_room_info *)a)->name,
	    ((const struct tcrp_room_info *)b)->name);
}

/* Where a cut list stopped: its greatest name, as it is sorted by now. */
static const char *
list_last(const struct tcrp_result *res)
{
	return res->rooms[res->n_rooms - 1].name;
}

/* s in single quotes for a POSIX shell, a quote inside as '\''. */
static void
print_shell_quoted(const char *s)
{
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* The names as the server sent them: controls and format characters are
 * JSON escapes in the text printed, so that a script reads the names
 * unchanged (and can give "next" to --after) while the terminal sees only
 * ASCII in their place. */
static void
rooms_print_json(const struct tcrp_result *res)
{
	json_t *rooms = json_array();

	for (size_t i = 0; i < res->n_rooms; i++)
		json_array_append_new(rooms, json_pack("{s:s, s:I, s:b}",
		    "name", res->rooms[i].name, "members", (json_int_t)res->rooms[i].members,
		    "password", res->rooms[i].password));
	json_t *top = json_pack("{s:o, s:b}", "rooms", rooms, "more", res->rooms_more);
	if (res->rooms_more)
		json_object_set_new(top, "next", json_string(list_last(res)));
	char *s = json_dumps(top, JSON_COMPACT);
	char *safe = s != NULL ? text_sanitize_dup(s, &text_style_json) : NULL;
	if (safe != NULL)
		printf("%s\n", safe);
	free(safe);
	free(s);
	json_decref(top);
}

/*
 * Each name as the terminal is to show it (text_style_terminal), in its
 * place: a '?' takes no more bytes than the character it replaces.  A '?'
 * also sorts before any byte it replaces (a C1 control or format
 * character starts at 0xc2 or above, DEL is 0x7f), so that --after with a
 * name as shown lists a room again rather than skip any.
 */
static void
rooms_shown(struct tcrp_result *res)
{
	char buf[OCM_NAME_MAX + 1];

	for (size_t i = 0; i < res->n_rooms; i++) {
		char *name = res->rooms[i].name;
		size_t n = text_sanitize((const uint8_t *)name, strlen(name), &text_style_terminal,
		    buf, sizeof(buf));
		memcpy(name, buf, n + 1);
	}
}

/* Columns sized from the data; names are padded by their screen width. */
static void
rooms_print_table(struct tcrp_result *res)
{
	size_t w = strlen("NAME");

	rooms_shown(res);
	for (size_t i = 0; i < res->n_rooms; i++) {
		size_t rw = text_width(res->rooms[i].name);
		w = rw > w ? rw : w;
	}
	printf("%-*s  MEMBERS  PASSWORD\n", (int)w, "NAME");
	for (size_t i = 0; i < res->n_rooms; i++) {
		const struct tcrp_room_info *r = &res->rooms[i];
		printf("%s%*s  %7u  %s\n", r->name, (int)(w - text_width(r->name)), "",
		    r->members, r->password ? "yes" : "no");
	}
	if (res->rooms_more) {
		printf("... and more rooms: showing the first %zu; list the next with -l --after ",
		    res->n_rooms);
		print_shell_quoted(list_last(res));
		putchar('\n');
	}
}

static int
list_rooms(const struct options *o)
{
	struct tcrp_request req = { .operation = TCRP_OP_LIST_ROOMS };
	struct tcrp_result res;
	int rc = request_send(o, &req, &res);

	if (rc != 0)
		return rc;
	if (res.code != TCRP_CODE_OK)
		return refused(&res, PASSWORD_NONE);
	if (res.n_rooms > 0)
		qsort(res.rooms, res.n_rooms, sizeof(res.rooms[0]), room_cmp);
	if (o->json)
		rooms_print_json(&res);
	else
		rooms_print_table(&res);
	tcrp_result_clear(&res);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "ocm-client: cannot write the list: %s\n", strerror(errno));
		return CLIENT_EXIT_ERROR;
	}
	return 0;
}

/* Who, what and where: from the command line, or asked for. */
static int
request_fill(struct options *o, struct tcrp_request *req)
{
	int rc = want_name(o, o->user, "user name", "-u NAME", "Your name: ", req->user);

	if (rc == 0)
		rc = want_op(o);
	if (rc == 0)
		rc = want_name(o, o->room, "room name", "-c ROOM or -j ROOM", "Room: ",
		    req->room);
	if (rc != 0)
		return rc;
	req->operation = o->op;
	req->user_len = (uint8_t)strlen(req->user);
	req->room_len = (uint8_t)strlen(req->room);
	return 0;
}

/* CREATE or JOIN, asking the password again while it is wrong. */
static int
enter_room(struct options *o)
{
	struct tcrp_request req;
	struct tcrp_result res;
	struct chat_opts co = { .json = o->json };
	enum password_source src;
	int rc;

	memset(&req, 0, sizeof(req));
	if ((rc = request_fill(o, &req)) != 0)
		return rc;
	for (int tries = 1;; tries++) {
		if (password_get(o, &req, &src) < 0) {
			OPENSSL_cleanse(req.password, sizeof(req.password));
			return CLIENT_EXIT_ERROR;
		}
		if ((rc = request_send(o, &req, &res)) != 0)
			return rc;
		if (res.code == TCRP_CODE_OK)
			break;
		if (res.code != TCRP_CODE_BAD_PASSWORD || src != PASSWORD_TERMINAL ||
		    tries == PASSWORD_TRIES)
			return refused(&res, src);
		client_say(res.message);
		tcrp_result_clear(&res);
	}
	rc = chat_run(&co, &o->srv, &req, &res);
	tcrp_result_clear(&res);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	int rc;

	setlocale(LC_CTYPE, "");
	log_init("ocm-client", LOG_LEVEL_WARN);
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	signals_init();
	if (o.op == TCRP_OP_LIST_ROOMS)
		return list_rooms(&o);
	return enter_room(&o);
}
