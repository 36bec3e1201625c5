/*
 * output.c: ocmctl's output, the last step of its one request.  Each
 * command has a view, a format description of its result: lines of fields,
 * a table of an array, a message template or a walk of every counter.  The
 * text output renders the view with column widths computed from the data;
 * the quiet output prints the first column of the view's table (for shell
 * completion); the JSON output prints the result as ocmd sent it.  Every
 * string a peer chose (room and user names) is shown through lib/text.c's
 * policy, and measured in terminal columns, not bytes; the JSON output
 * spells those same characters as JSON escapes, so that it carries the
 * same text with nothing but ASCII in their place.
 */
#include "ctl/output.h"

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl.h"
#include "lib/text.h"

enum kind {
	K_ANY,			/* as the JSON type says */
	K_TEXT,
	K_NUMBER,
	K_YESNO,
	K_AGE,			/* seconds, one unit: 45s, 12m, 3h, 2d */
	K_UPTIME,		/* seconds, every unit: 2d 3h 4m 5s */
	K_LIST,			/* an array: a, b, c */
	K_RATE,			/* a real: 1234.5 */
	K_SHARE,		/* a real fraction: 0.42 is 42% */
	K_SPARSE,		/* text; in a table, a column only when a row has it */
};

struct field {
	const char *key;	/* the member of the result (or of a row) */
	const char *label;	/* a column heading or a line's label */
	enum kind kind;
};

enum shape {
	S_NONE,
	S_FIELDS,		/* "label: value" lines, then members not listed */
	S_LINE,			/* "label value, label value" on one line */
	S_TABLE,		/* the array .key: a row per element, a column per field */
	S_MESSAGE,		/* .key is a template: {member}; {member:s} is "s" unless 1 */
	S_COUNTERS,		/* every member, "name value", objects flattened as a.b */
};

#define VIEW_FIELDS		18
#define VIEW_PARTS		3

struct part {
	enum shape shape;
	const char *key;
	const char *empty;	/* S_TABLE: printed instead of an empty table */
	struct field fields[VIEW_FIELDS];
};

struct view {
	const char *quiet_help;	/* what -q prints; NULL: no -q */
	struct part parts[VIEW_PARTS];
};

/* The format description of each command, view_id for the row of
 * CTL_COMMANDS (lib/ctl.h) whose id it is; views[] below takes them. */
static const struct view view_status = { NULL, { { S_FIELDS, NULL, NULL, {
		{ "version", "version", K_TEXT },
		{ "protocol", "protocol", K_NUMBER },
		{ "pid", "pid", K_NUMBER },
		{ "uptime_s", "uptime", K_UPTIME },
		{ "fingerprint", "fingerprint", K_TEXT },
		{ "listeners", "listeners", K_LIST },
		{ "config", "config", K_TEXT },
		{ "rooms", "rooms", K_NUMBER },
		{ "members", "members", K_NUMBER },
		{ "online", "online", K_NUMBER },
		{ "steering", "steering", K_YESNO },
		{ "node", "node", K_TEXT },		/* in a cluster */
		{ "nats", "nats", K_TEXT },
		{ "nats_url", "nats url", K_TEXT },
		{ "advertise", "advertise", K_TEXT },
		{ "workers", NULL, K_ANY },		/* the tables below */
		{ "nodes", NULL, K_ANY } } },
	    { S_TABLE, "workers", "no workers", {
		{ "worker", "WORKER", K_NUMBER },
		{ "rooms", "ROOMS", K_NUMBER },
		{ "members", "MEMBERS", K_NUMBER },
		{ "online", "ONLINE", K_NUMBER },
		{ "datagrams_per_s", "DATAGRAMS/S", K_RATE },
		{ "messages_per_s", "MESSAGES/S", K_RATE },
		{ "cpu", "CPU", K_SHARE } } },
	    { S_TABLE, "nodes", NULL, {
		{ "node", "NODE", K_TEXT },
		{ "alive", "ALIVE", K_YESNO },
		{ "udp_host", "UDP HOST", K_TEXT },
		{ "rooms", "ROOMS", K_NUMBER },
		{ "members", "MEMBERS", K_NUMBER } } } } };

