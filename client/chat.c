/*
 * chat.c: the room session of ocm-client, from the first PING to CLOSED.
 * One poll loop watches the UDP socket, a signalfd and, once the server
 * has answered, stdin; its timeout is the one room_timers() asks for.
 * room.c (shared with ocm-gtk) runs the protocol: keepalive, lost server,
 * LEAVE, and the handlers of received plaintexts, whose events come here
 * and go to an output vtable: text lines or JSON lines, the same code path
 * for both (as bgpctl does).  On a terminal, input is GNU readline's
 * callback interface and output is printed above the line being typed.
 * Text from the network reaches the output as room.c cleaned it (valid
 * UTF-8, controls as '?'); the text output then shows format characters
 * (bidi and invisible ones) as '?' too, and the JSON output spells them as
 * escapes, so that a peer can neither drive nor reorder the terminal.
 */
#include "client/chat.h"
#include "client/room.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "lib/log.h"
#include "lib/text.h"

#define IN_BUF_MAX	16384	/* a longer stdin line cannot be a message */

#define SGR_RESET	"\033[0m"
#define SGR_BOLD	"\033[1m"
#define SGR_DIM		"\033[2m"
#define SGR_RED		"\033[1;31m"

struct chat;

/* What a received NOTICE code means, in each output format. */
struct notice_form {
	const char *event;	/* JSON "event" */
	const char *verb;	/* text: "* NAME verb"; NULL: REJECTED */
};

struct command {
	const char *name;	/* without the '/' */
	const char *help;
	void (*run)(struct chat *);
};

/* One event, two renderings: text (terminal or pipe) or JSON lines. */
struct out_ops {
	void (*chat)(struct chat *, const char *from, const char *text, bool own);
	void (*online)(struct chat *);
	void (*notice)(struct chat *, const struct notice_form *, const char *name,
	    const char *text);
	void (*members)(struct chat *, json_t *members);
	void (*closed)(struct chat *, const char *reason, const char *text,
	    bool left);
	void (*error)(struct chat *, const char *text);
	void (*help)(struct chat *, const struct command *cmds, size_t n);
};

struct chat {
	struct room r;
	const struct tcrp_session *session;	/* COMPLETE: host, members */
	const struct out_ops *out;
	bool tty;		/* readline on a terminal; else pipe mode */
	bool color;
	bool fancy;		/* the terminal understands cursor movement */
	bool stdin_done;
	bool stdout_gone;	/* EPIPE: nobody reads the events any more */
	bool rl_active;		/* readline's handler is installed */
	bool in_handler;	/* inside it: readline has moved past the line */
	int status;		/* enum client_exit once decided; -1 before */
	int sig_fd;
	sigset_t old_mask;
	char final[OCM_MAX_DATAGRAM + 128];	/* for stderr, after the terminal */
	char room_shown[OCM_NAME_MAX + 1];	/* the room's and the user's names */
	char user_shown[OCM_NAME_MAX + 1];	/* as the terminal shows them */
	char shown[2][OCM_MAX_DATAGRAM + 1];	/* shown()'s: two strings a line */
	char prompt[OCM_NAME_MAX + 3];
	bool in_skip;		/* dropping the rest of an overlong line */
	size_t in_len;
	char in[IN_BUF_MAX + 1];
};

static void chat_error(struct chat *c, const char *fmt, ...) OCM_PRINTF(2, 3);
static void chat_line(struct chat *c, char *line, size_t len);
static void chat_leave(struct chat *c);

/* ---- Text from the network ------------------------------------------- */

/* The terminal's style for chat text, which keeps its TABs. */
static const struct text_style terminal_tab_style = {
	.control = TEXT_QUESTION,
	.format = TEXT_QUESTION,
	.keep_tab = true,
};

/* Local messages keep their line breaks. */
static const struct text_style terminal_lines_style = {
	.control = TEXT_QUESTION,
	.format = TEXT_QUESTION,
	.keep_newline = true,
};

/*
 * Copies len bytes of peer text into out (len + 1 bytes) as valid UTF-8,
 * each bad byte or control character turned into '?': a server's text
 * can then neither drive the terminal nor break a JSON string.
 */
static void
text_clean(const uint8_t *s, size_t len, bool tab, char *out)
{
	utf8_sanitize(s, len, tab, out, len + 1);
}

/*
 * s as the terminal is to show it (text_style_terminal; TAB kept in chat
 * text), in the chat's buffer slot (0 or 1): a line shows two strings
 * from the network at most.  A '?' is never longer than what it
 * replaces, so nothing a datagram carried is cut.
 */
static const char *
shown(struct chat *c, int slot, const char *s, bool tab)
{
	text_sanitize((const uint8_t *)s, strlen(s), tab ? &terminal_tab_style :
	    &text_style_terminal, c->shown[slot], sizeof(c->shown[slot]));
	return c->shown[slot];
}

void
client_say(const char *msg)
{
	char *s = text_sanitize_dup(msg, &terminal_lines_style);

	fprintf(stderr, "ocm-client: %s\n", s != NULL ? s : "out of memory");
	free(s);
}

static void
time_local(char buf[16])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, 16, "%H:%M:%S", &tm);
}

static void
time_iso(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- Terminal: readline's line above which events are printed --------- */

/* readline's callbacks take no argument: the one session lives here. */
static struct chat *tty_chat;

/*
 * Prints s on its own line above the prompt: take the prompt and the
 * typed text off the screen, print, then draw both again with the cursor
 * where it was.  Inside the line handler readline has already moved to a
 * fresh line and drawn nothing yet, so plain printing is right there.
 */
static void
tty_print(struct chat *c, FILE *to, const char *s)
{
	if (!c->rl_active || c->in_handler) {
		fprintf(to, "%s\n", s);
		fflush(to);
		return;
	}
	char *saved = rl_copy_text(0, rl_end);
	int point = rl_point;

	rl_set_prompt("");
	rl_replace_line("", 0);
	rl_redisplay();
	fprintf(to, "%s\n", s);
	fflush(to);
	rl_set_prompt(c->prompt);
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_redisplay();
	free(saved);
}

static void
tty_on_line(char *line)
{
	struct chat *c = tty_chat;

	if (line == NULL) {		/* Ctrl-D on an empty line */
		chat_leave(c);
		return;
	}
	c->in_handler = true;
	if (line[0] != '\0')
		add_history(line);
	chat_line(c, line, strlen(line));
	c->in_handler = false;
	free(line);
}

static void
tty_start(struct chat *c)
{
	/* Signals arrive on the signalfd; TAB is chat text, not completion. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_inhibit_completion = 1;
	rl_erase_empty_line = 1;
	rl_readline_name = "ocm-client";
	tty_chat = c;
	rl_callback_handler_install(c->prompt, tty_on_line);
	c->rl_active = true;
}

/* Removes the prompt from the screen and gives the terminal back. */
static void
tty_stop(struct chat *c)
{
	if (!c->rl_active)
		return;
	if (!c->in_handler) {
		rl_set_prompt("");
		rl_replace_line("", 0);
		rl_redisplay();
	}
	rl_callback_handler_remove();
	c->rl_active = false;
}

/*
 * After Enter, readline leaves "room> text" on the screen.  A chat line is
 * shown again with its time and sender, so the echo is wiped first; only
 * when it surely took one row (no TAB, narrower than the screen).
 */
static bool
tty_erase_echo(struct chat *c, const char *line)
{
	int rows, cols;

	if (!c->fancy || !c->in_handler || strchr(line, '\t') != NULL)
		return false;
	rl_get_screen_size(&rows, &cols);
	if (cols <= 0 || text_width(c->prompt) + text_width(line) >= (size_t)cols)
		return false;
	fputs("\033[A\033[2K\r", stdout);
	return true;
}

/* Ctrl-Z: give the terminal back while stopped, take it again after. */
static void
tty_suspend(struct chat *c)
{
	sigset_t tstp;
	char *saved = NULL;
	int point = 0;

	if (c->rl_active) {
		saved = rl_copy_text(0, rl_end);
		point = rl_point;
		tty_stop(c);
	}
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	raise(SIGTSTP);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
	if (saved != NULL) {
		tty_start(c);
		rl_replace_line(saved, 0);
		rl_point = point;
		rl_redisplay();
		free(saved);
	}
}

/* ---- Output lines ----------------------------------------------------- */

static void
line_put(struct chat *c, FILE *to, const char *s)
{
	if (c->tty) {
		tty_print(c, to, s);
		return;
	}
	fprintf(to, "%s\n", s);
	if (fflush(to) == EOF && to == stdout)
		c->stdout_gone = true;
}

/* A text line is built in memory, so that it reaches the screen whole. */
struct line {
	FILE *f;
	char *buf;
	size_t len;
};

static bool
line_begin(struct line *l, bool stamp)
{
	char t[16];

	l->buf = NULL;
	l->len = 0;
	l->f = open_memstream(&l->buf, &l->len);
	if (l->f == NULL)
		return false;
	if (stamp) {
		time_local(t);
		fprintf(l->f, "%s ", t);
	}
	return true;
}

static void
line_end(struct chat *c, struct line *l, FILE *to)
{
	if (fclose(l->f) == 0)
		line_put(c, to, l->buf);
	free(l->buf);
}

static const char *
sgr(const struct chat *c, const char *code)
{
	return c->color ? code : "";
}

static const char *
name_colour(const struct chat *c, const char *name)
{
	static const char *const colours[] = {
		"\033[1;31m", "\033[1;32m", "\033[1;33m",
		"\033[1;34m", "\033[1;35m", "\033[1;36m",
	};
	uint32_t h = 2166136261u;	/* FNV-1a: a stable colour per name */

	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return sgr(c, colours[h % (sizeof(colours) / sizeof(colours[0]))]);
}

/* ---- Text output -------------------------------------------------------- */

static void text_event(struct chat *c, const char *fmt, ...) OCM_PRINTF(2, 3);

/* "HH:MM:SS * ..." (dim on a colour terminal). */
static void
text_event(struct chat *c, const char *fmt, ...)
{
	struct line l;
	va_list ap;

	if (!line_begin(&l, true))
		return;
	fprintf(l.f, "%s* ", sgr(c, SGR_DIM));
	va_start(ap, fmt);
	vfprintf(l.f, fmt, ap);
	va_end(ap);
	fputs(sgr(c, SGR_RESET), l.f);
	line_end(c, &l, stdout);
}

static void
text_chat(struct chat *c, const char *from, const char *text, bool own)
{
	struct line l;

	if (!line_begin(&l, true))
		return;
	fprintf(l.f, "<%s%s%s> %s", own ? sgr(c, SGR_BOLD) : name_colour(c, from),
	    shown(c, 0, from, false), sgr(c, SGR_RESET), shown(c, 1, text, true));
	line_end(c, &l, stdout);
}

static void
text_online(struct chat *c)
{
	text_event(c, "online in room '%s' as %s", c->room_shown, c->user_shown);
	/* The server listed only some of the members (doc/protocol.md 5.4). */
	if (c->session->members_more)
		text_event(c, "%zu members and more are in the room; /who lists everyone",
		    c->session->n_members);
	if (c->tty)
		text_event(c, "/help lists the commands");
}

static void
text_notice(struct chat *c, const struct notice_form *f, const char *name,
    const char *text)
{
	if (f->verb != NULL)
		text_event(c, "%s %s", shown(c, 0, name, false), f->verb);
	else if (strncmp(text, "not relayed", 11) == 0)	/* ocmd's own wording */
		text_event(c, "%s", shown(c, 0, text, false));
	else
		text_event(c, "not relayed: %s", text[0] != '\0' ? shown(c, 0, text, false) :
		    "no reason given");
}

static void
text_members(struct chat *c, json_t *members)
{
	struct line l;
	size_t i;
	json_t *m;

	if (!line_begin(&l, true))
		return;
	fprintf(l.f, "%s* members:", sgr(c, SGR_DIM));
	json_array_foreach(members, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		fprintf(l.f, "%s %s%s", i > 0 ? "," : "", shown(c, 0, name != NULL ? name : "",
		    false), json_is_true(json_object_get(m, "host")) ? " (host)" : "");
	}
	fprintf(l.f, "%s%s", i == 0 ? " none" : "", sgr(c, SGR_RESET));
	line_end(c, &l, stdout);
}

/* On a terminal the reason goes to stderr alone, once readline is gone. */
static void
text_closed(struct chat *c, const char *reason, const char *text, bool left)
{
	if (left)
		text_event(c, "left room '%s'", c->room_shown);
	else if (!c->tty)
		text_event(c, "room closed: %s: %s", reason, shown(c, 0, text, false));
}

static void
text_error(struct chat *c, const char *text)
{
	struct line l;

	if (!c->tty) {
		client_say(text);
		return;
	}
	if (!line_begin(&l, true))
		return;
	fprintf(l.f, "%s! %s%s", sgr(c, SGR_RED), shown(c, 0, text, false),
	    sgr(c, SGR_RESET));
	line_end(c, &l, stdout);
}

static void
text_help(struct chat *c, const struct command *cmds, size_t n)
{
	char buf[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "  /%-8s %s", cmds[i].name, cmds[i].help);
		line_put(c, stdout, buf);
	}
	line_put(c, stdout, "  //text    send a message that begins with '/'");
	if (c->tty)
		line_put(c, stdout, "  Ctrl-D    leave the room (as /quit)");
}

static const struct out_ops out_text = {
	.chat = text_chat,
	.online = text_online,
	.notice = text_notice,
	.members = text_members,
	.closed = text_closed,
	.error = text_error,
	.help = text_help,
};

/* ---- JSON output -------------------------------------------------------- */

/* Every string given to jansson here is valid UTF-8 (room.c, text_clean);
 * ev_emit() escapes its controls and format characters. */
static json_t *
ev_new(struct chat *c, const char *type)
{
	return json_pack("{s:s, s:s}", "type", type, "room", c->r.u.room);
}

static void
ev_emit(struct chat *c, json_t *ev)
{
	char t[32];

	if (ev == NULL)
		return;
	time_iso(t);
	json_object_set_new(ev, "time", json_string(t));
	char *s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	char *safe = s != NULL ? text_sanitize_dup(s, &text_style_json) : NULL;
	if (safe != NULL)
		line_put(c, stdout, safe);
	free(safe);
	free(s);
}

static void
json_chat(struct chat *c, const char *from, const char *text, bool own)
{
	json_t *ev = ev_new(c, "chat");

	(void)own;
	json_object_set_new(ev, "from", json_string(from));
	json_object_set_new(ev, "text", json_string(text));
	ev_emit(c, ev);
}

static void
json_online(struct chat *c)
{
	json_t *ev = ev_new(c, "online");
	json_t *members = json_array();

	for (size_t i = 0; i < c->session->n_members; i++)
		json_array_append_new(members, json_string(c->session->members[i]));
	json_object_set_new(ev, "user", json_string(c->r.u.user));
	json_object_set_new(ev, "host", json_boolean(c->session->host));
	json_object_set_new(ev, "members", members);
	if (c->session->members_more)
		json_object_set_new(ev, "members_more", json_true());
	ev_emit(c, ev);
}

static void
json_notice(struct chat *c, const struct notice_form *f, const char *name,
    const char *text)
{
	json_t *ev = ev_new(c, "notice");

	json_object_set_new(ev, "event", json_string(f->event));
	json_object_set_new(ev, "name", json_string(name));
	if (f->verb == NULL)
		json_object_set_new(ev, "text", json_string(text));
	ev_emit(c, ev);
}

static void
json_members(struct chat *c, json_t *members)
{
	json_t *ev = ev_new(c, "members");

	json_object_set(ev, "members", members);
	ev_emit(c, ev);
}

static void
json_closed(struct chat *c, const char *reason, const char *text, bool left)
{
	json_t *ev = ev_new(c, "closed");

	(void)left;
	json_object_set_new(ev, "reason", json_string(reason));
	json_object_set_new(ev, "text", json_string(text));
	ev_emit(c, ev);
}

static void
json_error(struct chat *c, const char *text)
{
	json_t *ev = ev_new(c, "error");

	json_object_set_new(ev, "text", json_string(text));
	ev_emit(c, ev);
}

static void
json_help(struct chat *c, const struct command *cmds, size_t n)
{
	json_t *ev = ev_new(c, "help");
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s+, s:s}", "command", "/",
		    cmds[i].name, "text", cmds[i].help));
	json_object_set_new(ev, "commands", list);
	ev_emit(c, ev);
}