static const struct view view_list_rooms = { "print only the room names, one per line", {
	    { S_TABLE, "rooms", "no rooms", {
		{ "name", "ROOM", K_TEXT },
		{ "members", "MEMBERS", K_NUMBER },
		{ "online", "ONLINE", K_NUMBER },
		{ "password", "PASSWORD", K_YESNO },
		{ "host", "HOST", K_TEXT },
		{ "age_s", "AGE", K_AGE },
		{ "messages", "MESSAGES", K_NUMBER },
		{ "worker", "WORKER", K_NUMBER },
		{ "node", "NODE", K_SPARSE } } } } };

static const struct view view_show_room = { "print only the member names, one per line", {
	    { S_LINE, NULL, NULL, {
		{ "name", "room", K_TEXT },
		{ "password", "password", K_YESNO },
		{ "age_s", "age", K_AGE },
		{ "messages", "messages", K_NUMBER },
		{ "worker", "worker", K_NUMBER } } },
	    { S_TABLE, "members", "no members", {
		{ "name", "USER", K_TEXT },
		{ "host", "HOST", K_YESNO },
		{ "online", "ONLINE", K_YESNO },
		{ "address", "ADDRESS", K_TEXT },
		{ "idle_s", "IDLE", K_AGE },
		{ "messages_in", "IN", K_NUMBER },
		{ "messages_out", "OUT", K_NUMBER } } } } };

static const struct view view_kill_room = { NULL, { { S_MESSAGE,
	    "room '{room}' closed ({members} member{members:s} told)", NULL, { { 0 } } } } };

static const struct view view_kick = { NULL, { { S_MESSAGE,
	    "'{user}' removed from room '{room}'", NULL, { { 0 } } } } };

static const struct view view_stats = { NULL, { { S_COUNTERS, NULL, NULL, { { 0 } } } } };

static const struct view view_reload = { NULL, { { S_MESSAGE,
	    "configuration reloaded; {rooms} room{rooms:s} kept", NULL, { { 0 } } } } };

/* The view of each row of CTL_COMMANDS: a compile error for a row
 * without one. */
#define VIEW_OF(ID, id, ...)	[CTL_CMD_##ID] = &view_##id,
static const struct view *const views[CTL_CMD_MAX_] = { CTL_COMMANDS(VIEW_OF) };

/* ---- Strings ------------------------------------------------------------ */

/* ocmctl is short-lived and every input it holds is capped (argv, replies
 * of at most CTL_REPLY_MAX bytes, as many pages as the daemon has rooms
 * or a room members), so running out of memory ends it. */