static const struct out_ops out_json = {
	.chat = json_chat,
	.online = json_online,
	.notice = json_notice,
	.members = json_members,
	.closed = json_closed,
	.error = json_error,
	.help = json_help,
};

/* Local errors: the text may quote what was typed, so it is cleaned. */
static void
chat_error(struct chat *c, const char *fmt, ...)
{
	char buf[512], clean[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_clean((const uint8_t *)buf, strlen(buf), false, clean);
	c->out->error(c, clean);
}

/* ---- Sending ------------------------------------------------------------ */

static void
chat_say(struct chat *c, const char *text, size_t len)
{
	char err[CLIENT_ERR_MAX];

	if (room_say(&c->r, text, len, err) < 0)
		chat_error(c, "%s", err);
	else if (c->tty && tty_erase_echo(c, text))
		c->out->chat(c, c->r.u.user, text, true);
}

static void
chat_leave(struct chat *c)
{
	tty_stop(c);
	room_leave(&c->r);
}

/* ---- Commands ----------------------------------------------------------- */

static void
cmd_who(struct chat *c)
{
	room_who(&c->r);
}

static void cmd_help(struct chat *c);

static const struct command commands[] = {
	{ "who", "list the members who are online", cmd_who },
	{ "leave", "leave the room", chat_leave },
	{ "quit", "leave the room (as /leave)", chat_leave },
	{ "help", "show this help", cmd_help },
};
#define N_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
cmd_help(struct chat *c)
{
	c->out->help(c, commands, N_COMMANDS);
}

/* line[0] is '/'; commands take no arguments. */
static void
chat_command(struct chat *c, const char *line, size_t len)
{
	const char *word = line + 1;
	size_t wlen = strcspn(word, " \t");
	size_t rest = wlen + 1 + strspn(word + wlen, " \t");

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strlen(commands[i].name) != wlen || memcmp(commands[i].name, word, wlen) != 0)
			continue;
		if (rest < len)
			chat_error(c, "/%s takes no arguments", commands[i].name);
		else
			commands[i].run(c);
		return;
	}
	chat_error(c, "unknown command '/%.*s' (/help lists them; start a message with // "
	    "to send a line that begins with '/')", (int)(wlen > 64 ? 64 : wlen), word);
}

/* One line typed or piped in: line[len] is '\0'. */
static void
chat_line(struct chat *c, char *line, size_t len)
{
	if (len == 0)
		return;
	if (line[0] == '/' && (len == 1 || line[1] != '/')) {
		chat_command(c, line, len);
		return;
	}
	if (line[0] == '/') {			/* "//text" says "/text" */
		line++;
		len--;
	}
	chat_say(c, line, len);
}

/* ---- Room events (room.c has cleaned every string) ---------------------- */

static const struct notice_form notice_forms[256] = {
	[NOTICE_JOINED] = { "joined", "joined" },
	[NOTICE_LEFT] = { "left", "left" },
	[NOTICE_TIMED_OUT] = { "timed_out", "timed out" },
	[NOTICE_KICKED] = { "kicked", "was kicked" },
	[NOTICE_REJECTED] = { "rejected", NULL },
};

static void
ev_online(void *arg)
{
	struct chat *c = arg;

	c->out->online(c);
	if (c->tty)
		tty_start(c);
}

static void
ev_chat(void *arg, const char *from, const char *text)
{
	struct chat *c = arg;

	c->out->chat(c, from, text, false);
}

static void
ev_notice(void *arg, uint8_t code, const char *name, const char *text)
{
	struct chat *c = arg;
	const struct notice_form *f = &notice_forms[code];

	if (f->event != NULL)
		c->out->notice(c, f, name, text);
}