static void *
must(void *p)
{
	if (p == NULL) {
		fputs("ocmctl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *
str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return must(s);
}

/* Text from ocmd with lib/text.c's terminal style: every control, format
 * character (bidi, invisible, line separators) and ill-formed byte as
 * '?'. */
char *
output_clean(const char *s)
{
	return must(text_sanitize_dup(s, &text_style_terminal));
}

/* ---- Values ------------------------------------------------------------- */

static char *render(json_t *v, enum kind k);

static char *
render_age(json_int_t s)
{
	if (s < 60)
		return str_printf("%" JSON_INTEGER_FORMAT "s", s);
	if (s < 3600)
		return str_printf("%" JSON_INTEGER_FORMAT "m", s / 60);
	if (s < 86400)
		return str_printf("%" JSON_INTEGER_FORMAT "h", s / 3600);
	return str_printf("%" JSON_INTEGER_FORMAT "d", s / 86400);
}

static char *
render_uptime(json_int_t s)
{
	static const struct { json_int_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	char buf[128];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		json_int_t n = s / units[i].secs;
		if (n == 0 && !(units[i].secs == 1 && len == 0))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%" JSON_INTEGER_FORMAT "%c",
		    len > 0 ? " " : "", n, units[i].unit);
		s %= units[i].secs;
	}
	return must(strdup(buf));
}

static char *
render_list(json_t *a)
{
	char *s = NULL, *item;
	size_t len, i;
	FILE *f = must(open_memstream(&s, &len));
	json_t *v;

	json_array_foreach(a, i, v) {
		item = render(v, K_ANY);
		fprintf(f, "%s%s", i > 0 ? ", " : "", item);
		free(item);
	}
	if (fclose(f) != 0) {
		free(s);
		s = NULL;
	}
	return must(s);
}

static char *
render_any(json_t *v)
{
	char *dump, *s;

	switch (json_typeof(v)) {
	case JSON_STRING: return output_clean(json_string_value(v));
	case JSON_INTEGER: return str_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: return str_printf("%g", json_real_value(v));
	case JSON_TRUE: return must(strdup("yes"));
	case JSON_FALSE: return must(strdup("no"));
	case JSON_ARRAY: return render_list(v);
	case JSON_OBJECT:
		dump = must(json_dumps(v, JSON_COMPACT));
		s = output_clean(dump);
		free(dump);
		return s;
	case JSON_NULL:
		break;
	}
	return must(strdup("-"));
}

/* A value as its field says, or as its JSON type says when it is not what
 * the field expects (a newer ocmd, say); "-" when absent. */
static char *
render(json_t *v, enum kind k)
{
	if (v == NULL)
		return must(strdup("-"));
	if (k == K_AGE && json_is_integer(v) && json_integer_value(v) >= 0)
		return render_age(json_integer_value(v));
	if (k == K_UPTIME && json_is_integer(v) && json_integer_value(v) >= 0)
		return render_uptime(json_integer_value(v));
	if (k == K_RATE && json_is_number(v))
		return str_printf("%.1f", json_number_value(v));
	if (k == K_SHARE && json_is_number(v))
		return str_printf("%.0f%%", 100.0 * json_number_value(v));
	return render_any(v);
}

static bool
kind_right(enum kind k)
{
	return k == K_NUMBER || k == K_AGE || k == K_UPTIME || k == K_RATE || k == K_SHARE;
}

/* ---- Tables ------------------------------------------------------------- */

struct cell {
	char *s;		/* NULL in every cell of a gap row */
	bool right;
};

struct table {
	size_t cols, rows, cap;
	struct cell *cells;	/* rows * cols */
	const char *sep;	/* between columns */
};

static void
table_init(struct table *t, size_t cols, const char *sep)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->sep = sep;
}

static struct cell *
table_row(struct table *t)
{
	if (t->rows == t->cap) {
		t->cap = t->cap > 0 ? 2 * t->cap : 16;
		t->cells = must(reallocarray(t->cells, t->cap * t->cols, sizeof(*t->cells)));
	}
	struct cell *row = &t->cells[t->rows++ * t->cols];
	memset(row, 0, t->cols * sizeof(*row));
	return row;
}

/* An empty line between groups; never two, never first. */
static void
table_gap(struct table *t)
{
	if (t->rows > 0 && t->cells[(t->rows - 1) * t->cols].s != NULL)
		table_row(t);
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i].s);
	free(t->cells);
}

static void
cell_print(const struct cell *c, size_t width, bool last)
{
	size_t pad = width - text_width(c->s);

	if (c->right)
		printf("%*s", (int)pad, "");
	fputs(c->s, stdout);
	if (!c->right && !last)
		printf("%*s", (int)pad, "");
}

static void
table_print(const struct table *t)
{
	size_t width[VIEW_FIELDS] = { 0 };

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			const struct cell *cell = &t->cells[r * t->cols + c];
			size_t w = cell->s != NULL ? text_width(cell->s) : 0;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->rows; r++) {
		const struct cell *row = &t->cells[r * t->cols];
		if (row[0].s == NULL && r + 1 == t->rows)
			break;		/* a gap at the end */
		for (size_t c = 0; row[0].s != NULL && c < t->cols; c++) {
			if (c > 0)
				fputs(t->sep, stdout);
			cell_print(&row[c], width[c], c + 1 == t->cols);
		}
		putchar('\n');
	}
}

/* ---- The parts of a view ------------------------------------------------ */

static size_t
part_nfields(const struct part *p)
{
	size_t n = 0;

	while (n < VIEW_FIELDS && p->fields[n].key != NULL)
		n++;
	return n;
}

static bool
part_lists(const struct part *p, const char *key)
{
	for (size_t i = 0; i < part_nfields(p); i++)
		if (strcmp(p->fields[i].key, key) == 0)
			return true;
	return false;
}

static void
fields_row(struct table *t, const char *label, json_t *v, enum kind k)
{
	struct cell *row = table_row(t);

	row[0].s = str_printf("%s:", label);
	row[1].s = render(v, k);
}

/* The listed fields in their order, then whatever else ocmd sent. */
static void
print_fields(const struct part *p, json_t *result)
{
	struct table t;
	const char *key;
	json_t *v;

	table_init(&t, 2, " ");
	/* A field without a label is printed by another part of the view. */
	for (size_t i = 0; i < part_nfields(p); i++)
		if (p->fields[i].label != NULL &&
		    (v = json_object_get(result, p->fields[i].key)) != NULL)
			fields_row(&t, p->fields[i].label, v, p->fields[i].kind);
	json_object_foreach(result, key, v) {
		if (!part_lists(p, key)) {
			char *label = output_clean(key);
			fields_row(&t, label, v, K_ANY);
			free(label);
		}
	}
	table_print(&t);
	table_free(&t);
}

static void
print_line(const struct part *p, json_t *result)
{
	const char *sep = "";

	for (size_t i = 0; i < part_nfields(p); i++) {
		json_t *v = json_object_get(result, p->fields[i].key);
		if (v == NULL)
			continue;
		char *s = render(v, p->fields[i].kind);
		printf("%s%s %s", sep, p->fields[i].label, s);
		free(s);
		sep = ", ";
	}
	putchar('\n');
}

static void
print_table(const struct part *p, json_t *result)
{
	json_t *rows = json_object_get(result, p->key), *o;
	const struct field *col[VIEW_FIELDS];
	size_t n = 0, i;
	struct table t;
	struct cell *row;

	if (json_array_size(rows) == 0) {
		if (p->empty != NULL)
			puts(p->empty);
		return;
	}
	for (size_t f = 0; f < part_nfields(p); f++) {
		bool some = p->fields[f].kind != K_SPARSE;
		json_array_foreach(rows, i, o)
			some = some || json_object_get(o, p->fields[f].key) != NULL;
		if (some)
			col[n++] = &p->fields[f];
	}
	table_init(&t, n, "  ");
	row = table_row(&t);
	for (size_t c = 0; c < n; c++) {
		row[c].s = must(strdup(col[c]->label));
		row[c].right = kind_right(col[c]->kind);
	}
	json_array_foreach(rows, i, o) {
		row = table_row(&t);
		for (size_t c = 0; c < n; c++) {
			row[c].s = render(json_object_get(o, col[c]->key), col[c]->kind);
			row[c].right = kind_right(col[c]->kind);
		}
	}
	table_print(&t);
	table_free(&t);
}

/* Expands {member} and {member:s} (an "s" unless the member is 1). */
static void
print_message(const struct part *p, json_t *result)
{
	const char *s = p->key, *end;
	char name[64];

	while (*s != '\0') {
		if (*s != '{' || (end = strchr(s, '}')) == NULL) {
			putchar(*s++);
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - s - 1), s + 1);
		char *plural = strstr(name, ":s");
		if (plural != NULL)
			*plural = '\0';
		json_t *v = json_object_get(result, name);
		if (plural != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) != 1)
				putchar('s');
		} else {
			char *text = render(v, K_ANY);
			fputs(text, stdout);
			free(text);
		}
		s = end + 1;
	}
	putchar('\n');
}

/* Each nested object of the top level is a group of its own, and so is
 * each run of plain members between them. */
static void
counters_add(struct table *t, const char *prefix, json_t *obj)
{
	bool prev_object = false;
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char *name = prefix != NULL ? str_printf("%s.%s", prefix, key) : must(strdup(key));
		if (prefix == NULL && (json_is_object(v) || prev_object))
			table_gap(t);
		prev_object = json_is_object(v);
		if (json_is_object(v)) {
			counters_add(t, name, v);
		} else {
			struct cell *row = table_row(t);
			row[0].s = output_clean(name);
			row[1].s = render(v, K_ANY);
			row[1].right = true;
		}
		free(name);
	}
}