static void
ev_members(void *arg, const struct room_member *m, size_t n)
{
	struct chat *c = arg;
	json_t *list = json_array();

	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:b}", "name", m[i].name,
		    "host", m[i].host));
	c->out->members(c, list);
	json_decref(list);
}

static void
ev_closed(void *arg, uint8_t reason, const char *text)
{
	struct chat *c = arg;
	const char *name = closed_reason_name(reason);
	char lower[32];
	bool left = reason == CLOSED_LEFT;

	room_reason_name(reason, lower);
	tty_stop(c);
	c->out->closed(c, lower, text, left);
	if (left) {
		c->status = CLIENT_EXIT_LEFT;
		return;
	}
	snprintf(c->final, sizeof(c->final), "room closed: %s: %s",
	    name != NULL ? name : lower, text);
	c->status = CLIENT_EXIT_CLOSED;
}

static void
ev_lost(void *arg, uint32_t timeout_s)
{
	struct chat *c = arg;

	snprintf(c->final, sizeof(c->final),
	    "lost contact with the server (nothing heard for %u s)", timeout_s);
	if (c->out == &out_json)	/* text mode: stderr says it */
		c->out->error(c, c->final);
	c->status = CLIENT_EXIT_LOST;
}

static const struct room_ops chat_room_ops = {
	.online = ev_online,
	.chat = ev_chat,
	.notice = ev_notice,
	.members = ev_members,
	.closed = ev_closed,
	.lost = ev_lost,
};

/* ---- Input -------------------------------------------------------------- */

static void
pipe_line(struct chat *c, char *s, size_t len)
{
	if (c->in_skip) {
		c->in_skip = false;
		return;
	}
	if (len > 0 && s[len - 1] == '\r')
		len--;
	s[len] = '\0';
	chat_line(c, s, len);
}

static void
pipe_lines(struct chat *c)
{
	size_t start = 0;
	char *nl;

	while (!c->r.leaving && (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t end = (size_t)(nl - c->in);
		pipe_line(c, c->in + start, end - start);
		start = end + 1;
	}
	if (c->r.leaving)
		start = c->in_len;
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == IN_BUF_MAX) {
		if (!c->in_skip)
			chat_error(c, "message not sent: the line is longer than %d bytes",
			    IN_BUF_MAX);
		c->in_skip = true;
		c->in_len = 0;
	}
}

static void
pipe_input(struct chat *c)
{
	ssize_t n = read(STDIN_FILENO, c->in + c->in_len, IN_BUF_MAX - c->in_len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		c->in_len += (size_t)n;
		pipe_lines(c);
		return;
	}
	if (n < 0)
		chat_error(c, "cannot read stdin: %s", strerror(errno));
	else if (c->in_len > 0)		/* a last line without its newline */
		pipe_line(c, c->in, c->in_len);
	c->in_len = 0;
	c->stdin_done = true;
	chat_leave(c);
}

static bool
chat_reading(const struct chat *c)
{
	return c->r.online && !c->r.leaving && !c->stdin_done && c->status < 0;
}

/* ---- Signals ------------------------------------------------------------ */

static void
sig_leave(struct chat *c)
{
	if (c->r.leaving)			/* asked twice: stop waiting */
		c->status = CLIENT_EXIT_LEFT;
	else
		chat_leave(c);
}

static void
sig_winch(struct chat *c)
{
	if (c->rl_active)
		rl_resize_terminal();
}

static const struct {
	int signo;
	bool tty_only;
	void (*run)(struct chat *);
} chat_signals[] = {
	{ SIGINT, false, sig_leave },
	{ SIGTERM, false, sig_leave },
	{ SIGHUP, false, sig_leave },
	{ SIGWINCH, true, sig_winch },
	{ SIGTSTP, true, tty_suspend },
};
#define N_SIGNALS	(sizeof(chat_signals) / sizeof(chat_signals[0]))

static int
signals_open(struct chat *c)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < N_SIGNALS; i++)
		if (c->tty || !chat_signals[i].tty_only)
			sigaddset(&set, chat_signals[i].signo);
	if (sigprocmask(SIG_BLOCK, &set, &c->old_mask) < 0)
		return -1;
	c->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sig_fd >= 0)
		return 0;
	int saved = errno;
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	errno = saved;
	return -1;
}