static void
print_counters(const struct part *p, json_t *result)
{
	struct table t;

	(void)p;
	table_init(&t, 2, "  ");
	counters_add(&t, NULL, result);
	table_print(&t);
	table_free(&t);
}

static void (*const part_printers[])(const struct part *, json_t *) = {
	[S_FIELDS] = print_fields,
	[S_LINE] = print_line,
	[S_TABLE] = print_table,
	[S_MESSAGE] = print_message,
	[S_COUNTERS] = print_counters,
};

/* ---- The outputs -------------------------------------------------------- */

static int
output_done(void)
{
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

static int
text_result(const struct view *v, json_t *result)
{
	for (size_t i = 0; i < VIEW_PARTS && v->parts[i].shape != S_NONE; i++) {
		if (i > 0)
			putchar('\n');
		part_printers[v->parts[i].shape](&v->parts[i], result);
	}
	return output_done();
}

static void
text_error(const char *code, const char *message)
{
	char *s = output_clean(message);

	(void)code;
	fprintf(stderr, "ocmctl: %s\n", s);
	free(s);
}

/* The JSON as ocmd sent it, but with a JSON escape for each control and
 * format character (jansson writes C1 and bidi characters as they are). */
static int
json_print(json_t *o)
{
	char *s = must(json_dumps(o, JSON_INDENT(2)));
	char *safe = must(text_sanitize_dup(s, &text_style_json));

	puts(safe);
	free(safe);
	free(s);
	return output_done();
}

static int
json_result(const struct view *v, json_t *result)
{
	(void)v;
	return json_print(result);
}

/* The error object on stdout for the script, the message on stderr for
 * whoever runs it. */
static void
json_error(const char *code, const char *message)
{
	json_t *o = must(json_pack("{s:s, s:s}", "code", code, "message", message));

	json_print(o);
	json_decref(o);
	text_error(code, message);
}

static int
quiet_result(const struct view *v, json_t *result)
{
	for (size_t i = 0; i < VIEW_PARTS; i++) {
		const struct part *p = &v->parts[i];
		json_t *o;
		size_t j;

		if (p->shape != S_TABLE)
			continue;
		json_array_foreach(json_object_get(result, p->key), j, o) {
			char *s = render(json_object_get(o, p->fields[0].key), K_TEXT);
			puts(s);
			free(s);
		}
	}
	return output_done();
}

/* name in single quotes for a shell, each ' as '\'' (after cleaning, so
 * what a terminal shows is what a paste gives). */
static void
shell_quote(FILE *f, const char *name)
{
	char *s = output_clean(name);

	fputc('\'', f);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
	free(s);
}

/* "more rooms follow; continue with --after 'r42'", or "no more rooms". */
static void
page_say(FILE *f, const struct ctl_list *l, json_t *result)
{
	const char *next = json_string_value(json_object_get(result, "next"));

	if (json_is_true(json_object_get(result, "more")) && next != NULL) {
		fprintf(f, "more %s follow; continue with --after ", l->key);
		shell_quote(f, next);
		fputc('\n', f);
	} else {
		fprintf(f, "no more %s\n", l->key);
	}
}

static int
text_page(const struct ctl_list *l, json_t *result)
{
	page_say(stdout, l, result);
	return output_done();
}

/* -q prints names alone on stdout, for scripts: the rest to stderr. */
static int
quiet_page(const struct ctl_list *l, json_t *result)
{
	page_say(stderr, l, result);
	return 0;
}

/* The result has "more" and "next" for the script already. */
static int
json_page(const struct ctl_list *l, json_t *result)
{
	(void)l;
	(void)result;
	return 0;
}

const struct output output_text = { text_result, text_error, text_page };
const struct output output_json = { json_result, json_error, json_page };
const struct output output_quiet = { quiet_result, text_error, quiet_page };

void
output_init(void)
{
	setlocale(LC_CTYPE, "");
}

const struct view *
view_find(const struct ctl_command *c)
{
	return views[c->id];
}

const char *
view_quiet_help(const struct view *v)
{
	return v->quiet_help;
}