static void
chat_signal(struct chat *c)
{
	struct signalfd_siginfo si;

	while (read(c->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		for (size_t i = 0; i < N_SIGNALS; i++)
			if ((int)si.ssi_signo == chat_signals[i].signo)
				chat_signals[i].run(c);
}

/* ---- The loop ----------------------------------------------------------- */

/* A LEAVE that went unanswered ends the session as CLOSED(LEFT) would. */
static void
chat_check(struct chat *c)
{
	if (c->status < 0 && c->r.state == ROOM_LEFT)
		c->status = CLIENT_EXIT_LEFT;
}

static void
chat_loop(struct chat *c)
{
	while (c->status < 0) {
		int timeout = room_timers(&c->r);
		chat_check(c);
		if (c->status >= 0)
			break;
		struct pollfd p[3] = {
			{ .fd = room_fd(&c->r), .events = POLLIN },
			{ .fd = c->sig_fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		nfds_t n = chat_reading(c) ? 3 : 2;
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(c->final, sizeof(c->final), "poll: %s", strerror(errno));
			c->status = CLIENT_EXIT_ERROR;
			break;
		}
		if (p[1].revents != 0)
			chat_signal(c);
		if (p[0].revents != 0 && c->status < 0)
			room_receive(&c->r);
		if (n == 3 && p[2].revents != 0 && chat_reading(c)) {
			if (c->tty)
				rl_callback_read_char();
			else
				pipe_input(c);
		}
		if (c->stdout_gone)
			chat_leave(c);
		chat_check(c);
	}
}

/* ---- The session -------------------------------------------------------- */

static void
chat_init(struct chat *c, const struct chat_opts *o, const struct tcrp_session *s)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	bool dumb = term == NULL || term[0] == '\0' || strcmp(term, "dumb") == 0;

	c->session = s;
	c->status = -1;
	c->sig_fd = -1;
	c->tty = !o->json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	c->out = o->json ? &out_json : &out_text;
	c->color = !o->json && isatty(STDOUT_FILENO) && !dumb &&
	    (no_color == NULL || no_color[0] == '\0');
	c->fancy = c->tty && !dumb;
	/* Names are valid, so '?' for a format character is all there is
	 * to do, and it never makes them longer. */
	text_sanitize((const uint8_t *)c->r.u.room, strlen(c->r.u.room), &text_style_terminal,
	    c->room_shown, sizeof(c->room_shown));
	text_sanitize((const uint8_t *)c->r.u.user, strlen(c->r.u.user), &text_style_terminal,
	    c->user_shown, sizeof(c->user_shown));
	snprintf(c->prompt, sizeof(c->prompt), "%s> ", c->room_shown);
	if (!c->tty)	/* one event per line, seen as soon as it happens */
		setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Gives the terminal and the signals back; returns the exit status. */
static int
chat_finish(struct chat *c)
{
	int status = c->status < 0 ? CLIENT_EXIT_ERROR : c->status;

	tty_stop(c);
	tty_chat = NULL;
	if (c->tty)
		rl_clear_history();
	if (c->sig_fd >= 0) {
		close(c->sig_fd);
		sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	}
	fflush(stdout);
	if (c->final[0] != '\0')
		client_say(c->final);
	room_close(&c->r);
	free(c);
	return status;
}

int
chat_run(const struct chat_opts *o, const struct server_opts *srv,
    const struct tcrp_request *req, struct tcrp_result *res)
{
	char err[CLIENT_ERR_MAX];
	struct chat *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		fprintf(stderr, "ocm-client: out of memory\n");
		return CLIENT_EXIT_ERROR;
	}
	if (room_open(&c->r, srv, req, res, err) < 0) {
		client_say(err);
		free(c);
		return CLIENT_EXIT_ERROR;
	}
	chat_init(c, o, &res->session);
	if (signals_open(c) < 0) {
		snprintf(c->final, sizeof(c->final), "cannot watch signals: %s", strerror(errno));
		c->status = CLIENT_EXIT_ERROR;
		return chat_finish(c);
	}
	room_start(&c->r, &chat_room_ops, c);
	chat_loop(c);
	return chat_finish(c);
}
